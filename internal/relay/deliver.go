package relay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// Deliver handles one code that arrived by webhook: de-duplicate, find the
// checkpoint, claim, solve, record, notify the execution.
//
// The message id is recorded first, so concurrent retries of one message
// are handled once. If handling then fails before the code reached the
// provider, the id is forgotten again so the provider's retry is handled;
// once the provider has seen the code, a retry is a duplicate (a code is
// never submitted twice). A code that found another code's solve still
// running (DeliveryBusy) is forgotten the same way: the sender is asked to
// retry it.
func (s *Service) Deliver(ctx context.Context, d Delivery) (DeliveryResult, error) {
	if d.MessageID != "" {
		first, err := s.d.Store.MarkMessageSeen(ctx, d.Source, d.MessageID, s.now())
		if err != nil {
			return DeliveryResult{}, err
		}
		if !first {
			return DeliveryResult{Status: DeliveryDuplicate}, nil
		}
	}
	res, submitted, err := s.deliver(ctx, d)
	if (err != nil || res.Status == DeliveryBusy) && !submitted && d.MessageID != "" {
		if ferr := s.d.Store.ForgetMessage(context.WithoutCancel(ctx), d.Source, d.MessageID); ferr != nil {
			s.d.Log.Warn("forget message id after a failed delivery", "source", d.Source, "error", ferr)
		}
	}
	return res, err
}

// deliver is Deliver after de-duplication; submitted reports whether the
// code reached the provider.
func (s *Service) deliver(ctx context.Context, d Delivery) (DeliveryResult, bool, error) {
	var pending, ended *store.Checkpoint
	for _, r := range d.Recipients {
		cp, err := s.d.Store.NewestForRecipient(ctx, r)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return DeliveryResult{}, false, err
		}
		if cp.Status == checkpoint.StatusPending && cp.FinalOutcome == "" {
			pending = cp
			break
		}
		if ended == nil {
			ended = cp
		}
	}
	switch {
	case pending == nil && ended == nil:
		s.d.Log.Info("delivery for an unknown recipient", "source", d.Source, "channel", d.Channel, "recipients", len(d.Recipients))
		return DeliveryResult{Status: DeliveryUnknownRecipient}, false, nil
	case pending == nil:
		s.recordLate(ctx, ended.ID, d.Channel, d.Code != "")
		return DeliveryResult{Status: DeliveryLate, CheckpointID: ended.ID}, false, nil
	case d.Code == "":
		s.recordEvent(ctx, pending.ID, store.Event{At: s.now(), Kind: store.EventNoCode, Channel: d.Channel, Detail: d.NoCodeReason})
		return DeliveryResult{Status: DeliveryNoCode, CheckpointID: pending.ID}, false, nil
	}
	return s.submitCode(ctx, pending.ID, d.Channel, d.Code)
}

func (s *Service) recordEvent(ctx context.Context, id string, e store.Event) {
	if err := s.d.Store.RecordEvent(ctx, id, e); err != nil {
		s.d.Log.Warn("record event", "checkpoint_id", id, "kind", e.Kind, "error", err)
	}
}

func (s *Service) recordLate(ctx context.Context, id string, ch checkpoint.Channel, hadCode bool) {
	detail := "checkpoint already settled"
	if !hadCode {
		detail += "; no code"
	}
	s.recordEvent(ctx, id, store.Event{At: s.now(), Kind: store.EventLateCode, Channel: ch, Detail: detail})
}

// normaliseCode drops the separators users and extractors put inside a
// code ("123 456", "123-456"). Letters keep their case: the provider
// decides whether case matters in an alphanumeric code.
func normaliseCode(code string) string {
	return strings.NewReplacer(" ", "", "-", "", "\u00a0", "", "\t", "").Replace(strings.TrimSpace(code))
}

