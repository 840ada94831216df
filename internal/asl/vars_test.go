package asl

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

// Variables in the JSONPath query language: Assign and $name.

func TestAssignAndReadAcrossStates(t *testing.T) {
	df := def("Setup", `"Setup": {"Type": "Pass", "Assign": {"n": 1, "obj": {"k": [1, 2]}, "id.$": "$.id", "exec.$": "$$.Execution.Name", "msg.$": "States.Format('id {}', $.id)"}, "Next": "Use"},
	  "Use": {"Type": "Pass", "Parameters": {"n.$": "$n", "k.$": "$obj.k[1]", "id.$": "$id", "exec.$": "$exec", "msg.$": "$msg", "sum.$": "States.MathAdd($n, 41)"}, "End": true}`)
	r := newTestRunner(t, nil)
	if err := r.RegisterStateMachine(testMachineARN, []byte(df)); err != nil {
		t.Fatal(err)
	}
	arn, _, err := r.StartExecution(testMachineARN, "e1", `{"id": "cp_1"}`)
	if err != nil {
		t.Fatal(err)
	}
	assertSucceeded(t, waitFor(t, r, arn), `{"n": 1, "k": 2, "id": "cp_1", "exec": "e1", "msg": "id cp_1", "sum": 42}`)
	h, _ := r.GetExecutionHistory(arn)
	got := h[2].Details.AssignedVariables // the Setup state's exit
	if h[2].Type != "PassStateExited" || got["id"] != `"cp_1"` || got["obj"] != `{"k":[1,2]}` || h[2].Details.AssignedVariablesDetails == nil {
		t.Errorf("event %s assigned %v", h[2].Type, got)
	}
}

// Every reference in a state reads the values from state entry; the new
// values are seen from the next state on (recorded on AWS).
func TestAssignEvaluationOrder(t *testing.T) {
	df := def("State0", `"State0": {"Type": "Pass", "Result": {"theQuestion": "Q?"}, "Assign": {"question.$": "$.theQuestion", "answer": 42}, "Next": "State1"},
	  "State1": {"Type": "Pass", "InputPath": "$answer", "OutputPath": "$answer", "Assign": {"answer": "<omitted>", "old.$": "$answer"}, "Next": "State2"},
	  "State2": {"Type": "Pass", "Parameters": {"answer.$": "$answer", "old.$": "$old", "question.$": "$question"}, "End": true}`)
	assertSucceeded(t, runMachine(t, nil, df, `{}`), `{"answer": "<omitted>", "old": 42, "question": "Q?"}`)
}

func TestAssignSeesTheStateResult(t *testing.T) {
	fns := NewFunctions()
	fns.Register("F", jsonFn(func(any) (any, error) { return map[string]any{"v": "HelloWorld!"}, nil }))
	df := def("Task", `"Task": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "F"},
	    "ResultSelector": {"p.$": "$.Payload"}, "Assign": {"result.$": "$.p.v"}, "ResultPath": null, "Next": "Wait"},
	  "Wait": {"Type": "Wait", "Seconds": 0, "Assign": {"waited.$": "$.in"}, "Next": "End"},
	  "End": {"Type": "Pass", "Parameters": {"r.$": "$result", "w.$": "$waited"}, "End": true}`)
	assertSucceeded(t, runMachine(t, fns, df, `{"in": 7}`), `{"r": "HelloWorld!", "w": 7}`)
}

func TestAssignInChoiceRulesAndDefault(t *testing.T) {
	df := def("C", `"C": {"Type": "Choice", "Assign": {"status": "INCORRECT", "guess.$": "$.v"},
	    "Choices": [{"Variable": "$.v", "NumericEquals": 42, "Assign": {"status": "CORRECT"}, "Next": "F"}], "Default": "F"},
	  "F": {"Type": "Pass", "Parameters": {"status.$": "$status"}, "End": true}`)
	assertSucceeded(t, runMachine(t, nil, df, `{"v": 42}`), `{"status": "CORRECT"}`)
	assertSucceeded(t, runMachine(t, nil, df, `{"v": 1}`), `{"status": "INCORRECT"}`)
	// A Choice Variable and its ...Path operand may be variables.
	cmp := def("S", `"S": {"Type": "Pass", "Assign": {"guess": "a", "answer": "a"}, "Next": "C"},
	  "C": {"Type": "Choice", "Choices": [{"Variable": "$guess", "StringEqualsPath": "$answer", "Next": "Yes"}], "Default": "No"},
	  "Yes": {"Type": "Succeed"}, "No": {"Type": "Fail"}`)
	if d := runMachine(t, nil, cmp, `{}`); d.Status != StatusSucceeded {
		t.Errorf("status %s", d.Status)
	}
}

