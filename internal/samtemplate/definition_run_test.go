package samtemplate_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/asl"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
)

// scriptedRun runs the checkpoint definition on the local runner with
// scripted task functions, and records what each function was asked.
type scriptedRun struct {
	runner *asl.Runner
	mu     sync.Mutex
	calls  map[string][]map[string]any // function -> payloads
}

func (r *scriptedRun) record(fn string, payload []byte) map[string]any {
	var p map[string]any
	_ = json.Unmarshal(payload, &p)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[fn] = append(r.calls[fn], p)
	return p
}

func (r *scriptedRun) count(fn string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls[fn])
}

func (r *scriptedRun) last(fn string) map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls[fn]) == 0 {
		return nil
	}
	return r.calls[fn][len(r.calls[fn])-1]
}

// taskFunc answers the n-th call (from 0) of a task function.
type taskFunc func(run *scriptedRun, n int, payload map[string]any) (any, error)

var substitutionOf = map[string]string{
	"await-code": "AwaitCodeFunctionArn", "solve": "SolveFunctionArn",
	"resend": "ResendFunctionArn", "finish": "FinishFunctionArn",
}

// runScripted runs one execution of a code checkpoint whose waits last
// code_wait_seconds (scaled down) and returns its description and the run.
func runScripted(t *testing.T, in relay.ExecutionInput, fns map[string]taskFunc) (asl.ExecutionDescription, *scriptedRun) {
	t.Helper()
	tmpl := loadTemplate(t)
	sm, def := loadDefinition(t, tmpl)
	values := map[string]string{}
	for k := range sm.Substitutions {
		values[k] = "arn:aws:lambda:us-east-1:123456789012:function:" + k
	}
	b, err := asl.Substitute([]byte(def.text), values)
	if err != nil {
		t.Fatal(err)
	}
	invoker := asl.NewFunctions()
	run := &scriptedRun{calls: map[string][]map[string]any{}}
	run.runner = asl.New(asl.Options{Invoker: invoker, TimeScale: 0.001})
	for fn, key := range substitutionOf {
		f := fns[fn]
		invoker.Register(values[key], func(_ context.Context, payload []byte) ([]byte, error) {
			run.mu.Lock()
			n := len(run.calls[fn])
			run.mu.Unlock()
			p := run.record(fn, payload)
			if f == nil {
				t.Errorf("unexpected call of %s: %v", fn, p)
				return nil, relay.TaskError("Test.Unexpected", fn)
			}
			out, err := f(run, n, p)
			if err != nil {
				return nil, err
			}
			return json.Marshal(out)
		})
	}
	arn := asl.StateMachineARN("us-east-1", "123456789012", "checkpoint")
	if err := run.runner.RegisterStateMachine(arn, b); err != nil {
		t.Fatal(err)
	}
	input, _ := json.Marshal(in)
	exec, _, err := run.runner.StartExecution(arn, "cp_run", string(input))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := run.runner.Wait(ctx, exec)
	if err != nil {
		t.Fatal(err)
	}
	return d, run
}

func codeInput(canResend bool) relay.ExecutionInput {
	return relay.ExecutionInput{
		CheckpointID: "cp_run", API: "edges", Type: "2FA", Mode: "code", CanResend: canResend,
		CodeWaitSeconds: 300, PollIntervalSeconds: 8, MaxPolls: 37,
	}
}

// neverAnswers is an await-code whose wait always times out.
func neverAnswers(*scriptedRun, int, map[string]any) (any, error) { return nil, nil }

func finishes(*scriptedRun, int, map[string]any) (any, error) {
	return relay.FinishOutput{Status: "connected", Callback: "delivered"}, nil
}

func requireFinish(t *testing.T, d asl.ExecutionDescription, run *scriptedRun, status, reason string) {
	t.Helper()
	if d.Status != asl.StatusSucceeded {
		t.Fatalf("execution %s: %s %s", d.Status, d.Error, d.Cause)
	}
	f := run.last("finish")
	if f == nil || f["status"] != status || f["reason"] != reason {
		t.Fatalf("finish asked %v, want %s / %s", f, status, reason)
	}
}

