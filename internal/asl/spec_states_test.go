package asl

import (
	"testing"
	"time"
)

// The examples of the Amazon States Language specification, state type by
// state type, run end to end through a Runner.

const addFunction = "arn:aws:lambda:us-east-1:123456789012:function:Add"

func addFunctions() *Functions {
	fns := NewFunctions()
	// "return event.val1 + event.val2", the spec's Add function.
	fns.Register(addFunction, jsonFn(func(in any) (any, error) {
		m := in.(map[string]any)
		return m["val1"].(float64) + m["val2"].(float64), nil
	}))
	return fns
}

func TestSpecHelloWorld(t *testing.T) {
	fns := NewFunctions()
	fns.Register("HelloWorld", jsonFn(func(any) (any, error) { return "Hello World!", nil }))
	d := runMachine(t, fns, `{
	  "Comment": "A simple minimal example of the States language",
	  "StartAt": "Hello World",
	  "States": {
	    "Hello World": {
	      "Type": "Task",
	      "Resource": "arn:aws:lambda:us-east-1:123456789012:function:HelloWorld",
	      "End": true
	    }
	  }
	}`, "")
	assertSucceeded(t, d, `"Hello World!"`)
}

func TestSpecDataAdd(t *testing.T) {
	d := runMachine(t, addFunctions(), `{
	  "StartAt": "Add",
	  "States": {
	    "Add": {"Type": "Task", "Resource": "`+addFunction+`", "End": true}
	  }
	}`, `{ "val1": 3, "val2": 4 }`)
	assertSucceeded(t, d, `7`)
}

// The Input/Output Processing Examples of the specification.
func TestSpecInputOutputProcessing(t *testing.T) {
	tests := []struct {
		name, fields, input, want string
	}{
		{
			name:   "InputPath and ResultPath",
			fields: `"InputPath": "$.numbers", "ResultPath": "$.sum"`,
			input:  `{"title": "Numbers to add", "numbers": { "val1": 3, "val2": 4 }}`,
			want:   `{"title": "Numbers to add", "numbers": { "val1": 3, "val2": 4 }, "sum": 7}`,
		},
		{
			name:   "OutputPath selects the sum",
			fields: `"InputPath": "$.numbers", "ResultPath": "$.sum", "OutputPath": "$.sum"`,
			input:  `{"title": "Numbers to add", "numbers": { "val1": 3, "val2": 4 }}`,
			want:   `7`,
		},
		{
			name:   "ResultPath null keeps the input",
			fields: `"InputPath": "$.numbers", "ResultPath": null`,
			input:  `{"numbers": { "val1": 3, "val2": 4 }}`,
			want:   `{"numbers": { "val1": 3, "val2": 4 }}`,
		},
		{
			name:   "OutputPath null gives an empty object",
			fields: `"InputPath": "$.numbers", "OutputPath": null`,
			input:  `{"numbers": { "val1": 3, "val2": 4 }}`,
			want:   `{}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			df := def("Add", `"Add": {"Type": "Task", "Resource": "`+addFunction+`", `+tt.fields+`, "End": true}`)
			assertSucceeded(t, runMachine(t, addFunctions(), df, tt.input), tt.want)
		})
	}
}

func TestSpecResultPathBuildsLevels(t *testing.T) {
	tests := []struct {
		name, result, resultPath, input, want string
	}{
		{"greeting", `"Hi!"`, "$.b.greeting", `{ "a": 1 }`, `{"a": 1, "b": {"greeting": "Hi!"}}`},
		{"overwrite detail", `6`, "$.master.detail", `{"master": {"detail": [1, 2, 3]}}`, `{"master": {"detail": 6}}`},
		{"chain of new fields", `6`, "$.master.result.sum", `{"master": {"detail": [1, 2, 3]}}`,
			`{"master": {"detail": [1, 2, 3], "result": {"sum": 6}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			df := def("P", `"P": {"Type": "Pass", "Result": `+tt.result+`, "ResultPath": "`+tt.resultPath+`", "End": true}`)
			assertSucceeded(t, runMachine(t, nil, df, tt.input), tt.want)
		})
	}
}

// "Suppose a state's input is the string "foo", and its ResultPath field
// has the value "$.x". Then ResultPath cannot apply."
func TestSpecResultPathMatchFailure(t *testing.T) {
	df := def("P", `"P": {"Type": "Pass", "Result": 1, "ResultPath": "$.x", "End": true}`)
	assertFailed(t, runMachine(t, nil, df, `"foo"`), ErrNameResultPathMatch)
}

func TestSpecPassState(t *testing.T) {
	df := def("ProvideTestData", `
	  "ProvideTestData": {
	    "Type": "Pass",
	    "Result": {"x-datum": 0.381018, "y-datum": 622.2269926397355},
	    "ResultPath": "$.coords",
	    "Next": "End"
	  },
	  "End": {"Type": "Succeed"}`)
	d := runMachine(t, nil, df, `{"georefOf": "Home"}`)
	assertSucceeded(t, d, `{"georefOf": "Home", "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355}}`)
}

func TestPassWithoutResultCopiesInput(t *testing.T) {
	df := def("P", `"P": {"Type": "Pass", "End": true}`)
	assertSucceeded(t, runMachine(t, nil, df, `{"a": [1, {"b": null}]}`), `{"a": [1, {"b": null}]}`)
}

func TestPassParameters(t *testing.T) {
	df := def("P", `"P": {"Type": "Pass", "InputPath": "$.in",
	  "Parameters": {"constant": 1, "copied.$": "$.x", "nested": {"name.$": "$$.State.Name"}},
	  "ResultPath": "$.out", "End": true}`)
	d := runMachine(t, nil, df, `{"in": {"x": "y"}}`)
	assertSucceeded(t, d, `{"in": {"x": "y"}, "out": {"constant": 1, "copied": "y", "nested": {"name": "P"}}}`)
}

func TestSpecWaitState(t *testing.T) {
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	soon := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339Nano)
	tests := []struct {
		name, fields, input string
		wait                func(time.Duration) bool
	}{
		{"wait_ten_seconds", `"Seconds": 10`, `{}`, func(d time.Duration) bool { return d == 10*time.Second }},
		{"wait_until the spec's past timestamp", `"Timestamp": "2016-03-14T01:59:00Z"`, `{}`, func(d time.Duration) bool { return d < 0 }},
		{"SecondsPath", `"SecondsPath": "$.delay"`, `{"delay": 30}`, func(d time.Duration) bool { return d == 30*time.Second }},
		{"TimestampPath in the past", `"TimestampPath": "$.expirydate"`, `{"expirydate": "` + past + `"}`, func(d time.Duration) bool { return d < 0 }},
		{"TimestampPath in the future", `"TimestampPath": "$.expirydate"`, `{"expirydate": "` + soon + `"}`,
			func(d time.Duration) bool { return d > 0 && d <= 2*time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRunner(t, nil)
			waited := make(chan time.Duration, 1)
			r.observeSleep = func(d time.Duration) { waited <- d }
			df := def("W", `"W": {"Type": "Wait", `+tt.fields+`, "Next": "NextState"}, "NextState": {"Type": "Succeed"}`)
			assertSucceeded(t, runOn(t, r, df, tt.input), tt.input)
			if d := <-waited; !tt.wait(d) {
				t.Errorf("waited %v", d)
			}
		})
	}
}

