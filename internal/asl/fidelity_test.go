package asl

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
)

// Behaviours where Step Functions differs from a literal reading of the
// specification, recorded on AWS: the runner follows AWS. One test each.

func TestEmptyWildcardAndSliceAreEmptyArrays(t *testing.T) {
	df := def("P", `"P": {"Type": "Pass", "Parameters": {"all.$": "$.items[*]", "rest.$": "$.items[1:]", "deep.$": "$..nope"}, "End": true}`)
	assertSucceeded(t, runMachine(t, nil, df, `{"items": []}`), `{"all": [], "rest": [], "deep": []}`)
}

func TestContextObjectInInputPathAndOutputPath(t *testing.T) {
	df := def("P", `"P": {"Type": "Pass", "InputPath": "$$.Execution.Input", "Next": "Q"},
	  "Q": {"Type": "Pass", "OutputPath": "$$.State.Name", "End": true}`)
	assertSucceeded(t, runMachine(t, nil, df, `{"a": 1}`), `"Q"`)
}

func TestPassStateContextHasNoRetryCount(t *testing.T) {
	df := def("P", `"P": {"Type": "Pass", "Parameters": {"state.$": "$$.State"}, "End": true}`)
	d := runMachine(t, nil, df, `{}`)
	if d.Status != StatusSucceeded {
		t.Fatalf("status %s: %s", d.Status, d.Cause)
	}
	if strings.Contains(*d.Output, "RetryCount") || !strings.Contains(*d.Output, `"Name":"P"`) {
		t.Errorf("$$.State of a Pass state = %s, want Name and EnteredTime only", *d.Output)
	}
}

func TestMissingPathInPassParametersIsRuntime(t *testing.T) {
	df := def("pass", `"pass": {"Type": "Pass", "Parameters": {"value.$": "$.no_such_jsonpath"}, "End": true}`)
	d := runMachine(t, nil, df, `{"a":1}`)
	assertFailed(t, d, ErrNameRuntime)
	if want := `An error occurred while executing the state 'pass' (entered at the event id #2). The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{"a":1}'`; d.Cause != want {
		t.Errorf("cause %q\nwant  %q", d.Cause, want)
	}
}

func TestMissingFailPathsAreRuntime(t *testing.T) {
	for _, tt := range []struct{ field, want string }{
		{`"ErrorPath": "$.ErrorX"`, `The JSONPath '$.ErrorX' specified for the field 'ErrorPath' could not be found in the input '{}'`},
		{`"CausePath": "$.NoSuchCausePath"`, `The JSONPath '$.NoSuchCausePath' specified for the field 'CausePath' could not be found in the input '{}'`},
	} {
		df := def("fail", `"fail": {"Type": "Fail", `+tt.field+`}`)
		d := runMachine(t, nil, df, `{}`)
		assertFailed(t, d, ErrNameRuntime)
		if want := "An error occurred while executing the state 'fail' (entered at the event id #2). " + tt.want; d.Cause != want {
			t.Errorf("cause %q\nwant  %q", d.Cause, want)
		}
	}
}

func TestFormatWritesObjectsAndArraysAsAWSDoes(t *testing.T) {
	got, err := evalTemplate(t, `{"x.$": "States.Format('fst={} snd={}', $.o, $.a)"}`, `{"o": {"Arg2": [], "Arg1": 1}, "a": [1, "two", null, {"k": true}]}`, "")
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, got, `{"x": "fst={Arg1=1, Arg2=[]} snd=[1, two, null, {k=true}]"}`)
}

func TestStringToJsonOfBlankIsNull(t *testing.T) {
	got, err := evalTemplate(t, `{"e.$": "States.StringToJson($.e)", "b.$": "States.StringToJson($.b)"}`, `{"e": "", "b": "  "}`, "")
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, got, `{"e": null, "b": null}`)
}

// Recorded on AWS: each argument is rounded as Java's Math.round does.
func TestMathAddRoundsHalfUp(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int64
	}{
		{"1.49", "1.50", 3}, {"-1.49", "-1.50", -2}, {"-1.50", "-1.51", -3}, {"0.5", "0", 1},
		{"2.5", "0", 3}, {"-0.5", "0.5", 1}, {"-2.5", "0", -2}, {"-9", "3", -6},
	} {
		v, err := fnMathAdd([]any{mustNumber(t, tt.a), mustNumber(t, tt.b)})
		if err != nil || v != tt.want {
			t.Errorf("MathAdd(%s, %s) = %v %v, want %d", tt.a, tt.b, v, err, tt.want)
		}
	}
}