// submitCode claims the checkpoint for one code (waiting up to BusyWait
// for another code's solve), solves it, records the outcome and hands it
// to the execution; never past the checkpoint's MaxWrongCodes. submitted
// reports whether the provider was called.
func (s *Service) submitCode(ctx context.Context, id string, ch checkpoint.Channel, code string) (DeliveryResult, bool, error) {
	code = normaliseCode(code)
	fp, err := s.codeFingerprint(ctx, id, code)
	if err != nil {
		return DeliveryResult{}, false, err
	}
	owner := randomString(10)
	ev := store.Event{At: s.now(), Kind: store.EventCodeReceived, Channel: ch}
	cp, err := s.claim(ctx, id, store.Claim{Owner: owner, CodeFP: fp, MaxWrongCodes: MaxWrongCodes, Event: &ev})
	switch {
	case errors.Is(err, store.ErrCodeReused):
		s.recordEvent(ctx, id, store.Event{At: s.now(), Kind: store.EventCodeReused, Channel: ch})
		return DeliveryResult{Status: DeliveryCodeReused, CheckpointID: id}, false, nil
	case errors.Is(err, store.ErrNotPending):
		s.recordLate(ctx, id, ch, true)
		return DeliveryResult{Status: DeliveryLate, CheckpointID: id}, false, nil
	case errors.Is(err, store.ErrBusy):
		s.d.Log.Info("code not solved: another solve held the lease", "checkpoint_id", id, "channel", ch)
		return DeliveryResult{Status: DeliveryBusy, CheckpointID: id}, false, nil
	case errors.Is(err, store.ErrTooManyWrongCodes):
		// The state machine is ending the checkpoint: the code is as
		// late as one after its end.
		if ch == checkpoint.ChannelForm {
			return DeliveryResult{}, false, ErrFormLocked
		}
		s.recordEvent(ctx, id, store.Event{At: s.now(), Kind: store.EventLateCode, Channel: ch, Detail: "too many wrong codes already"})
		return DeliveryResult{Status: DeliveryLate, CheckpointID: id}, false, nil
	case err != nil:
		return DeliveryResult{}, false, err
	}
	res, err := s.solve(ctx, cp, code, ch)
	if err != nil {
		_ = s.d.Store.ReleaseLease(context.WithoutCancel(ctx), id, owner, fp)
		return DeliveryResult{}, false, err
	}
	// The provider has the code now: record and hand off even if the
	// sender gave up waiting.
	ctx = context.WithoutCancel(ctx)
	out, result := s.outcomeOf(cp, res, ch)
	if res.Outcome == checkpoint.Retry {
		if out.SealedPendingCode, err = s.d.Sealer.Seal(ctx, []byte(code), store.PendingCodeContext(id)); err != nil {
			_ = s.d.Store.ReleaseLease(ctx, id, owner, "")
			return DeliveryResult{}, true, err
		}
	}
	out.Result = resultJSON(result)
	h, owner, err := s.settle(ctx, id, owner, out)
	if err != nil {
		return DeliveryResult{}, true, fmt.Errorf("relay: record outcome: %w", err)
	}
	if err := s.handOff(ctx, id, owner, h, result); err != nil {
		return DeliveryResult{}, true, err
	}
	s.d.Log.Info("code solved", "checkpoint_id", id, "channel", ch, "outcome", res.Outcome, "error_type", res.ErrorType)
	return DeliveryResult{Status: DeliverySolved, CheckpointID: id, Outcome: res.Outcome}, true, nil
}

// settle records the outcome of a solve whose call reached the provider.
// Should the lease have been lost meanwhile (it ran out, or the checkpoint
// ended), the provider's answer is still a fact: it is recorded without
// the lease while the checkpoint is pending, and only in the history once
// it has ended. Either way the caller goes on (a webhook answers 2xx: its
// sender's retry could only be a duplicate). It returns the owner whose
// lease the hand-off releases: "" once the lease was lost.
func (s *Service) settle(ctx context.Context, id, owner string, out store.Outcome) (store.Handoff, string, error) {
	h, err := s.d.Store.Settle(ctx, id, owner, out)
	if !errors.Is(err, store.ErrLeaseLost) || h.Checkpoint == nil {
		return h, owner, err
	}
	if h.Checkpoint.Status == checkpoint.StatusPending {
		s.d.Log.Warn("solve lease lost before the outcome was recorded; recording it anyway", "checkpoint_id", id, "outcome", out.Event.Outcome)
		h, err = s.d.Store.Settle(ctx, id, "", out)
		return h, "", err
	}
	s.d.Log.Warn("outcome arrived after the checkpoint ended", "checkpoint_id", id, "outcome", out.Event.Outcome, "status", h.Checkpoint.Status)
	e := out.Event
	e.Detail = strings.TrimPrefix(e.Detail+"; after the end ("+string(h.Checkpoint.Status)+")", "; ")
	s.recordEvent(ctx, id, e)
	return store.Handoff{Checkpoint: h.Checkpoint}, "", nil
}

