package relay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/metrics"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// The checkpoint's execution is the only caller of the provider: its solve
// task takes the queue's head, one code at a time in arrival order, and
// submits it; with an empty queue it polls or submits the authenticator's
// code, as its mode says. Every wait of the execution (the code wait, the
// poll interval, the TOTP step) is an await-code task whose token the
// first accepted code takes, so a code never waits for a wait to end.

// AwaitCode is the await-code task of every wait: it stores the task token
// so that the next code accepted (or the form's "I approved it") ends the
// wait, unless a code is already queued: then it ends the wait itself.
func (s *Service) AwaitCode(ctx context.Context, in AwaitCodeInput) error {
	if in.CheckpointID == "" || in.TaskToken == "" {
		return fmt.Errorf("relay: await-code needs checkpoint_id and task_token")
	}
	queued, err := s.d.Store.StoreTaskToken(ctx, in.CheckpointID, in.TaskToken)
	if errors.Is(err, store.ErrNotPending) || errors.Is(err, store.ErrNotFound) {
		return s.d.Workflow.Fail(ctx, in.TaskToken, ErrorCheckpointEnded, "the checkpoint has ended")
	}
	if err != nil {
		return err
	}
	if queued {
		// A failure here is the task's: Step Functions retries await-code.
		return s.d.Workflow.Succeed(ctx, in.TaskToken, TaskResult{Outcome: OutcomeCodeQueued})
	}
	return nil
}

// Solve is the solve task. It submits the queue's head if a code is
// queued; otherwise, by mode, it answers OutcomeNone (code), polls (poll)
// or submits the authenticator's code (totp).
//
// A transient provider answer is the error Relay.ProviderRetry, returned
// unwrapped so the Lambda runtime reports that name; the state machine
// retries it with backoff, as it retries a failed or timed-out attempt.
func (s *Service) Solve(ctx context.Context, in SolveInput) (TaskResult, error) {
	cp, err := s.d.Store.Get(ctx, in.CheckpointID)
	if errors.Is(err, store.ErrNotFound) {
		return TaskResult{}, TaskError(ErrorCheckpointEnded, "no such checkpoint")
	}
	if err != nil {
		return TaskResult{}, err
	}
	if cp.Status != checkpoint.StatusPending {
		return TaskResult{}, TaskError(ErrorCheckpointEnded, "the checkpoint has ended")
	}
	if cp.FinalOutcome != "" {
		// An earlier attempt recorded the end, then died before answering.
		return resultOf(cp, cp.FinalOutcome), nil
	}
	if cp, err = s.skipUntrusted(ctx, cp); err != nil {
		return TaskResult{}, err
	}
	if head, i := cp.Head(); head != nil {
		return s.solveHead(ctx, cp, head, i)
	}
	switch in.Mode {
	case SolveCode:
		return resultOf(cp, OutcomeNone), nil
	case SolvePoll:
		return s.poll(ctx, cp)
	case SolveTOTP:
		return s.solveTOTP(ctx, cp)
	}
	return TaskResult{}, fmt.Errorf("relay: unknown solve mode %q", in.Mode)
}