func TestMathRandomRoundsItsBounds(t *testing.T) {
	for range 50 {
		v, err := fnMathRandom([]any{12.5, 13.49})
		if err != nil || (v != int64(13)) {
			t.Fatalf("MathRandom(12.5, 13.49) = %v %v, want 13", v, err)
		}
	}
}

func mustNumber(t *testing.T, s string) any {
	t.Helper()
	v, err := decodeJSONString(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestInvokeSendsAStringPayloadAsItsJSON(t *testing.T) {
	fns := NewFunctions()
	rec := &recorder{}
	fns.Register("F", rec.handle)
	df := def("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
	  "Parameters": {"FunctionName": "F", "Payload.$": "$.body"}, "Next": "N"},
	  "N": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "F", "Payload": null}, "End": true}`)
	d := runMachine(t, fns, df, `{"body": "{\"a\": [1]}"}`)
	if d.Status != StatusSucceeded {
		t.Fatalf("status %s: %s", d.Status, d.Cause)
	}
	calls := rec.calls()
	if len(calls) != 2 || calls[0] != `{"a": [1]}` || calls[1] != `{}` {
		t.Errorf("payloads %q, want the string's JSON as is, then {} for a null Payload", calls)
	}
}

func TestLargeResultIsDataLimitExceeded(t *testing.T) {
	fns := NewFunctions()
	big := `"` + strings.Repeat("é", maxPayloadBytes/2) + `"` // over 256 KiB of UTF-8
	fns.Register("F", func(context.Context, []byte) ([]byte, error) { return []byte(big), nil })
	df := def("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "F"}, "End": true,
	  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
	  "Caught": {"Type": "Pass", "End": true}`)
	// Recorded on AWS: States.ALL catches it from a task's result.
	assertSucceeded(t, runMachine(t, fns, df, `{}`), `{"Error": "States.DataLimitExceeded",
	  "Cause": "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit."}`)
	arnDef := def("T", `"T": {"Type": "Task", "Resource": "`+fnARN+`", "End": true}`)
	d := runMachine(t, fns, arnDef, `{}`)
	assertFailed(t, d, ErrNameDataLimitExceeded)
	mustContain(t, d.Cause, "The state/task '"+fnARN+"' returned a result")
}

func TestLargeStateOutputFailsTheExecution(t *testing.T) {
	df := def("State_1", `"State_1": {"Type": "Pass", "Parameters": {"a.$": "$.s", "b.$": "$.s"}, "End": true}`)
	r := newTestRunner(t, nil)
	d := runOn(t, r, df, `{"s": "`+strings.Repeat("x", maxPayloadBytes/2+1)+`"}`)
	assertFailed(t, d, ErrNameDataLimitExceeded)
	if want := "The state/task 'State_1' returned a result with a size exceeding the maximum number of bytes service limit."; d.Cause != want {
		t.Errorf("cause %q, want %q", d.Cause, want)
	}
	if types := eventTypes(t, r, d.ExecutionARN); strings.Join(types, ",") != "ExecutionStarted,PassStateEntered,ExecutionFailed" {
		t.Errorf("history %v", types)
	}
	// Not even States.ALL catches it.
	caught := def("P", `"P": {"Type": "Parallel", "End": true, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}],
	  "Branches": [{"StartAt": "State_1", "States": {"State_1": {"Type": "Pass", "Parameters": {"a.$": "$.s", "b.$": "$.s"}, "End": true}}}]},
	  "C": {"Type": "Pass", "End": true}`)
	assertFailed(t, runMachine(t, nil, caught, `{"s": "`+strings.Repeat("x", maxPayloadBytes/2+1)+`"}`), ErrNameDataLimitExceeded)
}

