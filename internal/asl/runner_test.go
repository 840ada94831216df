package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// waitForeverMachine parks in a callback task until stopped.
var waitForeverMachine = def("Park", `"Park": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
  "Parameters": {"FunctionName": "park", "Payload": {"token.$": "$$.Task.Token"}}, "End": true}`)

func parkFunctions() *Functions {
	fns := NewFunctions()
	fns.Register("park", func(context.Context, []byte) ([]byte, error) { return []byte(`{}`), nil })
	return fns
}

func TestStartExecutionNames(t *testing.T) {
	r := newTestRunner(t, parkFunctions())
	if err := r.RegisterStateMachine(testMachineARN, []byte(waitForeverMachine)); err != nil {
		t.Fatal(err)
	}
	arn, _, err := r.StartExecution(testMachineARN, "cp_1", `{"a": 1}`)
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:states:us-east-1:123456789012:execution:test:cp_1"; arn != want {
		t.Errorf("arn %s, want %s", arn, want)
	}
	// Same name and input while running: the same execution, as in AWS.
	again, _, err := r.StartExecution(testMachineARN, "cp_1", `{"a": 1}`)
	if err != nil || again != arn {
		t.Errorf("restart with the same input: %s, %v", again, err)
	}
	if _, _, err := r.StartExecution(testMachineARN, "cp_1", `{"a": 2}`); !errors.Is(err, ErrExecutionAlreadyExists) {
		t.Errorf("restart with another input: %v, want ErrExecutionAlreadyExists", err)
	}
	if _, err := r.StopExecution(arn, "", ""); err != nil {
		t.Fatal(err)
	}
	// A closed execution's name cannot be reused at all.
	if _, _, err := r.StartExecution(testMachineARN, "cp_1", `{"a": 1}`); !errors.Is(err, ErrExecutionAlreadyExists) {
		t.Errorf("restart of a closed execution: %v, want ErrExecutionAlreadyExists", err)
	}
	tests := []struct {
		machine, name, input string
		want                 error
	}{
		{testMachineARN, "bad name!", `{}`, ErrInvalidName},
		{testMachineARN, "ok", `{`, ErrInvalidExecutionInput},
		{"arn:aws:states:us-east-1:123456789012:stateMachine:other", "ok", `{}`, ErrStateMachineDoesNotExist},
		{"not-an-arn", "ok", `{}`, ErrInvalidArn},
	}
	for _, tt := range tests {
		if _, _, err := r.StartExecution(tt.machine, tt.name, tt.input); !errors.Is(err, tt.want) {
			t.Errorf("StartExecution(%s, %q, %s): %v, want %v", tt.machine, tt.name, tt.input, err, tt.want)
		}
	}
}

