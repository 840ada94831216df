package asl

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

const testMachineARN = "arn:aws:states:us-east-1:123456789012:stateMachine:test"

// testScale shrinks every second of the definitions to a tenth of a
// millisecond so Waits and retry intervals finish at once.
const testScale = 0.0001

func newTestRunner(t *testing.T, fns *Functions) *Runner {
	t.Helper()
	if fns == nil {
		fns = NewFunctions()
	}
	r := New(Options{Invoker: fns, TimeScale: testScale})
	t.Cleanup(func() {
		// Executions still waiting for a callback are aborted at once.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		_ = r.Shutdown(ctx)
	})
	return r
}

// runMachine registers def, runs it on input and waits for the end.
func runMachine(t *testing.T, fns *Functions, df, input string) ExecutionDescription {
	t.Helper()
	r := newTestRunner(t, fns)
	return runOn(t, r, df, input)
}

func runOn(t *testing.T, r *Runner, df, input string) ExecutionDescription {
	t.Helper()
	if err := r.RegisterStateMachine(testMachineARN, []byte(df)); err != nil {
		t.Fatalf("register: %v", err)
	}
	arn, _, err := r.StartExecution(testMachineARN, "", input)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return waitFor(t, r, arn)
}

func waitFor(t *testing.T, r *Runner, arn string) ExecutionDescription {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := r.Wait(ctx, arn)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	return d
}

// def wraps states (a JSON object body) into a definition.
func def(startAt, states string) string {
	return `{"StartAt": "` + startAt + `", "States": {` + states + `}}`
}

// assertJSON compares JSON texts structurally.
func assertJSON(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got is not JSON: %q", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %q", want)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func assertSucceeded(t *testing.T, d ExecutionDescription, wantOutput string) {
	t.Helper()
	if d.Status != StatusSucceeded {
		t.Fatalf("status %s (%s: %s), want SUCCEEDED", d.Status, d.Error, d.Cause)
	}
	assertJSON(t, *d.Output, wantOutput)
}

func assertFailed(t *testing.T, d ExecutionDescription, wantError string) {
	t.Helper()
	if d.Status != StatusFailed {
		out := ""
		if d.Output != nil {
			out = *d.Output
		}
		t.Fatalf("status %s (output %s), want FAILED", d.Status, out)
	}
	if d.Error != wantError {
		t.Errorf("error %q (cause %q), want %q", d.Error, d.Cause, wantError)
	}
}

// jsonFn is a Lambda handler written on decoded JSON.
func jsonFn(f func(in any) (any, error)) Handler {
	return func(_ context.Context, payload []byte) ([]byte, error) {
		var in any
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, err
		}
		out, err := f(in)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}
}

// recorder is a function that records its payloads and answers with a
// scripted sequence of errors, then its output.
type recorder struct {
	mu       sync.Mutex
	payloads []string
	errs     []error
	output   string
}

func (r *recorder) handle(_ context.Context, payload []byte) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.payloads = append(r.payloads, string(payload))
	if n := len(r.payloads); n <= len(r.errs) && r.errs[n-1] != nil {
		return nil, r.errs[n-1]
	}
	if r.output == "" {
		return []byte("{}"), nil
	}
	return []byte(r.output), nil
}

func (r *recorder) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.payloads...)
}

// eventTypes lists the types of an execution's history.
func eventTypes(t *testing.T, r *Runner, arn string) []string {
	t.Helper()
	h, err := r.GetExecutionHistory(arn)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(h))
	for i, e := range h {
		out[i] = e.Type
	}
	return out
}

func mustContain(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("%q does not contain %q", s, sub)
	}
}
