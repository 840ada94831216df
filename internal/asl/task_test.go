package asl

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestLambdaInvokeIntegrationResult(t *testing.T) {
	rec := &recorder{output: `{"ok": true}`}
	fns := NewFunctions()
	fns.Register("arn:aws:lambda:us-east-1:123456789012:function:Fn", rec.handle)
	df := def("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
	  "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:Fn:$LATEST", "Payload": {"id.$": "$.id", "state.$": "$$.State.Name"}},
	  "ResultSelector": {"status.$": "$.StatusCode", "payload.$": "$.Payload", "version.$": "$.ExecutedVersion"},
	  "ResultPath": "$.result", "End": true}`)
	d := runMachine(t, fns, df, `{"id": "cp_1"}`)
	assertSucceeded(t, d, `{"id": "cp_1", "result": {"status": 200, "payload": {"ok": true}, "version": "$LATEST"}}`)
	assertJSON(t, rec.calls()[0], `{"id": "cp_1", "state": "T"}`)
}

func TestLambdaInvokeByName(t *testing.T) {
	fns := NewFunctions()
	fns.Register("solve", jsonFn(func(in any) (any, error) { return in, nil }))
	df := def("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
	  "Parameters": {"FunctionName": "solve", "Payload.$": "$"}, "OutputPath": "$.Payload", "End": true}`)
	assertSucceeded(t, runMachine(t, fns, df, `{"a": 1}`), `{"a": 1}`)
}

func TestLambdaInvokeErrorName(t *testing.T) {
	fns := NewFunctions()
	fns.Register("F", func(context.Context, []byte) ([]byte, error) {
		return nil, &LambdaError{Type: "Relay.ProviderRetry", Message: "provider answered 503"}
	})
	df := def("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
	  "Parameters": {"FunctionName": "F"}, "End": true,
	  "Retry": [{"ErrorEquals": ["Relay.ProviderRetry"], "MaxAttempts": 2}]}`)
	r := newTestRunner(t, fns)
	d := runOn(t, r, df, `{}`)
	assertFailed(t, d, "Relay.ProviderRetry")
	assertJSON(t, d.Cause, `{"errorMessage": "provider answered 503", "errorType": "Relay.ProviderRetry"}`)
	types := eventTypes(t, r, d.ExecutionARN)
	want := []string{"ExecutionStarted", "TaskStateEntered",
		"TaskScheduled", "TaskStarted", "TaskFailed",
		"TaskScheduled", "TaskStarted", "TaskFailed",
		"TaskScheduled", "TaskStarted", "TaskFailed", "ExecutionFailed"}
	assertStrings(t, types, want)
}

// callbackMachine waits for a token; the function hands the token to got.
func callbackMachine(extra string) string {
	timedOut := ""
	if strings.Contains(extra, "TimedOut") {
		timedOut = `, "TimedOut": {"Type": "Pass", "Result": "timed out", "End": true}`
	}
	return def("Wait for code", `"Wait for code": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
	  "Parameters": {"FunctionName": "await-code", "Payload": {"checkpoint_id.$": "$.id", "task_token.$": "$$.Task.Token"}},
	  "ResultPath": "$.outcome", `+extra+`
	  "Next": "Done"},
	  "Done": {"Type": "Succeed"}`+timedOut)
}

func tokenCatcher() (*Functions, chan string) {
	tokens := make(chan string, 10)
	fns := NewFunctions()
	fns.Register("await-code", jsonFn(func(in any) (any, error) {
		tokens <- in.(map[string]any)["task_token"].(string)
		return map[string]any{"stored": true}, nil
	}))
	return fns, tokens
}

func TestCallbackSuccess(t *testing.T) {
	fns, tokens := tokenCatcher()
	r := newTestRunner(t, fns)
	if err := r.RegisterStateMachine(testMachineARN, []byte(callbackMachine(""))); err != nil {
		t.Fatal(err)
	}
	arn, _, err := r.StartExecution(testMachineARN, "cp_1", `{"id": "cp_1"}`)
	if err != nil {
		t.Fatal(err)
	}
	tok := <-tokens
	if err := r.SendTaskSuccess(tok, `{"outcome": "connected"}`); err != nil {
		t.Fatal(err)
	}
	d := waitFor(t, r, arn)
	assertSucceeded(t, d, `{"id": "cp_1", "outcome": {"outcome": "connected"}}`)
	// The task is closed: its token is now timed out, as in AWS.
	if err := r.SendTaskSuccess(tok, `{}`); !errors.Is(err, ErrTaskTimedOut) {
		t.Errorf("second SendTaskSuccess: %v, want ErrTaskTimedOut", err)
	}
	assertStrings(t, eventTypes(t, r, arn), []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
		"TaskSubmitted", "TaskSucceeded", "TaskStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"})
}

// The function may answer through the API before it returns (the relay's
// await-code does when the outcome is already known).
func TestCallbackAnsweredBeforeTheFunctionReturns(t *testing.T) {
	var r *Runner
	fns := NewFunctions()
	fns.Register("await-code", jsonFn(func(in any) (any, error) {
		tok := in.(map[string]any)["task_token"].(string)
		return nil, r.SendTaskSuccess(tok, `"early"`)
	}))
	r = newTestRunner(t, fns)
	d := runOn(t, r, callbackMachine(""), `{"id": "cp_2"}`)
	assertSucceeded(t, d, `{"id": "cp_2", "outcome": "early"}`)
}

func TestCallbackFailureIsCaught(t *testing.T) {
	fns, tokens := tokenCatcher()
	r := newTestRunner(t, fns)
	if err := r.RegisterStateMachine(testMachineARN, []byte(callbackMachine(`"Catch": [{"ErrorEquals": ["Relay.Superseded"], "ResultPath": "$.error", "Next": "TimedOut"}],`))); err != nil {
		t.Fatal(err)
	}
	arn, _, _ := r.StartExecution(testMachineARN, "", `{"id": "x"}`)
	if err := r.SendTaskFailure(<-tokens, "Relay.Superseded", "a newer checkpoint"); err != nil {
		t.Fatal(err)
	}
	assertSucceeded(t, waitFor(t, r, arn), `"timed out"`)
}

func TestCallbackTimeouts(t *testing.T) {
	tests := []struct {
		name, extra, wantErr string
	}{
		{"TimeoutSeconds", `"TimeoutSeconds": 300,`, ErrNameTimeout},
		{"TimeoutSecondsPath", `"TimeoutSecondsPath": "$.wait",`, ErrNameTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fns, tokens := tokenCatcher()
			r := newTestRunner(t, fns)
			if err := r.RegisterStateMachine(testMachineARN, []byte(callbackMachine(tt.extra))); err != nil {
				t.Fatal(err)
			}
			arn, _, _ := r.StartExecution(testMachineARN, "", `{"id": "x", "wait": 300}`)
			tok := <-tokens
			d := waitFor(t, r, arn)
			assertFailed(t, d, tt.wantErr)
			if err := r.SendTaskSuccess(tok, `{}`); !errors.Is(err, ErrTaskTimedOut) {
				t.Errorf("SendTaskSuccess after the timeout: %v, want ErrTaskTimedOut", err)
			}
			types := eventTypes(t, r, arn)
			if types[len(types)-2] != "TaskTimedOut" {
				t.Errorf("history %v does not end with TaskTimedOut", types)
			}
		})
	}
}

func TestCallbackTimeoutIsCaughtAsStatesTimeout(t *testing.T) {
	for _, extra := range []string{`"TimeoutSeconds": 300,`, `"TimeoutSecondsPath": "$.wait",`} {
		fns, _ := tokenCatcher()
		df := callbackMachine(extra + `"Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "TimedOut"}],`)
		assertSucceeded(t, runMachine(t, fns, df, `{"id": "x", "wait": 300}`), `"timed out"`)
	}
}