func TestExecutionNameRules(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"cp_01HX3Y", true},
		{"a.b-c_d", true},
		{"ünïcode", true},
		{string(make([]byte, 81)), false},
		{"", false},
		{"has space", false},
		{"tab\t", false},
		{"slash/", false},
		{"colon:", false},
		{"star*", false},
		{"brace{", false},
		{"dollar$", false},
	}
	for _, tt := range tests {
		if got := validName(tt.name); got != tt.want {
			t.Errorf("validName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestStopExecution(t *testing.T) {
	r := newTestRunner(t, parkFunctions())
	if err := r.RegisterStateMachine(testMachineARN, []byte(waitForeverMachine)); err != nil {
		t.Fatal(err)
	}
	arn, _, _ := r.StartExecution(testMachineARN, "", `{}`)
	stop, err := r.StopExecution(arn, "Relay.Superseded", "a newer registration")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := r.DescribeExecution(arn)
	if d.Status != StatusAborted || d.Error != "Relay.Superseded" || d.Cause != "a newer registration" || !d.StopDate.Equal(stop) {
		t.Errorf("after stop: %+v", d)
	}
	types := eventTypes(t, r, arn)
	if types[len(types)-1] != "ExecutionAborted" {
		t.Errorf("history %v does not end with ExecutionAborted", types)
	}
	// Stopping again changes nothing.
	if again, err := r.StopExecution(arn, "Other", ""); err != nil || !again.Equal(stop) {
		t.Errorf("second stop: %v %v", again, err)
	}
	if _, err := r.StopExecution("arn:aws:states:us-east-1:123456789012:execution:test:nope", "", ""); !errors.Is(err, ErrExecutionDoesNotExist) {
		t.Errorf("stop of an unknown execution: %v", err)
	}
}

func TestExecutionTimeoutSeconds(t *testing.T) {
	df := `{"StartAt": "W", "TimeoutSeconds": 10, "States": {"W": {"Type": "Wait", "Seconds": 100000, "End": true}}}`
	d := runMachine(t, nil, df, `{}`)
	// Step Functions reports no error and no cause for a timed-out execution.
	if d.Status != StatusTimedOut || d.Error != "" || d.Cause != "" {
		t.Errorf("status %s error %q cause %q, want TIMED_OUT with neither", d.Status, d.Error, d.Cause)
	}
}

func TestDescribeAndListExecutions(t *testing.T) {
	r := newTestRunner(t, nil)
	df := def("P", `"P": {"Type": "Pass", "End": true}`)
	if err := r.RegisterStateMachine(testMachineARN, []byte(df)); err != nil {
		t.Fatal(err)
	}
	var arns []string
	for i := range 3 {
		arn, start, err := r.StartExecution(testMachineARN, fmt.Sprintf("e%d", i), fmt.Sprintf(`{"i": %d}`, i))
		if err != nil || start.IsZero() {
			t.Fatal(err)
		}
		arns = append(arns, arn)
	}
	for _, arn := range arns {
		d := waitFor(t, r, arn)
		if d.Status != StatusSucceeded || d.StopDate.Before(d.StartDate) || d.Transitions != 1 {
			t.Errorf("describe: %+v", d)
		}
		assertJSON(t, *d.Output, d.Input)
	}
	list, err := r.ListExecutions(testMachineARN, StatusSucceeded)
	if err != nil || len(list) != 3 {
		t.Fatalf("list: %d %v", len(list), err)
	}
	if none, _ := r.ListExecutions(testMachineARN, StatusRunning); len(none) != 0 {
		t.Errorf("%d running executions listed", len(none))
	}
	info, err := r.DescribeStateMachine(testMachineARN)
	if err != nil || info.Name != "test" || info.Definition != df {
		t.Errorf("describe state machine: %+v %v", info, err)
	}
	if r.Transitions() != 3 {
		t.Errorf("%d transitions in all, want 3", r.Transitions())
	}
	if _, err := r.DescribeExecution("arn:aws:states:us-east-1:123456789012:execution:test:nope"); !errors.Is(err, ErrExecutionDoesNotExist) {
		t.Errorf("describe unknown: %v", err)
	}
	if _, err := r.DescribeExecution("nope"); !errors.Is(err, ErrInvalidArn) {
		t.Errorf("describe bad arn: %v", err)
	}
}

func TestManyConcurrentExecutions(t *testing.T) {
	fns := NewFunctions()
	fns.Register("F", jsonFn(func(in any) (any, error) { return in, nil }))
	r := newTestRunner(t, fns)
	df := def("W", `"W": {"Type": "Wait", "Seconds": 5, "Next": "T"},
	  "T": {"Type": "Task", "Resource": "`+fnARN+`", "Next": "C"},
	  "C": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": 0, "Next": "S"}]},
	  "S": {"Type": "Succeed"}`)
	if err := r.RegisterStateMachine(testMachineARN, []byte(df)); err != nil {
		t.Fatal(err)
	}
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			arn, _, err := r.StartExecution(testMachineARN, fmt.Sprintf("e%d", i), fmt.Sprintf(`{"i": %d}`, i))
			if err != nil {
				errs <- err
				return
			}
			d, err := r.Wait(context.Background(), arn)
			if err == nil && d.Status != StatusSucceeded {
				err = fmt.Errorf("%s: %s %s", arn, d.Status, d.Cause)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := r.Transitions(); got != 4*n {
		t.Errorf("%d transitions, want %d", got, 4*n)
	}
}

func TestParallelState(t *testing.T) {
	df := def("P", `"P": {"Type": "Parallel", "ResultPath": "$.results", "End": true, "Branches": [
	    {"StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "$.x", "End": true}}},
	    {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 1, "Next": "B2"}, "B2": {"Type": "Pass", "Result": "b", "End": true}}}
	  ]}`)
	assertSucceeded(t, runMachine(t, nil, df, `{"x": 1}`), `{"x": 1, "results": [1, "b"]}`)
}

func TestParallelBranchFailureIsCaught(t *testing.T) {
	df := def("P", `"P": {"Type": "Parallel", "Next": "S", "Branches": [
	    {"StartAt": "A", "States": {"A": {"Type": "Fail", "Error": "BranchBroke", "Cause": "x"}}},
	    {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 100000, "End": true}}}
	  ], "Catch": [{"ErrorEquals": ["BranchBroke"], "Next": "Caught"}]},
	  "S": {"Type": "Succeed"},
	  "Caught": {"Type": "Pass", "End": true}`)
	assertSucceeded(t, runMachine(t, nil, df, `{}`), `{"Error": "BranchBroke", "Cause": "x"}`)
}

func TestShutdownAbortsWhatIsStillRunning(t *testing.T) {
	r := New(Options{Invoker: parkFunctions(), TimeScale: testScale})
	if err := r.RegisterStateMachine(testMachineARN, []byte(waitForeverMachine)); err != nil {
		t.Fatal(err)
	}
	arn, _, _ := r.StartExecution(testMachineARN, "", `{}`)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("shutdown: %v", err)
	}
	d, _ := r.DescribeExecution(arn)
	if d.Status != StatusAborted {
		t.Errorf("status %s after shutdown, want ABORTED", d.Status)
	}
	if _, _, err := r.StartExecution(testMachineARN, "", `{}`); !errors.Is(err, ErrShuttingDown) {
		t.Errorf("start after shutdown: %v", err)
	}
}

func TestShutdownWaitsForRunningExecutions(t *testing.T) {
	r := New(Options{TimeScale: testScale})
	if err := r.RegisterStateMachine(testMachineARN, []byte(def("W", `"W": {"Type": "Wait", "Seconds": 100, "End": true}`))); err != nil {
		t.Fatal(err)
	}
	arn, _, _ := r.StartExecution(testMachineARN, "", `{}`)
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d, _ := r.DescribeExecution(arn); d.Status != StatusSucceeded {
		t.Errorf("status %s, want SUCCEEDED", d.Status)
	}
}

func TestHistoryEventJSON(t *testing.T) {
	e := HistoryEvent{ID: 3, PreviousEventID: 2, Type: "TaskStateEntered", Timestamp: time.UnixMilli(1700000000123),
		Details: &EventDetails{Name: "T", Input: strp(`{}`)}}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, string(b), `{"id": 3, "previousEventId": 2, "type": "TaskStateEntered", "timestamp": 1700000000.123,
	  "stateEnteredEventDetails": {"name": "T", "input": "{}"}}`)
	started := HistoryEvent{ID: 1, Type: "LambdaFunctionStarted", Timestamp: time.UnixMilli(0)}
	b, _ = json.Marshal(started)
	assertJSON(t, string(b), `{"id": 1, "type": "LambdaFunctionStarted", "timestamp": 0}`)
}

func TestReRegisterReplacesTheDefinition(t *testing.T) {
	r := newTestRunner(t, nil)
	assertSucceeded(t, runOn(t, r, def("P", `"P": {"Type": "Pass", "Result": 1, "End": true}`), `{}`), `1`)
	assertSucceeded(t, runOn(t, r, def("P", `"P": {"Type": "Pass", "Result": 2, "End": true}`), `{}`), `2`)
}