// solveHead submits the queue's head, entry i of cp.
//
// A head found claimed was claimed by an attempt that died or got no
// answer, so the provider may have it: it is sent once more, and an
// answer that contradicts success then (wrong code, no live intent) may
// be the first submission's doing, so it is reported as OutcomeAmbiguous,
// never as a plain wrong code or restart. It is never sent a third time.
func (s *Service) solveHead(ctx context.Context, cp *store.Checkpoint, head *store.QueuedCode, i int) (TaskResult, error) {
	resubmit := head.State == store.CodeClaimed
	if resubmit && head.Resubmitted {
		return s.answerAmbiguous(ctx, cp, head, i, head.Claims, providerapi.Result{ErrorType: providerapi.CaseTimeout},
			"no answer to the code's resubmission either")
	}
	code, err := s.d.Sealer.Open(ctx, head.Sealed, store.QueuedCodeContext(cp.ID))
	if err != nil {
		return TaskResult{}, fmt.Errorf("relay: open queued code: %w", err)
	}
	claimed, err := s.d.Store.ClaimHead(ctx, cp.ID, i, head.Claims, resubmit, s.now())
	switch {
	case errors.Is(err, store.ErrNotPending):
		return TaskResult{}, TaskError(ErrorCheckpointEnded, "the checkpoint has ended")
	case err != nil:
		// ErrQueueMoved: another attempt of this task took the head; this
		// one fails and the state machine's retry reads the queue anew.
		return TaskResult{}, err
	}
	claims := head.Claims + 1
	metrics.ProviderCalled(ctx, string(head.Channel), s.now().Sub(head.ArrivedAt))
	res, err := s.solve(ctx, claimed, string(code), head.Channel)
	if err != nil {
		return TaskResult{}, err
	}
	// The provider may have the code now: record whatever happens to the
	// caller's context.
	ctx = context.WithoutCancel(ctx)
	if res.Outcome == checkpoint.Retry {
		if resubmit {
			return s.answerAmbiguous(ctx, claimed, head, i, claims, res, "the resubmission got no usable answer")
		}
		if mayHaveReached(res) {
			// No answer: the code stays claimed, and the next attempt
			// resubmits it once.
			s.recordEvent(ctx, cp.ID, store.Event{At: s.now(), Kind: store.EventSolveRetry, Channel: head.Channel, Detail: res.ErrorType + "; the provider may have it"})
		} else if err := s.d.Store.RequeueHead(ctx, cp.ID, i, claims, store.Event{
			At: s.now(), Kind: store.EventSolveRetry, Channel: head.Channel, Detail: res.ErrorType,
		}); err != nil {
			return TaskResult{}, err
		}
		return TaskResult{}, TaskError(ErrorProviderRetry, "provider answered a transient error: "+res.ErrorType)
	}
	if resubmit && contradictsSuccess(res.Outcome) {
		return s.answerAmbiguous(ctx, claimed, head, i, claims, res, "the resubmission was refused")
	}
	out, result := s.outcomeOf(claimed, res, head.Channel)
	answered, err := s.d.Store.AnswerHead(ctx, cp.ID, i, claims, store.Answer{Outcome: res.Outcome, ErrorType: res.ErrorType, At: s.now()}, out)
	if err != nil {
		return TaskResult{}, fmt.Errorf("relay: record outcome: %w", err)
	}
	switch {
	case res.Outcome == checkpoint.InvalidCode:
		s.offerOn(ctx, cp.ID, head, string(code))
	case out.Final != "":
		s.passOnQueued(ctx, answered)
	}
	s.d.Log.Info("code solved", "checkpoint_id", cp.ID, "channel", head.Channel, "outcome", res.Outcome,
		"error_type", res.ErrorType, "claims", claims, "queued_ms", s.now().Sub(head.ArrivedAt).Milliseconds())
	result.FromQueue = true
	return result, nil
}

// answerAmbiguous records the head's end as ambiguous: the checkpoint ends
// restart_required, since nobody can tell whether the first submission
// connected the account.
func (s *Service) answerAmbiguous(ctx context.Context, cp *store.Checkpoint, head *store.QueuedCode, i, claims int, res providerapi.Result, detail string) (TaskResult, error) {
	ev := store.Event{At: s.now(), Kind: store.EventSolve, Channel: head.Channel, Outcome: res.Outcome,
		Detail: ReasonAmbiguousAfterTimeout + reasonTail(res.ErrorType)}
	a := store.Answer{Outcome: res.Outcome, ErrorType: res.ErrorType, Reason: ReasonAmbiguousAfterTimeout, At: s.now()}
	if a.Outcome == "" {
		a.Outcome = checkpoint.Retry
	}
	if _, err := s.d.Store.AnswerHead(ctx, cp.ID, i, claims, a, store.Outcome{Event: ev, Final: checkpoint.Restart}); err != nil {
		return TaskResult{}, fmt.Errorf("relay: record outcome: %w", err)
	}
	s.d.Log.Warn("code answer ambiguous after a timeout", "checkpoint_id", cp.ID, "outcome", res.Outcome, "error_type", res.ErrorType)
	r := resultOf(cp, OutcomeAmbiguous)
	r.Detail, r.ErrorType, r.FromQueue = detail, res.ErrorType, true
	return r, nil
}

