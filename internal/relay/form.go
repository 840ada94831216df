package relay

import (
	"context"
	"errors"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// TryAnotherWayCode is the code postpress accepts to switch a checkpoint
// to another method; it answers with the next checkpoint.
const TryAnotherWayCode = "TRY_ANOTHER_WAY"

func (s *Service) formCheckpoint(ctx context.Context, token string) (*store.Checkpoint, error) {
	if token == "" {
		return nil, ErrFormTokenUnknown
	}
	fp, err := s.formFingerprint(ctx, token)
	if err != nil {
		return nil, err
	}
	cp, err := s.d.Store.GetByFormToken(ctx, fp)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrFormTokenUnknown
	}
	if err != nil {
		return nil, err
	}
	// A connected checkpoint keeps showing its success; any other past
	// its expiry is gone.
	if cp.Status != checkpoint.StatusConnected && cp.FinalOutcome != checkpoint.Connected && !s.now().Before(cp.ExpiresAt) {
		return nil, ErrFormExpired
	}
	return cp, nil
}

func (s *Service) view(cp *store.Checkpoint) FormView {
	open := cp.Status == checkpoint.StatusPending && cp.FinalOutcome == "" && cp.Mode != checkpoint.ModeHuman
	// The tries left are the checkpoint's: wrong codes by SMS or email
	// count too.
	left := max(0, MaxWrongCodes-cp.WrongCodes)
	status := cp.Status
	if status == checkpoint.StatusPending && cp.FinalOutcome == checkpoint.Connected {
		status = checkpoint.StatusConnected // the finish task has not run yet
	}
	return FormView{
		CheckpointID: cp.ID, Provider: cp.Provider, Type: cp.Type, Status: status, ExpiresAt: cp.ExpiresAt,
		CanSubmitCode:    open && left > 0,
		CanResend:        open && cp.API.CanResend(cp.Provider),
		CanTryAnotherWay: open && cp.API == checkpoint.APIPostpress,
		// Only where the relay itself polls: a poll of a code checkpoint
		// would be refused, and that refusal must not end it.
		CanApprove:     open && (cp.Mode == checkpoint.ModePoll || cp.Mode == checkpoint.ModePollOrCode),
		WrongCodesLeft: left,
	}
}

// FormView implements FormService.
func (s *Service) FormView(ctx context.Context, token string) (FormView, error) {
	cp, err := s.formCheckpoint(ctx, token)
	if err != nil {
		return FormView{}, err
	}
	return s.view(cp), nil
}

// FormAct implements FormService.
func (s *Service) FormAct(ctx context.Context, token string, action FormAction, code string) (FormResult, error) {
	cp, err := s.formCheckpoint(ctx, token)
	if err != nil {
		return FormResult{}, err
	}
	v := s.view(cp)
	if cp.Status != checkpoint.StatusPending || cp.FinalOutcome != "" {
		return FormResult{View: v, Message: "This checkpoint is already settled."}, nil
	}
	var (
		outcome checkpoint.Outcome
		status  DeliveryStatus
	)
	switch action {
	case FormSubmitCode:
		if cp.WrongCodes >= MaxWrongCodes {
			return FormResult{}, ErrFormLocked
		}
		if normaliseCode(code) == "" {
			return FormResult{View: v, Message: "Type the code you received."}, nil
		}
		r, _, err := s.submitCode(ctx, cp.ID, checkpoint.ChannelForm, code)
		if err != nil {
			return FormResult{}, err
		}
		outcome, status = r.Outcome, r.Status
	case FormResend:
		if !v.CanResend {
			return FormResult{View: v, Message: "This checkpoint cannot be resent."}, nil
		}
		// Recorded only: the execution's own resend count and wait are
		// unaffected (its state machine has no branch for a resend it
		// did not ask for).
		res, err := s.resend(ctx, cp, checkpoint.ChannelForm)
		if err != nil {
			return FormResult{}, err
		}
		outcome, status = res.Outcome, DeliverySolved
	case FormTryAnotherWay:
		if !v.CanTryAnotherWay {
			return FormResult{View: v, Message: "This checkpoint has no other way."}, nil
		}
		r, err := s.solveAndHandOff(ctx, cp.ID, TryAnotherWayCode, checkpoint.ChannelForm)
		if err != nil {
			return FormResult{}, err
		}
		outcome, status = r.Outcome, r.Status
	case FormApproved:
		if !v.CanApprove {
			return FormResult{View: v, Message: "This checkpoint cannot be checked for an approval."}, nil
		}
		r, err := s.solveAndHandOff(ctx, cp.ID, "", checkpoint.ChannelPoll)
		if err != nil {
			return FormResult{}, err
		}
		outcome, status = r.Outcome, r.Status
	default:
		return FormResult{View: v, Message: "Unknown action."}, nil
	}
	if cp, err = s.d.Store.Get(ctx, cp.ID); err != nil {
		return FormResult{}, err
	}
	return FormResult{Outcome: outcome, View: s.view(cp), Message: formMessage(status, outcome)}, nil
}