// claim takes the solve lease, waiting while another solve holds it.
func (s *Service) claim(ctx context.Context, id string, c store.Claim) (*store.Checkpoint, error) {
	// The wait is real time; the lease is in the relay's clock.
	deadline := time.Now().Add(s.d.BusyWait)
	for {
		c.Now = s.d.Now()
		c.LeaseFor = s.d.LeaseFor
		cp, err := s.d.Store.ClaimSolve(ctx, id, c)
		if !errors.Is(err, store.ErrBusy) || !time.Now().Before(deadline) {
			return cp, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(s.d.BusyPoll):
		}
	}
}

// solve calls the API. A request the client refused before sending
// (malformed code, unsupported call) is reported as invalid_code for a
// code and rejected for a poll, so the state machine's bounds apply.
func (s *Service) solve(ctx context.Context, cp *store.Checkpoint, code string, ch checkpoint.Channel) (providerapi.Result, error) {
	client, err := s.client(cp.API)
	if err != nil {
		return providerapi.Result{}, err
	}
	res, err := client.Solve(ctx, providerapi.SolveRequest{AccountID: cp.AccountID, Provider: cp.Provider, Type: cp.Type, Code: code})
	if err != nil {
		outcome := checkpoint.InvalidCode
		if code == "" {
			outcome = checkpoint.Rejected
		}
		s.d.Log.Info("solve refused before sending", "checkpoint_id", cp.ID, "channel", ch, "error", err)
		return providerapi.Result{Outcome: outcome, ErrorType: "relay/refused", Detail: err.Error()}, nil
	}
	return res, nil
}

// outcomeOf turns an API answer into what the store records and what the
// execution is told.
func (s *Service) outcomeOf(cp *store.Checkpoint, res providerapi.Result, ch checkpoint.Channel) (store.Outcome, TaskResult) {
	out := store.Outcome{Event: store.Event{At: s.now(), Kind: store.EventSolve, Channel: ch, Outcome: res.Outcome, Detail: res.ErrorType}}
	result := TaskResult{Outcome: res.Outcome, Mode: cp.Mode, Type: cp.Type, Detail: res.Detail, ErrorType: res.ErrorType, WrongCodes: cp.WrongCodes}
	switch res.Outcome {
	case checkpoint.InvalidCode:
		if ch != checkpoint.ChannelTOTP {
			// Exact: cp was read by the claim, and only the lease holder
			// counts wrong codes.
			out.WrongCodes = 1
			result.WrongCodes++
		}
		if ch == checkpoint.ChannelForm {
			out.FormWrongCodes = 1
		}
	case checkpoint.NextCheckpoint:
		next := checkpoint.TypeUnknown
		if res.NextCheckpoint != nil && res.NextCheckpoint.Type != "" {
			next = res.NextCheckpoint.Type
		}
		mode := checkpoint.ModeFor(cp.API, next, cp.SealedTOTPSecret != nil)
		out.NewType, out.NewMode = next, mode
		result.Type, result.Mode = next, mode
		out.Event.Detail = "next: " + string(next)
	case checkpoint.Connected, checkpoint.Restart, checkpoint.Rejected:
		out.Final = res.Outcome
	case checkpoint.Retry:
		// The execution solves the sealed code again (mode pending_code).
		result.Mode = cp.Mode
	}
	return out, result
}
