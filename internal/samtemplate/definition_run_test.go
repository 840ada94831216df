package samtemplate_test

import (
	"context"
	"encoding/json"
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

// TestACodeSolvedAsTheWaitEndsIsNotOverridden: the wait times out while a
// code is being solved; the late solve waits for it (Relay.SolveInProgress
// is retried) and its outcome is the end.
func TestACodeSolvedAsTheWaitEndsIsNotOverridden(t *testing.T) {
	for _, canResend := range []bool{false, true} {
		d, run := runScripted(t, codeInput(canResend), map[string]taskFunc{
			"await-code": neverAnswers,
			"solve": func(_ *scriptedRun, n int, p map[string]any) (any, error) {
				if p["mode"] != "late" {
					t.Errorf("solve mode %v, want late", p["mode"])
				}
				if n < 2 {
					return nil, relay.TaskError(relay.ErrorSolveInProgress, "a code is being solved")
				}
				return relay.TaskResult{Outcome: "connected", Mode: "code", Type: "2FA"}, nil
			},
			"finish": finishes,
		})
		requireFinish(t, d, run, "connected", "solved")
		if run.count("resend") != 0 {
			t.Fatalf("resent while a code was being solved")
		}
	}
}

// TestNoLateCodeGoesOnAsBefore: the late solve finds nothing; the
// checkpoint without resends ends for want of a code.
func TestNoLateCodeGoesOnAsBefore(t *testing.T) {
	d, run := runScripted(t, codeInput(false), map[string]taskFunc{
		"await-code": neverAnswers,
		"solve": func(*scriptedRun, int, map[string]any) (any, error) {
			return relay.TaskResult{Outcome: relay.OutcomeNone, Mode: "code", Type: "2FA"}, nil
		},
		"finish": finishes,
	})
	requireFinish(t, d, run, "restart_required", "no_code_received")
}

// TestTheItemsWrongCodeCountBoundsTheLoop: two wrong codes reached the
// execution as one outcome (the second replaced the first while nothing
// waited); the result's wrong_codes counts both, so the third wrong code
// ends the checkpoint although the execution saw only two outcomes.
func TestTheItemsWrongCodeCountBoundsTheLoop(t *testing.T) {
	d, run := runScripted(t, codeInput(false), map[string]taskFunc{
		"await-code": func(run *scriptedRun, n int, p map[string]any) (any, error) {
			out, _ := json.Marshal(relay.TaskResult{Outcome: "invalid_code", Mode: "code", Type: "2FA", WrongCodes: 2 + n})
			return nil, run.runner.SendTaskSuccess(p["task_token"].(string), string(out))
		},
		"finish": finishes,
	})
	requireFinish(t, d, run, "restart_required", "too_many_wrong_codes")
	if n := run.count("await-code"); n != 2 {
		t.Fatalf("%d waits, want 2 (the item counted 2, then 3 wrong codes)", n)
	}
}

// TestFinishRetriesWhileACodeIsBeingSolved: a finish that meets a solve in
// progress is retried, not failed.
func TestFinishRetriesWhileACodeIsBeingSolved(t *testing.T) {
	d, run := runScripted(t, codeInput(false), map[string]taskFunc{
		"await-code": func(run *scriptedRun, _ int, p map[string]any) (any, error) {
			out, _ := json.Marshal(relay.TaskResult{Outcome: "connected", Mode: "code", Type: "2FA"})
			return nil, run.runner.SendTaskSuccess(p["task_token"].(string), string(out))
		},
		"finish": func(_ *scriptedRun, n int, _ map[string]any) (any, error) {
			if n < 2 {
				return nil, relay.TaskError(relay.ErrorSolveInProgress, "a code is being solved")
			}
			return relay.FinishOutput{Status: "connected", Callback: "delivered"}, nil
		},
	})
	requireFinish(t, d, run, "connected", "solved")
	if n := run.count("finish"); n != 3 {
		t.Fatalf("finish ran %d times, want 3", n)
	}
}

// TestTheWrongCodeBoundIsTheRelays: the definition ends a checkpoint at
// relay.MaxWrongCodes wrong codes, the number the form tells its user.
func TestTheWrongCodeBoundIsTheRelays(t *testing.T) {
	d, run := runScripted(t, codeInput(false), map[string]taskFunc{
		"await-code": func(run *scriptedRun, n int, p map[string]any) (any, error) {
			out, _ := json.Marshal(relay.TaskResult{Outcome: "invalid_code", Mode: "code", Type: "2FA", WrongCodes: n + 1})
			return nil, run.runner.SendTaskSuccess(p["task_token"].(string), string(out))
		},
		"finish": finishes,
	})
	requireFinish(t, d, run, "restart_required", "too_many_wrong_codes")
	if n := run.count("await-code"); n != relay.MaxWrongCodes {
		t.Fatalf("%d waits for a code, want relay.MaxWrongCodes = %d", n, relay.MaxWrongCodes)
	}
}
