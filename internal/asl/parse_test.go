package asl

import (
	"errors"
	"strings"
	"testing"
)

const fnARN = "arn:aws:lambda:us-east-1:123456789012:function:F"

// Anything the runner does not implement is refused when the definition is
// parsed, and the error names it.
func TestParseRefusesByName(t *testing.T) {
	tests := []struct {
		name, def, want string
	}{
		{"distributed Map", def("M", `"M": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
		    "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}`),
			`state "M": Map ProcessorConfig Mode "DISTRIBUTED" is not supported by the local runner`},
		{"Map ItemReader", def("M", `"M": {"Type": "Map", "ItemReader": {"Resource": "arn:aws:states:::s3:getObject"},
		    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}`),
			`state "M": Map state: field "ItemReader" is not supported by the local runner`},
		{"JSONata at the top", `{"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`,
			`QueryLanguage "JSONata" is not supported`},
		{"JSONata on a state", def("P", `"P": {"Type": "Pass", "QueryLanguage": "JSONata", "End": true}`),
			`state "P": QueryLanguage "JSONata" is not supported`},
		{"JSONata Output", def("P", `"P": {"Type": "Pass", "Output": {}, "End": true}`),
			`field "Output" is not supported`},
		{"JSONata Condition", def("C", `"C": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "S"}]}, "S": {"Type": "Succeed"}`),
			`"Condition" (JSONata) in a Choice Rule is not supported`},
		// The Task State example of the specification names a generic task
		// resource; only Lambda resources run locally.
		{"the spec's Task example", def("TaskState", `"TaskState": {"Comment": "Task State example", "Type": "Task",
		    "Resource": "arn:aws:states:us-east-1:123456789012:task:HelloWorld", "End": true, "TimeoutSeconds": 300}`),
			`state "TaskState": Task resource "arn:aws:states:us-east-1:123456789012:task:HelloWorld" is not supported by the local runner`},
		{"activity resource", def("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:A", "End": true}`),
			`Task resource "arn:aws:states:us-east-1:123456789012:activity:A" is not supported`},
		{"lambda .sync", def("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.sync", "Parameters": {"FunctionName": "F"}, "End": true}`),
			`Task resource "arn:aws:states:::lambda:invoke.sync" is not supported`},
		{"another service", def("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "Parameters": {}, "End": true}`),
			`Task resource "arn:aws:states:::dynamodb:putItem" is not supported`},
		{"asynchronous invoke", def("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "F", "InvocationType": "Event"}, "End": true}`),
			`InvocationType other than "RequestResponse" is not supported`},
		{"lambda parameter", def("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "F", "TenantId": "x"}, "End": true}`),
			`lambda:invoke parameter "TenantId" is not supported`},
		{"HeartbeatSeconds", def("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
		    "Parameters": {"FunctionName": "F", "Payload": {"t.$": "$$.Task.Token"}}, "HeartbeatSeconds": 60, "End": true}`),
			`"HeartbeatSeconds" is not supported by the local runner`},
		{"HeartbeatSecondsPath", def("T", `"T": {"Type": "Task", "Resource": "`+fnARN+`", "HeartbeatSecondsPath": "$.h", "End": true}`),
			`"HeartbeatSecondsPath" is not supported by the local runner`},
		{"Credentials", def("T", `"T": {"Type": "Task", "Resource": "`+fnARN+`", "Credentials": {}, "End": true}`),
			`field "Credentials" is not supported`},
		{"jitter strategy", def("T", `"T": {"Type": "Task", "Resource": "`+fnARN+`", "End": true, "Retry": [{"ErrorEquals": ["X"], "JitterStrategy": "SAMPLE"}]}`),
			`JitterStrategy "SAMPLE" is not supported`},
		{"unknown States intrinsic", def("P", `"P": {"Type": "Pass", "Parameters": {"x.$": "States.Nope($.a)"}, "End": true}`),
			`intrinsic function States.Nope is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.def))
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want a *DefinitionError", err)
			}
			if !de.Unsupported {
				t.Errorf("%v is not marked unsupported", err)
			}
			if !errors.Is(err, ErrInvalidDefinition) {
				t.Errorf("%v does not match ErrInvalidDefinition", err)
			}
			mustContain(t, err.Error(), tt.want)
			if !strings.HasPrefix(err.Error(), "asl: ") {
				t.Errorf("%q does not start with \"asl: \"", err)
			}
		})
	}
}