func reasonTail(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// mayHaveReached reports whether a transient answer leaves open that the
// provider took the code: no answer before the deadline, or the
// connection lost before a complete answer.
func mayHaveReached(res providerapi.Result) bool {
	return res.ErrorType == providerapi.CaseTimeout || res.ErrorType == providerapi.CaseNetworkError
}

// contradictsSuccess: answers a resubmission gets when the first
// submission already used the intent up.
func contradictsSuccess(o checkpoint.Outcome) bool {
	return o == checkpoint.InvalidCode || o == checkpoint.Restart
}

// resultOf is a task result that reports an outcome of cp as it stands.
func resultOf(cp *store.Checkpoint, o checkpoint.Outcome) TaskResult {
	return TaskResult{Outcome: o, Mode: cp.Mode, Type: cp.Type, WrongCodes: cp.WrongCodes}
}

// poll asks the API whether the in-app approval was given.
func (s *Service) poll(ctx context.Context, cp *store.Checkpoint) (TaskResult, error) {
	res, err := s.solve(ctx, cp, "", checkpoint.ChannelPoll)
	if err != nil {
		return TaskResult{}, err
	}
	out, result := s.outcomeOf(cp, res, checkpoint.ChannelPoll)
	out.Polls = 1
	out.Event.Kind = store.EventPoll
	if res.Outcome == checkpoint.Pending && cp.Polls > 0 {
		out.Event = store.Event{} // only the first pending poll goes in the history
	}
	if _, err := s.d.Store.Record(context.WithoutCancel(ctx), cp.ID, out); err != nil {
		return TaskResult{}, fmt.Errorf("relay: record poll: %w", err)
	}
	if res.Outcome == checkpoint.Retry {
		return TaskResult{}, TaskError(ErrorProviderRetry, "provider answered a transient error: "+res.ErrorType)
	}
	return result, nil
}

// TOTPPeriod is the authenticator time step.
const TOTPPeriod = 30

// solveTOTP submits the authenticator code of the current time step, or of
// the step after the last one used: a rejected code is retried in the next
// step, never with the same code. The code's fingerprint is recorded
// before it is sent, so an attempt that dies after sending never has its
// code sent again by the retry.
func (s *Service) solveTOTP(ctx context.Context, cp *store.Checkpoint) (TaskResult, error) {
	if cp.SealedTOTPSecret == nil {
		return TaskResult{}, fmt.Errorf("relay: checkpoint %s has no TOTP secret", cp.ID)
	}
	secret, err := s.d.Sealer.Open(ctx, cp.SealedTOTPSecret, store.TOTPContext(cp.ID))
	if err != nil {
		return TaskResult{}, fmt.Errorf("relay: open TOTP secret: %w", err)
	}
	step := s.now().Unix() / TOTPPeriod
	if step <= cp.TOTPStep {
		step = cp.TOTPStep + 1
	}
	for range 3 {
		code, err := TOTPCode(string(secret), step)
		if err != nil {
			return TaskResult{}, err
		}
		fp, err := s.codeFingerprint(ctx, cp.ID, code)
		if err != nil {
			return TaskResult{}, err
		}
		err = s.d.Store.UseCode(ctx, cp.ID, fp, step)
		if errors.Is(err, store.ErrCodeReused) {
			step++
			continue
		}
		if errors.Is(err, store.ErrNotPending) {
			return TaskResult{}, TaskError(ErrorCheckpointEnded, "the checkpoint has ended")
		}
		if err != nil {
			return TaskResult{}, err
		}
		res, err := s.solve(ctx, cp, code, checkpoint.ChannelTOTP)
		if err != nil {
			return TaskResult{}, err
		}
		out, result := s.outcomeOf(cp, res, checkpoint.ChannelTOTP)
		if _, err := s.d.Store.Record(context.WithoutCancel(ctx), cp.ID, out); err != nil {
			return TaskResult{}, fmt.Errorf("relay: record outcome: %w", err)
		}
		if res.Outcome == checkpoint.Retry {
			return TaskResult{}, TaskError(ErrorProviderRetry, "provider answered a transient error: "+res.ErrorType)
		}
		return result, nil
	}
	return TaskResult{}, TaskError(ErrorProviderRetry, "authenticator codes already used; waiting for the next step")
}

// TOTPCode is the 6-digit SHA-1 code of a base32 secret at a time step, as
// authenticator apps compute it (RFC 6238).
func TOTPCode(secret string, step int64) (string, error) {
	return totp.GenerateCodeCustom(secret, time.Unix(step*TOTPPeriod, 0).UTC(), totp.ValidateOpts{
		Period: TOTPPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
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
			// Exact: cp was read by the claim, and only the execution
			// counts wrong codes, one code at a time.
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
	}
	return out, result
}

// Resend is the resend task. If a code settled the checkpoint meanwhile,
// it answers that outcome instead of resending.
func (s *Service) Resend(ctx context.Context, in ResendInput) (TaskResult, error) {
	cp, err := s.d.Store.Get(ctx, in.CheckpointID)
	if err != nil {
		return TaskResult{}, err
	}
	if cp.Status != checkpoint.StatusPending {
		return TaskResult{}, TaskError(ErrorCheckpointEnded, "the checkpoint has ended")
	}
	if cp.FinalOutcome != "" {
		return resultOf(cp, cp.FinalOutcome), nil
	}
	res, err := s.resend(ctx, cp, checkpoint.Channel(""))
	switch {
	case errors.Is(err, store.ErrResendTooSoon):
		// The form asked for one moments ago: a code is on its way, which
		// the execution waits for as for its own resend's.
		r := resultOf(cp, checkpoint.Resent)
		r.Detail = "resent from the form moments ago"
		return r, nil
	case errors.Is(err, store.ErrTooManyResends):
		// The form used the checkpoint's resends: none is left to ask.
		r := resultOf(cp, OutcomeNone)
		r.Detail = "no resend left: the form's count too"
		return r, nil
	case errors.Is(err, store.ErrNotPending):
		return TaskResult{}, TaskError(ErrorCheckpointEnded, "the checkpoint has ended")
	case err != nil:
		return TaskResult{}, err
	}
	if res.Outcome == checkpoint.Retry {
		return TaskResult{}, TaskError(ErrorProviderRetry, "provider answered a transient error: "+res.ErrorType)
	}
	r := resultOf(cp, res.Outcome)
	r.Detail, r.ErrorType = res.Detail, res.ErrorType
	return r, nil
}

// resend asks the API for the notification again and records it. It
// first reserves the resend in the checkpoint's one bound (MaxResends,
// ResendGap apart (scaled by Deps.TimeScale): store.ErrTooManyResends, store.ErrResendTooSoon), and
// gives the reservation back when the provider did not resend.
func (s *Service) resend(ctx context.Context, cp *store.Checkpoint, ch checkpoint.Channel) (providerapi.Result, error) {
	client, err := s.client(cp.API)
	if err != nil {
		return providerapi.Result{}, err
	}
	// The gap shrinks with the state machine's waits on the local stack's
	// time scale, so a scaled run resends as AWS does.
	gap := time.Duration(float64(ResendGap) * s.d.TimeScale)
	prev, err := s.d.Store.ReserveResend(ctx, cp.ID, s.now(), MaxResends, gap)
	if err != nil {
		return providerapi.Result{}, err
	}
	res, err := client.Resend(ctx, providerapi.ResendRequest{AccountID: cp.AccountID, Provider: cp.Provider})
	if err != nil {
		res = providerapi.Result{Outcome: checkpoint.Rejected, ErrorType: "relay/refused", Detail: err.Error()}
	}
	if res.Outcome != checkpoint.Resent {
		if err := s.d.Store.ReleaseResend(context.WithoutCancel(ctx), cp.ID, prev); err != nil {
			s.d.Log.Warn("give back a resend not made", "checkpoint_id", cp.ID, "error", err)
		}
	}
	out := store.Outcome{Event: store.Event{At: s.now(), Kind: store.EventResend, Channel: ch, Outcome: res.Outcome, Detail: res.ErrorType}}
	if res.Outcome == checkpoint.Resent {
		out.Resends = 1
	}
	if _, err := s.d.Store.Record(context.WithoutCancel(ctx), cp.ID, out); err != nil {
		return providerapi.Result{}, fmt.Errorf("relay: record resend: %w", err)
	}
	return res, nil
}