func TestAssignInCatchSeesTheErrorOutput(t *testing.T) {
	fns := NewFunctions()
	fns.Register("F", func(context.Context, []byte) ([]byte, error) { return nil, &LambdaError{Type: "Boom", Message: "m"} })
	df := def("T", `"T": {"Type": "Task", "Resource": "`+fnARN+`", "Assign": {"result": "SUCCESS"}, "End": true,
	    "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"result.$": "$.Error"}, "ResultPath": null, "Next": "F"}]},
	  "F": {"Type": "Pass", "Parameters": {"result.$": "$result"}, "End": true}`)
	assertSucceeded(t, runMachine(t, fns, df, `{}`), `{"result": "Boom"}`)
}

func TestVariablesInPathFields(t *testing.T) {
	df := def("S", `"S": {"Type": "Pass", "Assign": {"secs": 0, "items": [1, 2, 3], "conc": 1, "err": "E", "cause": "C"}, "Next": "W"},
	  "W": {"Type": "Wait", "SecondsPath": "$secs", "Next": "M"},
	  "M": {"Type": "Map", "ItemsPath": "$items", "MaxConcurrencyPath": "$conc", "ItemSelector": {"v.$": "$$.Map.Item.Value", "c.$": "$conc"},
	    "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "ResultPath": "$.m", "Next": "Check"},
	  "Check": {"Type": "Choice", "Choices": [{"Variable": "$.m[2].v", "NumericEquals": 3, "Next": "Fail"}], "Default": "Succeed"},
	  "Succeed": {"Type": "Succeed"},
	  "Fail": {"Type": "Fail", "ErrorPath": "$err", "CausePath": "$cause"}`)
	d := runMachine(t, nil, df, `{}`)
	if d.Status != StatusFailed || d.Error != "E" || d.Cause != "C" {
		t.Errorf("status %s %s %s", d.Status, d.Error, d.Cause)
	}
}

// Branches and iterations read the outer scope; what they assign stays in
// their own scope and is gone when they end.
func TestInnerScopes(t *testing.T) {
	states := `"S": {"Type": "Pass", "Assign": {"x": 42, "items": [1, 2]}, "Next": "P"},
	  "P": {"Type": "Parallel", "ResultPath": "$.p", "Next": "M", "Branches": [
	    {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "Assign": {"inner": 1}, "Next": "B2"}, "B2": {"Type": "Pass", "Parameters": {"x.$": "$x", "inner.$": "$inner"}, "End": true}}},
	    {"StartAt": "C1", "States": {"C1": {"Type": "Pass", "Assign": {"inner": 2}, "Next": "C2"}, "C2": {"Type": "Pass", "Parameters": {"inner.$": "$inner"}, "End": true}}}]},
	  "M": {"Type": "Map", "ItemsPath": "$items", "ResultPath": "$.m", "Next": "After",
	    "ItemProcessor": {"StartAt": "I1", "States": {"I1": {"Type": "Pass", "Assign": {"item.$": "$"}, "Next": "I2"}, "I2": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($x, $item)"}, "End": true}}}},
	  "After": {"Type": "Pass", "Parameters": {"p.$": "$.p", "m.$": "$.m", "x.$": "$x"}, `
	assertSucceeded(t, runMachine(t, nil, def("S", states+`"End": true}`), `{}`),
		`{"p": [{"x": 42, "inner": 1}, {"inner": 2}], "m": [{"sum": 43}, {"sum": 44}], "x": 42}`)
	gone := def("S", states+`"Next": "Gone"}, "Gone": {"Type": "Pass", "Parameters": {"inner.$": "$inner"}, "End": true}`)
	d := runMachine(t, nil, gone, `{}`)
	assertFailed(t, d, ErrNameRuntime)
	mustContain(t, d.Cause, "state 'Gone'")
	mustContain(t, d.Cause, "The JSONPath '$inner' specified for the field 'inner.$' could not be found")
}