func TestParseRejectsInvalidDefinitions(t *testing.T) {
	tests := []struct {
		name, def, want string
	}{
		{"not JSON", `{`, "not JSON"},
		{"no StartAt", `{"States": {"P": {"Type": "Pass", "End": true}}}`, "StartAt"},
		{"StartAt unknown", `{"StartAt": "X", "States": {"P": {"Type": "Pass", "End": true}}}`, `"X", which is not a state`},
		{"no Type", def("P", `"P": {"End": true}`), `"Type"`},
		{"unknown type", def("P", `"P": {"Type": "Nap", "End": true}`), `unknown state type "Nap"`},
		{"Next and End", def("P", `"P": {"Type": "Pass", "Next": "P", "End": true}`), `either "Next" or "End"`},
		{"neither Next nor End", def("P", `"P": {"Type": "Pass"}`), `either "Next" or "End"`},
		{"Next to nowhere", def("P", `"P": {"Type": "Pass", "Next": "Q"}`), `transition to "Q"`},
		{"unreachable state", def("P", `"P": {"Type": "Pass", "End": true}, "Q": {"Type": "Pass", "End": true}`), `"Q" cannot be reached`},
		{"unknown field", def("P", `"P": {"Type": "Pass", "Reslt": 1, "End": true}`), `unknown field(s) [Reslt]`},
		{"Choice with End", def("C", `"C": {"Type": "Choice", "End": true, "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "C"}]}`), `Choice state has no "Next" or "End"`},
		{"Choice without choices", def("C", `"C": {"Type": "Choice", "Choices": [], "Default": "C"}`), `"Choices" must be a non-empty array`},
		{"Wait with two times", def("W", `"W": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": true}`), "exactly one of"},
		{"Wait timestamp", def("W", `"W": {"Type": "Wait", "Timestamp": "2016-03-14 01:59:00", "End": true}`), "not an RFC 3339 timestamp"},
		{"Fail with Error and ErrorPath", def("F", `"F": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}`), `both "Error" and "ErrorPath"`},
		{"Fail with InputPath", def("F", `"F": {"Type": "Fail", "InputPath": "$"}`), `unknown field(s) [InputPath]`},
		{"Pass with Retry", def("P", `"P": {"Type": "Pass", "Retry": [], "End": true}`), `unknown field(s) [Retry]`},
		{"ResultPath not a reference path", def("P", `"P": {"Type": "Pass", "ResultPath": "$.a[*]", "End": true}`), "not a reference path"},
		{"ResultPath in the context", def("P", `"P": {"Type": "Pass", "ResultPath": "$$.a", "End": true}`), `must not start with "$$"`},
		{"States.ALL not last", def("T", `"T": {"Type": "Task", "Resource": "`+fnARN+`", "End": true, "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]}`), "alone, in the last"},
		{"States.ALL with others", def("T", `"T": {"Type": "Task", "Resource": "`+fnARN+`", "End": true, "Catch": [{"ErrorEquals": ["States.ALL", "X"], "Next": "T"}]}`), "alone, in the last"},
		{"BackoffRate below 1", def("T", `"T": {"Type": "Task", "Resource": "`+fnARN+`", "End": true, "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]}`), "BackoffRate"},
		{"negative MaxAttempts", def("T", `"T": {"Type": "Task", "Resource": "`+fnARN+`", "End": true, "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": -1}]}`), "MaxAttempts"},
		{"zero IntervalSeconds", def("T", `"T": {"Type": "Task", "Resource": "`+fnARN+`", "End": true, "Retry": [{"ErrorEquals": ["X"], "IntervalSeconds": 0}]}`), "IntervalSeconds"},
		{"both TimeoutSeconds forms", def("T", `"T": {"Type": "Task", "Resource": "`+fnARN+`", "End": true, "TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t"}`), "both"},
		{"callback without the token", def("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "Parameters": {"FunctionName": "F"}, "End": true}`), "$$.Task.Token"},
		{"invoke without FunctionName", def("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"Payload": {}}, "End": true}`), "FunctionName"},
		{"duplicate names across branches", def("P", `"P": {"Type": "Parallel", "End": true, "Branches": [{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}]}`), "unique"},
		{"long state name", def(strings.Repeat("x", 81), `"`+strings.Repeat("x", 81)+`": {"Type": "Pass", "End": true}`), "1 to 80 characters"},
		{"top-level TimeoutSeconds zero", `{"StartAt": "P", "TimeoutSeconds": 0, "States": {"P": {"Type": "Pass", "End": true}}}`, "TimeoutSeconds"},
		{"bad intrinsic", def("P", `"P": {"Type": "Pass", "Parameters": {"x.$": "States.Format('{}')"}, "End": true}`), "placeholders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.def))
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want a *DefinitionError", err)
			}
			if de.Unsupported {
				t.Errorf("%v is marked unsupported, but it is invalid", err)
			}
			mustContain(t, err.Error(), tt.want)
		})
	}
}

func TestParseAcceptsSupportedResources(t *testing.T) {
	for _, res := range []string{
		"arn:aws:lambda:us-east-1:123456789012:function:HelloWorld",
		"arn:aws:lambda:eu-west-3:123456789012:function:my-fn:$LATEST",
		"arn:aws:lambda:eu-west-3:123456789012:function:my_fn:prod",
	} {
		if _, err := Parse([]byte(def("T", `"T": {"Type": "Task", "Resource": "`+res+`", "End": true}`))); err != nil {
			t.Errorf("%s: %v", res, err)
		}
	}
	callback := def("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
	  "Parameters": {"FunctionName": "F", "Payload": {"token.$": "$$.Task.Token", "id.$": "$.id"}},
	  "TimeoutSecondsPath": "$.timeout", "End": true}`)
	if _, err := Parse([]byte(callback)); err != nil {
		t.Error(err)
	}
}