// wakes is an await-code that ends its wait at once, as a code handler
// does when it accepts a code.
func wakes(run *scriptedRun, _ int, p map[string]any) (any, error) {
	out, _ := json.Marshal(relay.TaskResult{Outcome: relay.OutcomeCodeQueued})
	return nil, run.runner.SendTaskSuccess(p["task_token"].(string), string(out))
}

// TestACodeThatCameAsTheWaitEndedIsSolved: the wait times out, but the
// solve after it finds a queued code: its outcome is the end, no resend.
func TestACodeThatCameAsTheWaitEndedIsSolved(t *testing.T) {
	for _, canResend := range []bool{false, true} {
		d, run := runScripted(t, codeInput(canResend), map[string]taskFunc{
			"await-code": neverAnswers,
			"solve": func(_ *scriptedRun, _ int, p map[string]any) (any, error) {
				if p["mode"] != "code" {
					t.Errorf("solve mode %v, want code", p["mode"])
				}
				return relay.TaskResult{Outcome: "connected", Mode: "code", Type: "2FA", FromQueue: true}, nil
			},
			"finish": finishes,
		})
		requireFinish(t, d, run, "connected", "solved")
		if run.count("resend") != 0 {
			t.Fatalf("resent although a code was queued")
		}
	}
}

// TestNoCodeGoesOnToTheResendOrTheEnd: the solve after the wait finds the
// queue empty; the checkpoint without resends ends for want of a code.
func TestNoCodeGoesOnToTheResendOrTheEnd(t *testing.T) {
	d, run := runScripted(t, codeInput(false), map[string]taskFunc{
		"await-code": neverAnswers,
		"solve": func(*scriptedRun, int, map[string]any) (any, error) {
			return relay.TaskResult{Outcome: relay.OutcomeNone, Mode: "code", Type: "2FA"}, nil
		},
		"finish": finishes,
	})
	requireFinish(t, d, run, "restart_required", "no_code_received")
}

// TestAFailedSolveAttemptIsRetried: a solve Lambda that crashes (a plain
// function error) or times out is invoked again; the relay's own
// Relay.CheckpointEnded is not.
func TestAFailedSolveAttemptIsRetried(t *testing.T) {
	d, run := runScripted(t, codeInput(false), map[string]taskFunc{
		"await-code": wakes,
		"solve": func(_ *scriptedRun, n int, _ map[string]any) (any, error) {
			if n < 2 {
				return nil, errors.New("the function crashed")
			}
			return relay.TaskResult{Outcome: "connected", Mode: "code", Type: "2FA", FromQueue: true}, nil
		},
		"finish": finishes,
	})
	requireFinish(t, d, run, "connected", "solved")
	if n := run.count("solve"); n != 3 {
		t.Fatalf("solve ran %d times, want 3", n)
	}
	d, run = runScripted(t, codeInput(false), map[string]taskFunc{
		"await-code": wakes,
		"solve": func(*scriptedRun, int, map[string]any) (any, error) {
			return nil, relay.TaskError(relay.ErrorCheckpointEnded, "superseded")
		},
	})
	if d.Status != asl.StatusSucceeded || run.count("solve") != 1 || run.count("finish") != 0 {
		t.Fatalf("superseded: %s, %d solves, %d finishes", d.Status, run.count("solve"), run.count("finish"))
	}
}

// TestAnAmbiguousAnswerEndsTheCheckpointWithItsOwnReason.
func TestAnAmbiguousAnswerEndsTheCheckpointWithItsOwnReason(t *testing.T) {
	d, run := runScripted(t, codeInput(true), map[string]taskFunc{
		"await-code": wakes,
		"solve": func(*scriptedRun, int, map[string]any) (any, error) {
			return relay.TaskResult{Outcome: relay.OutcomeAmbiguous, Mode: "code", Type: "2FA", FromQueue: true}, nil
		},
		"finish": finishes,
	})
	requireFinish(t, d, run, "restart_required", relay.ReasonAmbiguousAfterTimeout)
}