func TestTaskTimeoutHasNoCause(t *testing.T) {
	fns := NewFunctions()
	fns.Register("F", func(ctx context.Context, _ []byte) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	r := newTestRunner(t, fns)
	df := def("T", `"T": {"Type": "Task", "Resource": "`+fnARN+`", "TimeoutSeconds": 1, "End": true}`)
	d := runOn(t, r, df, `{}`)
	if d.Status != StatusFailed || d.Error != ErrNameTimeout || d.Cause != "" {
		t.Errorf("status %s error %q cause %q, want FAILED States.Timeout without a cause", d.Status, d.Error, d.Cause)
	}
	h, _ := r.GetExecutionHistory(d.ExecutionARN)
	for _, e := range h {
		if e.Type == "LambdaFunctionTimedOut" && (e.Details.Error != ErrNameTimeout || e.Details.Cause != "") {
			t.Errorf("LambdaFunctionTimedOut details %+v", e.Details)
		}
	}
}

func TestWaitOverTheLimitIsRuntime(t *testing.T) {
	for _, w := range []string{`"Seconds": 2147483648`, `"SecondsPath": "$.s"`, `"TimestampPath": "$.t"`} {
		df := def("State_1", `"State_1": {"Type": "Wait", `+w+`, "End": true}`)
		d := runMachine(t, nil, df, `{"s": 2147483648, "t": "2999-01-01T00:00:00Z"}`)
		assertFailed(t, d, ErrNameRuntime)
		if want := "An error occurred while executing the state 'State_1' (entered at the event id #2). Wait state delay is too long."; d.Cause != want {
			t.Errorf("%s: cause %q", w, d.Cause)
		}
	}
}

func TestWaitPathCausesGiveTheValue(t *testing.T) {
	for _, tt := range []struct{ input, want string }{
		{`{"input": {}}`, "The SecondsPath parameter does not reference an input value: $.input.waitSeconds"},
		{`{"input": {"waitSeconds": 1.5}}`, "The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == 1.5"},
		{`{"input": {"waitSeconds": -1}}`, "The SecondsPath parameter references a negative value: $.input.waitSeconds == -1"},
	} {
		df := def("WaitState", `"WaitState": {"Type": "Wait", "SecondsPath": "$.input.waitSeconds", "End": true}`)
		d := runMachine(t, nil, df, tt.input)
		if want := "An error occurred while executing the state 'WaitState' (entered at the event id #2). " + tt.want; d.Cause != want {
			t.Errorf("cause %q\nwant  %q", d.Cause, want)
		}
	}
	df := def("WaitUntil", `"WaitUntil": {"Type": "Wait", "TimestampPath": "$.TimestampValue", "End": true}`)
	d := runMachine(t, nil, df, `{"TimestampValue": "2016-12-05 21:29:29Z"}`)
	mustContain(t, d.Cause, "(entered at the event id #2). The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.TimestampValue == 2016-12-05 21:29:29Z")
}

func TestInputAndOutputPathCausesName(t *testing.T) {
	for _, tt := range []struct{ field, want string }{
		{`"InputPath": "$.NoSuchInputPath"`, "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']"},
		{`"OutputPath": "$.NoSuchOutputPath"`, "Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']"},
	} {
		df := def("pass", `"pass": {"Type": "Pass", `+tt.field+`, "End": true}`)
		d := runMachine(t, nil, df, `{}`)
		assertFailed(t, d, ErrNameRuntime)
		if want := "An error occurred while executing the state 'pass' (entered at the event id #2). " + tt.want; d.Cause != want {
			t.Errorf("cause %q\nwant  %q", d.Cause, want)
		}
	}
	// The event id is the one that entered the state, deep in the history.
	df := def("a", `"a": {"Type": "Pass", "Next": "task"}, "task": {"Type": "Task", "Resource": "`+fnARN+`", "TimeoutSecondsPath": "$.NoSuchTimeoutSecondsPath", "End": true}`)
	d := runMachine(t, nil, df, `{}`)
	if want := "An error occurred while executing the state 'task' (entered at the event id #4). Invalid path '$.NoSuchTimeoutSecondsPath' : No results for path: $['NoSuchTimeoutSecondsPath']"; d.Cause != want {
		t.Errorf("cause %q\nwant  %q", d.Cause, want)
	}
}

func TestStateMachineNamesMayHaveDots(t *testing.T) {
	r := newTestRunner(t, nil)
	arn := "arn:aws:states:us-east-1:123456789012:stateMachine:checkpoint.v2"
	if err := r.RegisterStateMachine(arn, []byte(def("P", `"P": {"Type": "Pass", "End": true}`))); err != nil {
		t.Fatal(err)
	}
	ex, _, err := r.StartExecution(arn, "run.1", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	assertSucceeded(t, waitFor(t, r, ex), `{}`)
	if err := r.RegisterStateMachine("arn:aws:states:us-east-1:123456789012:stateMachine:bad name", []byte(def("P", `"P": {"Type": "Pass", "End": true}`))); !errors.Is(err, ErrInvalidName) {
		t.Errorf("a name with a space: %v, want ErrInvalidName", err)
	}
}

func TestMissingFunctionCauseReadsAsAWS(t *testing.T) {
	cause := regexp.MustCompile(`^Function not found: arn:aws:lambda:us-east-1:123456789012:function:no_such_fn:\$LATEST \(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: [0-9a-f-]{36}; Proxy: null\)$`)
	for _, df := range []string{
		def("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "no_such_fn"}, "End": true}`),
		def("T", `"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:no_such_fn", "End": true}`),
	} {
		d := runMachine(t, nil, df, `{}`)
		assertFailed(t, d, "Lambda.ResourceNotFoundException")
		if !cause.MatchString(d.Cause) {
			t.Errorf("cause %q", d.Cause)
		}
	}
}
