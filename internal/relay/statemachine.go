package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// AwaitCode is the await-code task: it stores the task token so a code
// handler can resume the execution, or, when an outcome was recorded while
// nothing waited, resumes the execution with it at once. That outcome is
// handed off as a code handler hands off its own: should Step Functions
// refuse it, it is parked again for the late solve rather than lost.
func (s *Service) AwaitCode(ctx context.Context, in AwaitCodeInput) error {
	if in.CheckpointID == "" || in.TaskToken == "" {
		return fmt.Errorf("relay: await-code needs checkpoint_id and task_token")
	}
	parked, err := s.d.Store.StoreTaskToken(ctx, in.CheckpointID, in.TaskToken)
	if errors.Is(err, store.ErrNotPending) || errors.Is(err, store.ErrNotFound) {
		return s.d.Workflow.Fail(ctx, in.TaskToken, ErrorCheckpointEnded, "the checkpoint has ended")
	}
	if err != nil {
		return err
	}
	if parked == "" {
		return nil
	}
	var result TaskResult
	if err := json.Unmarshal([]byte(parked), &result); err != nil {
		return fmt.Errorf("relay: decode parked outcome: %w", err)
	}
	return s.handOff(context.WithoutCancel(ctx), in.CheckpointID, "", store.Handoff{TaskToken: in.TaskToken}, result)
}

// Solve is the solve task. Before calling the API it returns an outcome a
// code handler recorded while the execution was not waiting for one (a code
// typed during a poll, or after a TOTP attempt). A code left pending by a
// transient answer is submitted first, whatever the mode: it is the user's
// own code and the freshest there is (a parked retry only announces it).
//
// A transient provider answer is the error Relay.ProviderRetry, returned
// unwrapped so the Lambda runtime reports that name.
func (s *Service) Solve(ctx context.Context, in SolveInput) (TaskResult, error) {
	if in.Mode == SolveLate {
		return s.solveLate(ctx, in.CheckpointID)
	}
	if parked, err := s.d.Store.TakeUndelivered(ctx, in.CheckpointID); err != nil {
		return TaskResult{}, err
	} else if parked != "" {
		var result TaskResult
		if err := json.Unmarshal([]byte(parked), &result); err != nil {
			return TaskResult{}, fmt.Errorf("relay: decode parked outcome: %w", err)
		}
		if result.Outcome != checkpoint.Retry {
			return result, nil
		}
	}
	switch in.Mode {
	case SolveTOTP, SolvePoll:
		cp, err := s.d.Store.Get(ctx, in.CheckpointID)
		if err != nil {
			return TaskResult{}, err
		}
		if cp.SealedPendingCode != nil {
			return s.solvePending(ctx, in.CheckpointID)
		}
		if in.Mode == SolveTOTP {
			return s.solveTOTP(ctx, in.CheckpointID)
		}
		return s.solveTask(ctx, in.CheckpointID, "", "", checkpoint.ChannelPoll)
	case SolvePendingCode:
		return s.solvePending(ctx, in.CheckpointID)
	}
	return TaskResult{}, fmt.Errorf("relay: unknown solve mode %q", in.Mode)
}

// solveLate runs when a code wait timed out. A code that reached the relay
// before the wait ended is answered as if it had come in time: if its solve
// is still running it is waited for (Relay.SolveInProgress after BusyWait),
// then the outcome its handler parked, or the recorded final outcome, is
// the answer; with neither it is OutcomeNone (no code in time).
func (s *Service) solveLate(ctx context.Context, id string) (TaskResult, error) {
	cp, err := s.awaitSolve(ctx, id)
	if err != nil {
		return TaskResult{}, err
	}
	if cp.Status != checkpoint.StatusPending {
		return TaskResult{}, TaskError(ErrorCheckpointEnded, "the checkpoint has ended")
	}
	parked, err := s.d.Store.TakeUndelivered(ctx, id)
	if err != nil {
		return TaskResult{}, err
	}
	if parked != "" {
		var result TaskResult
		if err := json.Unmarshal([]byte(parked), &result); err != nil {
			return TaskResult{}, fmt.Errorf("relay: decode parked outcome: %w", err)
		}
		return result, nil
	}
	if cp.FinalOutcome != "" {
		return resultOf(cp, cp.FinalOutcome), nil
	}
	return resultOf(cp, OutcomeNone), nil
}