// TestEveryWaitEndsOnACode: in poll mode the interval between polls, and
// in TOTP mode the wait for the next step, are waits a code ends.
func TestEveryWaitEndsOnACode(t *testing.T) {
	in := codeInput(false)
	in.Mode, in.Type = "poll_or_code", "OTP_OR_IN_APP_VALIDATION"
	d, run := runScripted(t, in, map[string]taskFunc{
		"await-code": wakes,
		"solve": func(_ *scriptedRun, n int, p map[string]any) (any, error) {
			if n == 0 {
				return relay.TaskResult{Outcome: "pending", Mode: "poll_or_code", Type: "OTP_OR_IN_APP_VALIDATION"}, nil
			}
			return relay.TaskResult{Outcome: "connected", Mode: "poll_or_code", Type: "OTP_OR_IN_APP_VALIDATION", FromQueue: true}, nil
		},
		"finish": finishes,
	})
	requireFinish(t, d, run, "connected", "solved")
	if run.count("await-code") != 1 {
		t.Fatalf("%d poll intervals, want 1 ended by the code", run.count("await-code"))
	}

	in = codeInput(false)
	in.Mode = "totp"
	d, run = runScripted(t, in, map[string]taskFunc{
		"await-code": wakes,
		"solve": func(_ *scriptedRun, n int, p map[string]any) (any, error) {
			if n == 0 {
				return relay.TaskResult{Outcome: "invalid_code", Mode: "totp", Type: "2FA"}, nil
			}
			return relay.TaskResult{Outcome: "invalid_code", Mode: "totp", Type: "2FA", FromQueue: true, WrongCodes: n}, nil
		},
		"finish": finishes,
	})
	// The authenticator's wrong code counts a TOTP try; each person's
	// wrong code (the first ends the TOTP step wait) counts a wrong code:
	// three of them end the checkpoint after four solves.
	requireFinish(t, d, run, "restart_required", "too_many_wrong_codes")
	if n := run.count("solve"); n != 1+relay.MaxWrongCodes {
		t.Fatalf("%d solves, want %d", n, 1+relay.MaxWrongCodes)
	}
}

// TestTheWrongCodeBoundIsTheRelays: the definition ends a checkpoint at
// relay.MaxWrongCodes wrong codes, the number the form tells its user.
func TestTheWrongCodeBoundIsTheRelays(t *testing.T) {
	d, run := runScripted(t, codeInput(false), map[string]taskFunc{
		"await-code": wakes,
		"solve": func(_ *scriptedRun, n int, _ map[string]any) (any, error) {
			return relay.TaskResult{Outcome: "invalid_code", Mode: "code", Type: "2FA", WrongCodes: n + 1, FromQueue: true}, nil
		},
		"finish": finishes,
	})
	requireFinish(t, d, run, "restart_required", "too_many_wrong_codes")
	if n := run.count("solve"); n != relay.MaxWrongCodes {
		t.Fatalf("%d codes solved, want relay.MaxWrongCodes = %d", n, relay.MaxWrongCodes)
	}
}

// TestTheItemsWrongCodeCountBoundsTheLoop: a wrong code whose attempt
// died after recording it never reached the execution's counter; the
// item's count, which the next result carries, still ends the loop.
func TestTheItemsWrongCodeCountBoundsTheLoop(t *testing.T) {
	d, run := runScripted(t, codeInput(false), map[string]taskFunc{
		"await-code": wakes,
		"solve": func(_ *scriptedRun, n int, _ map[string]any) (any, error) {
			return relay.TaskResult{Outcome: "invalid_code", Mode: "code", Type: "2FA", WrongCodes: n + 2, FromQueue: true}, nil
		},
		"finish": finishes,
	})
	requireFinish(t, d, run, "restart_required", "too_many_wrong_codes")
	if n := run.count("solve"); n != 2 {
		t.Fatalf("%d codes solved, want 2 (the item counted 2, then 3 wrong codes)", n)
	}
}
