package relay

import (
	"context"
	"errors"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
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
		// A pure in-app approval takes no code: the page offers only "I
		// approved it in the app".
		CanSubmitCode:    open && left > 0 && cp.Mode != checkpoint.ModePoll,
		CanResend:        open && cp.API.CanResend(cp.Provider) && cp.ResendAttempts < MaxResends,
		CanTryAnotherWay: open && cp.API == checkpoint.APIPostpress && cp.OtherWays < store.MaxOtherWays,
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

// FormAct implements FormService. A code (and postpress's TRY_ANOTHER_WAY)
// is accepted into the checkpoint's queue like any webhook's, then its
// answer is waited for, up to FormWait; past it, the result names the
// code (CodeID) for the page to check again. "I approved it" wakes a
// polling execution, which polls at once, and waits for that poll the
// same way. Only the resend is asked of the provider here.
func (s *Service) FormAct(ctx context.Context, token string, action FormAction, code string) (FormResult, error) {
	cp, err := s.formCheckpoint(ctx, token)
	if err != nil {
		return FormResult{}, err
	}
	v := s.view(cp)
	if cp.Status != checkpoint.StatusPending || cp.FinalOutcome != "" {
		return FormResult{View: v, Message: "This checkpoint is already settled."}, nil
	}
	switch action {
	case FormSubmitCode:
		if cp.WrongCodes >= MaxWrongCodes {
			return FormResult{}, ErrFormLocked
		}
		if normaliseCode(code) == "" {
			return FormResult{View: v, Message: "Type the code you received."}, nil
		}
		q, err := s.SealCode(ctx, cp.ID, code, CodeMeta{Channel: checkpoint.ChannelForm, Source: FormSource, Attribution: AttributedByForm})
		if err != nil {
			return FormResult{}, err
		}
		return s.formAccept(ctx, cp.ID, q)
	case FormTryAnotherWay:
		if !v.CanTryAnotherWay {
			return FormResult{View: v, Message: "This checkpoint has no other way."}, nil
		}
		q, err := s.SealCode(ctx, cp.ID, TryAnotherWayCode, CodeMeta{Channel: checkpoint.ChannelForm, Source: FormSource, Attribution: AttributedByForm})
		if err != nil {
			return FormResult{}, err
		}
		// It may be asked for more than once (each checkpoint of a chain
		// has its own other way), so its fingerprint is the request's; but
		// only while nothing is in flight, and at most as many times as a
		// chain may be long (store.Accept holds both).
		if q.FP, err = s.d.Sealer.Fingerprint(ctx, "try_another_way:"+cp.ID+":"+q.ID); err != nil {
			return FormResult{}, err
		}
		q.OtherWay = true
		res, err := s.formAccept(ctx, cp.ID, q)
		switch {
		case errors.Is(err, store.ErrOtherWayInFlight):
			return FormResult{View: v, Message: "A code is being checked; try another way once it is answered."}, nil
		case errors.Is(err, store.ErrTooManyOtherWays):
			v.CanTryAnotherWay = false
			return FormResult{View: v, Message: "No other way is left for this sign-in."}, nil
		}
		return res, err
	case FormApproved:
		if !v.CanApprove {
			return FormResult{View: v, Message: "This checkpoint cannot be checked for an approval."}, nil
		}
		return s.formApproved(ctx, cp)
	case FormResend:
		if !v.CanResend {
			return FormResult{View: v, Message: "This checkpoint cannot be resent."}, nil
		}
		// Counted in the one bound the execution's resends share: its next
		// resend finds it (too soon: a code is on its way; used up: it
		// ends without one).
		res, err := s.resend(ctx, cp, checkpoint.ChannelForm)
		switch {
		case errors.Is(err, store.ErrResendTooSoon):
			return FormResult{View: v, Message: "A new code was asked for moments ago; wait half a minute before asking again."}, nil
		case errors.Is(err, store.ErrTooManyResends):
			v.CanResend = false
			return FormResult{View: v, Message: "No more codes can be sent for this sign-in."}, nil
		case errors.Is(err, store.ErrNotPending):
			return FormResult{View: v, Message: "This checkpoint is already settled."}, nil
		case err != nil:
			return FormResult{}, err
		}
		if cp, err = s.d.Store.Get(ctx, cp.ID); err != nil {
			return FormResult{}, err
		}
		return FormResult{Outcome: res.Outcome, View: s.view(cp), Message: formMessage("", res.Outcome)}, nil
	}
	return FormResult{View: v, Message: "Unknown action."}, nil
}

// FormSource names the form as a code's source.
const FormSource = "form"

// formAccept accepts a form's code and waits for its answer.
func (s *Service) formAccept(ctx context.Context, id string, q store.QueuedCode) (FormResult, error) {
	r, err := s.Accept(ctx, id, q)
	if err != nil {
		return FormResult{}, err
	}
	cp, err := s.d.Store.Get(ctx, id)
	if err != nil {
		return FormResult{}, err
	}
	if r.Status != DeliveryAccepted {
		if r.Status == DeliveryLate && cp.Status == checkpoint.StatusPending && cp.WrongCodes >= MaxWrongCodes {
			return FormResult{}, ErrFormLocked
		}
		return FormResult{View: s.view(cp), Message: formMessage(r.Status, "")}, nil
	}
	deadline := time.Now().Add(s.d.FormWait) // real time: a person waits
	for {
		if res, done := s.formAnswer(cp, q.ID); done || !time.Now().Before(deadline) {
			return res, nil
		}
		select {
		case <-ctx.Done():
			return s.checking(cp, q.ID), nil
		case <-time.After(s.d.FormPoll):
		}
		if cp, err = s.d.Store.Get(ctx, id); err != nil {
			return FormResult{}, err
		}
	}
}

// formAnswer is the form's result for queued code codeID of cp; done is
// false while the execution has not answered it.
func (s *Service) formAnswer(cp *store.Checkpoint, codeID string) (FormResult, bool) {
	q := cp.QueuedCodeByID(codeID)
	switch {
	case q == nil:
		return FormResult{View: s.view(cp)}, true
	case q.State == store.CodeAnswered:
		o := q.Outcome
		if q.Reason == ReasonAmbiguousAfterTimeout {
			o = checkpoint.Restart
		}
		return FormResult{Outcome: o, View: s.view(cp), Message: formMessage("", o)}, true
	case cp.Status != checkpoint.StatusPending:
		// Ended before the code's turn (another code's answer ended it).
		return FormResult{View: s.view(cp), Message: formMessage(DeliveryLate, "")}, true
	}
	return s.checking(cp, codeID), false
}

func (s *Service) checking(cp *store.Checkpoint, codeID string) FormResult {
	return FormResult{View: s.view(cp), CodeID: codeID, Message: "Checking your code…"}
}

// FormCheck implements FormService.
func (s *Service) FormCheck(ctx context.Context, token, codeID string) (FormResult, error) {
	cp, err := s.formCheckpoint(ctx, token)
	if err != nil {
		return FormResult{}, err
	}
	res, _ := s.formAnswer(cp, codeID)
	return res, nil
}

// formApproved wakes a polling execution waiting between two polls, and
// waits (FormWait) for a poll after this moment to be recorded. Without a
// wait to end, a poll is under way already, and it is the one waited for.
func (s *Service) formApproved(ctx context.Context, cp *store.Checkpoint) (FormResult, error) {
	token, err := s.d.Store.TakeTaskToken(ctx, cp.ID)
	if err != nil {
		return FormResult{}, err
	}
	if token != "" {
		s.wake(ctx, cp.ID, token, OutcomePollNow)
	}
	polls := cp.Polls
	deadline := time.Now().Add(s.d.FormWait)
	for {
		select {
		case <-ctx.Done():
			return FormResult{}, ctx.Err()
		case <-time.After(s.d.FormPoll):
		}
		if cp, err = s.d.Store.Get(ctx, cp.ID); err != nil {
			return FormResult{}, err
		}
		if cp.FinalOutcome != "" || cp.Status != checkpoint.StatusPending {
			o := cp.FinalOutcome
			if o == "" {
				return FormResult{View: s.view(cp), Message: formMessage(DeliveryLate, "")}, nil
			}
			return FormResult{Outcome: o, View: s.view(cp), Message: formMessage("", o)}, nil
		}
		if cp.Polls > polls || !time.Now().Before(deadline) {
			return FormResult{Outcome: checkpoint.Pending, View: s.view(cp), Message: formMessage("", checkpoint.Pending)}, nil
		}
	}
}

// formMessage is the sentence the form shows; it never repeats the code.
func formMessage(st DeliveryStatus, o checkpoint.Outcome) string {
	switch st {
	case DeliveryCodeReused:
		return "This code was already tried."
	case DeliveryLate:
		return "This checkpoint is already settled."
	case DeliveryQueueFull:
		return "Too many codes were sent for this checkpoint."
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