func TestTokenErrors(t *testing.T) {
	r := newTestRunner(t, nil)
	tests := []struct {
		token string
		want  error
	}{
		{"not a token", ErrInvalidToken},
		{"", ErrInvalidToken},
		{newToken(), ErrTaskDoesNotExist},
	}
	for _, tt := range tests {
		if err := r.SendTaskSuccess(tt.token, `{}`); !errors.Is(err, tt.want) {
			t.Errorf("SendTaskSuccess(%q): %v, want %v", tt.token, err, tt.want)
		}
		if err := r.SendTaskFailure(tt.token, "E", "c"); !errors.Is(err, tt.want) {
			t.Errorf("SendTaskFailure(%q): %v, want %v", tt.token, err, tt.want)
		}
	}
}

func TestSendTaskSuccessRejectsInvalidOutput(t *testing.T) {
	fns, tokens := tokenCatcher()
	r := newTestRunner(t, fns)
	if err := r.RegisterStateMachine(testMachineARN, []byte(callbackMachine(""))); err != nil {
		t.Fatal(err)
	}
	arn, _, _ := r.StartExecution(testMachineARN, "", `{"id": "x"}`)
	tok := <-tokens
	if err := r.SendTaskSuccess(tok, `{not json`); !errors.Is(err, ErrInvalidOutput) {
		t.Fatalf("error %v, want ErrInvalidOutput", err)
	}
	// The task is still open.
	if err := r.SendTaskSuccess(tok, `1`); err != nil {
		t.Fatal(err)
	}
	assertSucceeded(t, waitFor(t, r, arn), `{"id": "x", "outcome": 1}`)
}

func TestTaskTokensAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok := newToken()
		if seen[tok] {
			t.Fatal("a token repeated")
		}
		seen[tok] = true
	}
}

func TestContextObject(t *testing.T) {
	fns := NewFunctions()
	fns.Register("F", jsonFn(func(in any) (any, error) { return in, nil }))
	df := def("Ctx", `"Ctx": {"Type": "Task", "Resource": "`+fnARN+`",
	  "Parameters": {"execId.$": "$$.Execution.Id", "execName.$": "$$.Execution.Name", "input.$": "$$.Execution.Input",
	    "start.$": "$$.Execution.StartTime", "state.$": "$$.State.Name", "entered.$": "$$.State.EnteredTime",
	    "retry.$": "$$.State.RetryCount", "smId.$": "$$.StateMachine.Id", "smName.$": "$$.StateMachine.Name"},
	  "End": true}`)
	r := newTestRunner(t, fns)
	if err := r.RegisterStateMachine(testMachineARN, []byte(df)); err != nil {
		t.Fatal(err)
	}
	arn, _, _ := r.StartExecution(testMachineARN, "exec-1", `{"k": "v"}`)
	d := waitFor(t, r, arn)
	if d.Status != StatusSucceeded {
		t.Fatalf("status %s %s %s", d.Status, d.Error, d.Cause)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(*d.Output), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"execId": "arn:aws:states:us-east-1:123456789012:execution:test:exec-1", "execName": "exec-1",
		"state": "Ctx", "retry": 0.0, "smId": testMachineARN, "smName": "test",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	assertJSON(t, encodeJSON(got["input"]), `{"k": "v"}`)
	for _, k := range []string{"start", "entered"} {
		if _, ok := timestamp(got[k]); !ok {
			t.Errorf("%s = %v, not a timestamp", k, got[k])
		}
	}
}

func assertStrings(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("got %v\nwant %v", got, want)
		}
	}
}