// awaitSolve reads the checkpoint once no solve holds its lease, waiting
// up to BusyWait (real time, as claim does) for one that does; then it
// answers Relay.SolveInProgress, for the state machine to retry.
func (s *Service) awaitSolve(ctx context.Context, id string) (*store.Checkpoint, error) {
	deadline := time.Now().Add(s.d.BusyWait)
	for {
		cp, err := s.d.Store.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if cp.LeaseOwner == "" || cp.LeaseUntil < s.d.Now().UnixMilli() || cp.Status != checkpoint.StatusPending {
			return cp, nil
		}
		if !time.Now().Before(deadline) {
			return nil, TaskError(ErrorSolveInProgress, "a code is being solved")
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(s.d.BusyPoll):
		}
	}
}

// resultOf is a task result that reports an outcome of cp as it stands.
func resultOf(cp *store.Checkpoint, o checkpoint.Outcome) TaskResult {
	return TaskResult{Outcome: o, Mode: cp.Mode, Type: cp.Type, WrongCodes: cp.WrongCodes}
}

// TOTPPeriod is the authenticator time step.
const TOTPPeriod = 30

// solveTOTP submits the authenticator code of the current time step, or of
// the step after the last one used: a rejected code is retried in the next
// step, never with the same code.
func (s *Service) solveTOTP(ctx context.Context, id string) (TaskResult, error) {
	cp, err := s.d.Store.Get(ctx, id)
	if err != nil {
		return TaskResult{}, err
	}
	if cp.SealedTOTPSecret == nil {
		return TaskResult{}, fmt.Errorf("relay: checkpoint %s has no TOTP secret", id)
	}
	secret, err := s.d.Sealer.Open(ctx, cp.SealedTOTPSecret, store.TOTPContext(id))
	if err != nil {
		return TaskResult{}, fmt.Errorf("relay: open TOTP secret: %w", err)
	}
	step := s.now().Unix() / TOTPPeriod
	if step <= cp.TOTPStep {
		step = cp.TOTPStep + 1
	}
	// A code already claimed for this step (an attempt that died before
	// recording its step) is never sent again: take the next step.
	for range 3 {
		code, err := TOTPCode(string(secret), step)
		if err != nil {
			return TaskResult{}, err
		}
		fp, err := s.codeFingerprint(ctx, id, code)
		if err != nil {
			return TaskResult{}, err
		}
		res, err := s.solveTaskStep(ctx, id, code, fp, checkpoint.ChannelTOTP, step)
		if !errors.Is(err, store.ErrCodeReused) {
			return res, err
		}
		step++
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

// solvePending submits again a code whose first solve hit a transient
// error. The sealed code stays on the item until an answer other than
// retry comes back.
func (s *Service) solvePending(ctx context.Context, id string) (TaskResult, error) {
	cp, err := s.d.Store.Get(ctx, id)
	if err != nil {
		return TaskResult{}, err
	}
	if cp.SealedPendingCode == nil {
		// Already settled by an earlier attempt whose answer was lost:
		// answer the end if there is one, else let the execution wait for
		// another code.
		if cp.FinalOutcome != "" {
			return resultOf(cp, cp.FinalOutcome), nil
		}
		r := resultOf(cp, checkpoint.InvalidCode)
		r.Detail = "no pending code"
		return r, nil
	}
	code, err := s.d.Sealer.Open(ctx, cp.SealedPendingCode, store.PendingCodeContext(id))
	if err != nil {
		return TaskResult{}, fmt.Errorf("relay: open pending code: %w", err)
	}
	// The channel the code first came by is not kept; the history has it.
	return s.solveTask(ctx, id, string(code), "", "")
}

func (s *Service) solveTask(ctx context.Context, id, code, fp string, ch checkpoint.Channel) (TaskResult, error) {
	return s.solveTaskStep(ctx, id, code, fp, ch, 0)
}

// solveTaskStep is the solve task's claim, call and record. Its result
// is the task's output, so nothing is handed off.
func (s *Service) solveTaskStep(ctx context.Context, id, code, fp string, ch checkpoint.Channel, step int64) (TaskResult, error) {
	owner := randomString(10)
	cp, err := s.claim(ctx, id, store.Claim{Owner: owner, CodeFP: fp})
	switch {
	case errors.Is(err, store.ErrBusy):
		// A code handler is solving right now; its outcome is parked for
		// the next poll (or sent to the next await-code).
		if ch == checkpoint.ChannelPoll {
			return s.pendingResult(ctx, id)
		}
		return TaskResult{}, TaskError(ErrorProviderRetry, "another solve is in progress")
	case errors.Is(err, store.ErrNotPending):
		if cp != nil && cp.Status == checkpoint.StatusPending && cp.FinalOutcome != "" {
			return resultOf(cp, cp.FinalOutcome), nil
		}
		return TaskResult{}, TaskError(ErrorCheckpointEnded, "the checkpoint has ended")
	case err != nil:
		return TaskResult{}, err
	}
	res, err := s.solve(ctx, cp, code, ch)
	if err != nil {
		_ = s.d.Store.ReleaseLease(context.WithoutCancel(ctx), id, owner, fp)
		return TaskResult{}, err
	}
	out, result := s.outcomeOf(cp, res, ch)
	out.TOTPStep = step
	switch {
	case ch == checkpoint.ChannelPoll:
		out.Polls = 1
		out.Event.Kind = store.EventPoll
		if res.Outcome == checkpoint.Pending && cp.Polls > 0 {
			out.Event = store.Event{} // only the first pending poll goes in the history
		}
	case code != "" && fp == "" && res.Outcome != checkpoint.Retry:
		out.ClearPendingCode = true
	}
	if _, _, err := s.settle(context.WithoutCancel(ctx), id, owner, out); err != nil {
		return TaskResult{}, fmt.Errorf("relay: record outcome: %w", err)
	}
	if res.Outcome == checkpoint.Retry {
		return TaskResult{}, TaskError(ErrorProviderRetry, "provider answered a transient error: "+res.ErrorType)
	}
	return result, nil
}

func (s *Service) pendingResult(ctx context.Context, id string) (TaskResult, error) {
	cp, err := s.d.Store.Get(ctx, id)
	if err != nil {
		return TaskResult{}, err
	}
	r := resultOf(cp, checkpoint.Pending)
	r.Detail = "a code is being solved"
	return r, nil
}

// Resend is the resend task. If a code settled the checkpoint while the
// wait timed out, it answers that outcome instead of resending; a code
// still being solved is waited for first (Relay.SolveInProgress after
// BusyWait), so a resend never crosses a solve at the provider.
func (s *Service) Resend(ctx context.Context, in ResendInput) (TaskResult, error) {
	cp, err := s.awaitSolve(ctx, in.CheckpointID)
	if err != nil {
		return TaskResult{}, err
	}
	if cp.Status != checkpoint.StatusPending {
		return TaskResult{}, TaskError(ErrorCheckpointEnded, "the checkpoint has ended")
	}
	if cp.FinalOutcome != "" {
		if _, err := s.d.Store.TakeUndelivered(ctx, cp.ID); err != nil {
			return TaskResult{}, err
		}
		return resultOf(cp, cp.FinalOutcome), nil
	}
	res, err := s.resend(ctx, cp, checkpoint.Channel(""))
	if err != nil {
		return TaskResult{}, err
	}
	if res.Outcome == checkpoint.Retry {
		return TaskResult{}, TaskError(ErrorProviderRetry, "provider answered a transient error: "+res.ErrorType)
	}
	r := resultOf(cp, res.Outcome)
	r.Detail, r.ErrorType = res.Detail, res.ErrorType
	return r, nil
}

// resend asks the API for the notification again and records it.
func (s *Service) resend(ctx context.Context, cp *store.Checkpoint, ch checkpoint.Channel) (providerapi.Result, error) {
	client, err := s.client(cp.API)
	if err != nil {
		return providerapi.Result{}, err
	}
	res, err := client.Resend(ctx, providerapi.ResendRequest{AccountID: cp.AccountID, Provider: cp.Provider})
	if err != nil {
		res = providerapi.Result{Outcome: checkpoint.Rejected, ErrorType: "relay/refused", Detail: err.Error()}
	}
	out := store.Outcome{Event: store.Event{At: s.now(), Kind: store.EventResend, Channel: ch, Outcome: res.Outcome, Detail: res.ErrorType}}
	if res.Outcome == checkpoint.Resent {
		out.Resends = 1
	}
	if _, err := s.d.Store.Settle(context.WithoutCancel(ctx), cp.ID, "", out); err != nil {
		return providerapi.Result{}, fmt.Errorf("relay: record resend: %w", err)
	}
	return res, nil
}