func TestVariableDefinitionRules(t *testing.T) {
	for _, tt := range []struct{ name, def, want string }{
		{"Succeed", def("S", `"S": {"Type": "Succeed", "Assign": {"x": 1}}`), "a Succeed state cannot assign"},
		{"Fail", def("F", `"F": {"Type": "Fail", "Assign": {"x": 1}}`), "a Fail state cannot assign"},
		{"nested rule", def("C", `"C": {"Type": "Choice", "Choices": [{"Not": {"Variable": "$.a", "IsNull": true, "Assign": {"x": 1}}, "Next": "S"}]}, "S": {"Type": "Succeed"}`), `nested Choice Rule must not have "Assign"`},
		{"reserved name", def("P", `"P": {"Type": "Pass", "Assign": {"states": 1}, "End": true}`), `"states" is reserved`},
		{"bad name", def("P", `"P": {"Type": "Pass", "Assign": {"1x": 1}, "End": true}`), `invalid variable name "1x"`},
		{"long name", def("P", `"P": {"Type": "Pass", "Assign": {"`+strings.Repeat("v", 81)+`": 1}, "End": true}`), "1 to 80 characters"},
		{"ResultPath", def("P", `"P": {"Type": "Pass", "ResultPath": "$x", "End": true}`), "names a variable"},
		{"Catch ResultPath", def("T", `"T": {"Type": "Task", "Resource": "`+fnARN+`", "End": true, "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$x.y", "Next": "T"}]}`), "names a variable"},
		{"$states reference", def("P", `"P": {"Type": "Pass", "Parameters": {"a.$": "$states.input"}, "End": true}`), `"states" is reserved`},
		{"outer variable in a branch", def("S", `"S": {"Type": "Pass", "Assign": {"x": 1}, "Next": "P"},
		  "P": {"Type": "Parallel", "End": true, "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": {"x": 2}, "End": true}}}]}`), `assigns the variable "x" of an enclosing scope`},
		{"outer variable in an iteration", def("M", `"M": {"Type": "Map", "Assign": {"y.$": "$[0]"}, "End": true,
		  "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "Assign": {"y": 2}, "End": true}}}}`), `assigns the variable "y" of an enclosing scope`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.def))
			if err == nil {
				t.Fatal("parsed")
			}
			mustContain(t, err.Error(), tt.want)
		})
	}
}

// failsWith checks an execution failed with name and a cause containing
// want, without printing the (large) data.
func failsWith(t *testing.T, d ExecutionDescription, name, want string) {
	t.Helper()
	if d.Status != StatusFailed || d.Error != name || !strings.Contains(d.Cause, want) {
		t.Errorf("status %s error %q cause %.200q, want FAILED %s with %q", d.Status, d.Error, d.Cause, name, want)
	}
}

func TestVariableSizeLimits(t *testing.T) {
	// The state's own output stays small (OutputPath null): only the
	// variable is over its limit.
	one := def("P", `"P": {"Type": "Pass", "Assign": {"v.$": "$$.Execution.Input.s"}, "OutputPath": null, "End": true}`)
	failsWith(t, runMachine(t, nil, one, `{"s": "`+strings.Repeat("x", maxVariableBytes-1)+`"}`), ErrNameDataLimitExceeded, "The variable 'v' is larger than")
	two := def("P", `"P": {"Type": "Pass", "Assign": {"a.$": "$.s", "b.$": "$.s"}, "OutputPath": null, "End": true}`)
	failsWith(t, runMachine(t, nil, two, `{"s": "`+strings.Repeat("x", maxAssignBytes/2)+`"}`), ErrNameDataLimitExceeded, "larger than 262144 bytes in all")
	// 60 states each holding 200 KiB more: past 10 MiB in all.
	var states []string
	for i := range 60 {
		next := `"Next": "S` + strconv.Itoa(i+1) + `"`
		if i == 59 {
			next = `"End": true`
		}
		states = append(states, `"S`+strconv.Itoa(i)+`": {"Type": "Pass", "Assign": {"v`+strconv.Itoa(i)+`.$": "$$.Execution.Input.s"}, "OutputPath": null, `+next+`}`)
	}
	failsWith(t, runMachine(t, nil, def("S0", strings.Join(states, ",")), `{"s": "`+strings.Repeat("x", 200*1024)+`"}`), ErrNameDataLimitExceeded, "10485760 bytes in all")
	// Reassigning a variable replaces its size rather than adding to it.
	states = states[:0]
	for i := range 60 {
		next := `"Next": "S` + strconv.Itoa(i+1) + `"`
		if i == 59 {
			next = `"End": true`
		}
		states = append(states, `"S`+strconv.Itoa(i)+`": {"Type": "Pass", "Assign": {"v.$": "$$.Execution.Input.s"}, "OutputPath": null, `+next+`}`)
	}
	if d := runMachine(t, nil, def("S0", strings.Join(states, ",")), `{"s": "`+strings.Repeat("x", 200*1024)+`"}`); d.Status != StatusSucceeded {
		t.Errorf("status %s error %s", d.Status, d.Error)
	}
}