// solveAndHandOff runs a solve with no code fingerprint (a poll, or
// postpress's TRY_ANOTHER_WAY, which may be sent more than once) and hands
// its outcome to the execution, except a pending poll, which the
// execution's own polling will see.
func (s *Service) solveAndHandOff(ctx context.Context, id, code string, ch checkpoint.Channel) (DeliveryResult, error) {
	owner := randomString(10)
	cp, err := s.claim(ctx, id, store.Claim{Owner: owner})
	switch {
	case errors.Is(err, store.ErrBusy):
		return DeliveryResult{Status: DeliveryBusy, CheckpointID: id}, nil
	case errors.Is(err, store.ErrNotPending):
		return DeliveryResult{Status: DeliveryLate, CheckpointID: id}, nil
	case err != nil:
		return DeliveryResult{}, err
	}
	var res providerapi.Result
	if res, err = s.solve(ctx, cp, code, ch); err != nil {
		_ = s.d.Store.ReleaseLease(context.WithoutCancel(ctx), id, owner, "")
		return DeliveryResult{}, err
	}
	out, result := s.outcomeOf(cp, res, ch)
	if ch == checkpoint.ChannelPoll {
		out.Polls = 1
		out.Event.Kind = store.EventPoll
	}
	if res.Outcome != checkpoint.Pending && res.Outcome != checkpoint.Retry {
		out.Result = resultJSON(result)
	}
	ctx = context.WithoutCancel(ctx)
	h, owner, err := s.settle(ctx, id, owner, out)
	if err != nil {
		return DeliveryResult{}, err
	}
	if err := s.handOff(ctx, id, owner, h, result); err != nil {
		return DeliveryResult{}, err
	}
	return DeliveryResult{Status: DeliverySolved, CheckpointID: id, Outcome: res.Outcome}, nil
}

// formMessage is the sentence the form shows; it never repeats the code.
func formMessage(st DeliveryStatus, o checkpoint.Outcome) string {
	switch st {
	case DeliveryCodeReused:
		return "This code was already tried."
	case DeliveryLate:
		return "This checkpoint is already settled."
	case DeliveryBusy:
		return "Another code is being checked; try again in a few seconds."
	}
	switch o {
	case checkpoint.Connected:
		return "Done: the account is connected."
	case checkpoint.NextCheckpoint:
		return "Accepted: the provider asks for one more verification."
	case checkpoint.InvalidCode:
		return "That code was not accepted."
	case checkpoint.Pending:
		return "Not approved yet: approve the sign-in in the app, then try again."
	case checkpoint.Restart:
		return "This sign-in has expired; start it again from the app."
	case checkpoint.Retry:
		return "The provider did not answer; the relay will retry on its own."
	case checkpoint.Rejected:
		return "The provider refused this checkpoint."
	case checkpoint.Resent:
		return "A new code is on its way."
	}
	return ""
}