func TestWaitPathErrors(t *testing.T) {
	tests := []struct {
		name, fields, input string
	}{
		{"SecondsPath negative", `"SecondsPath": "$.delay"`, `{"delay": -1}`},
		{"SecondsPath a string", `"SecondsPath": "$.delay"`, `{"delay": "10"}`},
		{"SecondsPath missing", `"SecondsPath": "$.delay"`, `{}`},
		{"TimestampPath not a timestamp", `"TimestampPath": "$.t"`, `{"t": "tomorrow"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			df := def("W", `"W": {"Type": "Wait", `+tt.fields+`, "End": true}`)
			assertFailed(t, runMachine(t, nil, df, tt.input), ErrNameRuntime)
		})
	}
}

func TestSpecSucceedState(t *testing.T) {
	df := def("SuccessState", `"SuccessState": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}`)
	assertSucceeded(t, runMachine(t, nil, df, `{"a": {"b": [1]}}`), `[1]`)
}

func TestSpecFailState(t *testing.T) {
	tests := []struct {
		name, fields, input, wantErr, wantCause string
	}{
		{"static", `"Error": "ErrorA", "Cause": "Kaiju attack"`, `{}`, "ErrorA", "Kaiju attack"},
		{"paths", `"ErrorPath": "$.Error", "CausePath": "$.Cause"`, `{"Error": "E", "Cause": "C"}`, "E", "C"},
		{"intrinsic cause", `"Error": "E", "CausePath": "States.Format('code {}', $.code)"`, `{"code": 42}`, "E", "code 42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			df := def("FailState", `"FailState": {"Type": "Fail", "Comment": "my error comment", `+tt.fields+`}`)
			d := runMachine(t, nil, df, tt.input)
			assertFailed(t, d, tt.wantErr)
			if d.Cause != tt.wantCause {
				t.Errorf("cause %q, want %q", d.Cause, tt.wantCause)
			}
		})
	}
}

func TestFailPathNotAString(t *testing.T) {
	df := def("F", `"F": {"Type": "Fail", "ErrorPath": "$.e"}`)
	assertFailed(t, runMachine(t, nil, df, `{"e": 1}`), ErrNameRuntime)
}

// The JSONPath Choice example of the specification, without its "Assign"
// fields (variables are refused, see TestParseRefusesByName).
const dispatchEvent = `
  "DispatchEvent": {
    "Type": "Choice",
    "Choices": [
      {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
      {"And": [
          {"Variable": "$.value", "IsPresent": true},
          {"Variable": "$.value", "IsNumeric": true},
          {"Variable": "$.value", "NumericGreaterThanEquals": 20},
          {"Variable": "$.value", "NumericLessThan": 30}
        ],
        "Next": "ValueInTwenties"},
      {"Variable": "$.rating", "NumericGreaterThanPath": "$.auditThreshold", "Next": "StartAudit"}
    ],
    "Default": "RecordEvent"
  },
  "Public": {"Type": "Pass", "Result": "Public", "End": true},
  "ValueInTwenties": {"Type": "Pass", "Result": "ValueInTwenties", "End": true},
  "StartAudit": {"Type": "Pass", "Result": "StartAudit", "End": true},
  "RecordEvent": {"Type": "Pass", "Result": "RecordEvent", "End": true}`

func TestSpecChoiceState(t *testing.T) {
	tests := []struct {
		input, want string
	}{
		{`{"type": "Private", "value": 22}`, "ValueInTwenties"},
		{`{"type": "Public", "value": 22}`, "Public"},
		{`{"type": "Private", "value": 35, "rating": 60, "auditThreshold": 50}`, "StartAudit"},
		{`{"type": "Private", "rating": 10, "auditThreshold": 50}`, "RecordEvent"},
		{`{"type": "Private", "value": "22", "rating": 10, "auditThreshold": 50}`, "RecordEvent"},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			d := runMachine(t, nil, def("DispatchEvent", dispatchEvent), tt.input)
			assertSucceeded(t, d, `"`+tt.want+`"`)
		})
	}
}

func TestChoiceNoMatch(t *testing.T) {
	df := def("C", `"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "S"}]},
	  "S": {"Type": "Succeed"}`)
	d := runMachine(t, nil, df, `{"x": 2}`)
	assertFailed(t, d, ErrNameNoChoiceMatched)
}

func TestChoiceVariableMissingIsRuntimeError(t *testing.T) {
	df := def("C", `"C": {"Type": "Choice", "Choices": [{"Variable": "$.missing", "StringEquals": "a", "Next": "S"}], "Default": "S"},
	  "S": {"Type": "Succeed"}`)
	assertFailed(t, runMachine(t, nil, df, `{}`), ErrNameRuntime)
}

func TestMissingPathsAreRuntimeErrors(t *testing.T) {
	for _, fields := range []string{`"InputPath": "$.missing"`, `"OutputPath": "$.missing"`} {
		df := def("P", `"P": {"Type": "Pass", `+fields+`, "End": true}`)
		d := runMachine(t, nil, df, `{}`)
		assertFailed(t, d, ErrNameRuntime)
		mustContain(t, d.Cause, "Invalid path '$.missing'")
	}
}

func TestInputPathGathersManyMatches(t *testing.T) {
	// "if the JSONPath $.a[0,1] is applied, the result will be two JSON
	// texts, 1 and 2 ... the interpreter gathers the texts into an array".
	df := def("P", `"P": {"Type": "Pass", "InputPath": "$.a[0,1]", "End": true}`)
	assertSucceeded(t, runMachine(t, nil, df, `{"a": [1, 2, 3, 4]}`), `[1, 2]`)
}

func TestInputPathNull(t *testing.T) {
	df := def("P", `"P": {"Type": "Pass", "InputPath": null, "End": true}`)
	assertSucceeded(t, runMachine(t, nil, df, `{"a": 1}`), `{}`)
}

// The Parallel State example "FunWithMath" of the specification, its task
// resources written as Lambda functions: given [3, 2], the output is [5, 1].
func TestSpecParallelState(t *testing.T) {
	fns := NewFunctions()
	fns.Register("Add", jsonFn(func(in any) (any, error) {
		a := in.([]any)
		return a[0].(float64) + a[1].(float64), nil
	}))
	fns.Register("Subtract", jsonFn(func(in any) (any, error) {
		a := in.([]any)
		return a[0].(float64) - a[1].(float64), nil
	}))
	df := def("FunWithMath", `
	  "FunWithMath": {
	    "Type": "Parallel",
	    "Branches": [
	      {"StartAt": "Add", "States": {"Add": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Add", "End": true}}},
	      {"StartAt": "Subtract", "States": {"Subtract": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Subtract", "End": true}}}
	    ],
	    "Next": "NextState"
	  },
	  "NextState": {"Type": "Succeed"}`)
	assertSucceeded(t, runMachine(t, fns, df, `[3, 2]`), `[5, 1]`)
}
