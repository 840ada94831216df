package asl

import "testing"

// evalRule compiles one nested Choice Rule and tests it against input.
func evalRule(t *testing.T, rule, input string) (bool, error) {
	t.Helper()
	v, err := decodeJSONString(rule)
	if err != nil {
		t.Fatal(err)
	}
	r, err := compileChoice(v, false)
	if err != nil {
		t.Fatalf("compile %s: %v", rule, err)
	}
	in, _ := decodeJSONString(input)
	return r.eval(in, nil)
}

func TestChoiceOperators(t *testing.T) {
	input := `{"s": "foo23.log", "n": 22, "f": 2.5, "b": true, "t": "2016-03-14T01:59:00Z", "z": null,
	  "other": "foo", "m": 22.0, "t2": "2016-03-14T02:58:00+01:00", "ts": "2016-03-14T01:59:00Z"}`
	tests := []struct {
		rule string
		want bool
	}{
		{`{"Variable": "$.s", "StringEquals": "foo23.log"}`, true},
		{`{"Variable": "$.s", "StringEquals": "FOO23.log"}`, false},
		{`{"Variable": "$.other", "StringEqualsPath": "$.other"}`, true},
		{`{"Variable": "$.other", "StringLessThan": "fop"}`, true},
		{`{"Variable": "$.other", "StringLessThanPath": "$.s"}`, true},
		{`{"Variable": "$.other", "StringGreaterThan": "foo"}`, false},
		{`{"Variable": "$.other", "StringGreaterThanPath": "$.s"}`, false},
		{`{"Variable": "$.other", "StringLessThanEquals": "foo"}`, true},
		{`{"Variable": "$.other", "StringLessThanEqualsPath": "$.other"}`, true},
		{`{"Variable": "$.other", "StringGreaterThanEquals": "foo"}`, true},
		{`{"Variable": "$.other", "StringGreaterThanEqualsPath": "$.s"}`, false},
		{`{"Variable": "$.n", "StringEquals": "22"}`, false},
		{`{"Variable": "$.n", "NumericEquals": 22}`, true},
		{`{"Variable": "$.n", "NumericEqualsPath": "$.m"}`, true},
		{`{"Variable": "$.f", "NumericLessThan": 3}`, true},
		{`{"Variable": "$.f", "NumericLessThanPath": "$.n"}`, true},
		{`{"Variable": "$.f", "NumericGreaterThan": 2.5}`, false},
		{`{"Variable": "$.n", "NumericGreaterThanPath": "$.f"}`, true},
		{`{"Variable": "$.f", "NumericLessThanEquals": 2.5}`, true},
		{`{"Variable": "$.f", "NumericLessThanEqualsPath": "$.n"}`, true},
		{`{"Variable": "$.f", "NumericGreaterThanEquals": 2.5}`, true},
		{`{"Variable": "$.f", "NumericGreaterThanEqualsPath": "$.n"}`, false},
		{`{"Variable": "$.s", "NumericEquals": 22}`, false},
		{`{"Variable": "$.b", "BooleanEquals": true}`, true},
		{`{"Variable": "$.b", "BooleanEqualsPath": "$.b"}`, true},
		{`{"Variable": "$.n", "BooleanEquals": true}`, false},
		{`{"Variable": "$.t", "TimestampEquals": "2016-03-14T01:59:00Z"}`, true},
		{`{"Variable": "$.t", "TimestampEqualsPath": "$.t2"}`, false},
		{`{"Variable": "$.t2", "TimestampLessThan": "2016-03-14T01:59:00Z"}`, true},
		{`{"Variable": "$.t2", "TimestampLessThanPath": "$.t"}`, true},
		{`{"Variable": "$.t", "TimestampGreaterThan": "2016-03-14T01:58:59Z"}`, true},
		{`{"Variable": "$.t", "TimestampGreaterThanPath": "$.t2"}`, true},
		{`{"Variable": "$.t", "TimestampLessThanEquals": "2016-03-14T01:59:00Z"}`, true},
		{`{"Variable": "$.t", "TimestampLessThanEqualsPath": "$.ts"}`, true},
		{`{"Variable": "$.t", "TimestampGreaterThanEquals": "2016-03-14T02:00:00Z"}`, false},
		{`{"Variable": "$.t", "TimestampGreaterThanEqualsPath": "$.ts"}`, true},
		{`{"Variable": "$.s", "TimestampEquals": "2016-03-14T01:59:00Z"}`, false},
		{`{"Variable": "$.z", "IsNull": true}`, true},
		{`{"Variable": "$.s", "IsNull": true}`, false},
		{`{"Variable": "$.missing", "IsPresent": false}`, true},
		{`{"Variable": "$.z", "IsPresent": true}`, true},
		{`{"Variable": "$.f", "IsNumeric": true}`, true},
		{`{"Variable": "$.s", "IsNumeric": false}`, true},
		{`{"Variable": "$.s", "IsString": true}`, true},
		{`{"Variable": "$.b", "IsBoolean": true}`, true},
		{`{"Variable": "$.t", "IsTimestamp": true}`, true},
		{`{"Variable": "$.s", "IsTimestamp": true}`, false},
		{`{"And": [{"Variable": "$.n", "NumericEquals": 22}, {"Variable": "$.b", "BooleanEquals": false}]}`, false},
		{`{"Or": [{"Variable": "$.n", "NumericEquals": 1}, {"Variable": "$.b", "BooleanEquals": true}]}`, true},
		{`{"Not": {"Variable": "$.n", "NumericEquals": 1}}`, true},
		// And stops at the first false: the missing path is never read.
		{`{"And": [{"Variable": "$.n", "NumericEquals": 1}, {"Variable": "$.missing", "NumericEquals": 1}]}`, false},
	}
	for _, tt := range tests {
		got, err := evalRule(t, tt.rule, input)
		if err != nil {
			t.Errorf("%s: %v", tt.rule, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s = %v, want %v", tt.rule, got, tt.want)
		}
	}
}

// The StringMatches examples of the specification.
func TestSpecStringMatches(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"foo*.log", "foo23.log", true},
		{"*.log", "zebra.log", true},
		{"foo*.*", "foobar.zebra", true},
		{"foo*.log", "foo23.txt", false},
		{`log\\*`, "log*", true},
		{`log\\*`, "logs", false},
		{`a\\\\b`, `a\b`, true},
		{"*", "", true},
		{"a?c", "abc", false},
	}
	for _, tt := range tests {
		input := encodeJSON(map[string]any{"v": tt.value})
		rule := `{"Variable": "$.v", "StringMatches": "` + tt.pattern + `"}`
		got, err := evalRule(t, rule, input)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
}

func TestChoiceRuleErrors(t *testing.T) {
	for _, rule := range []string{
		`{"Variable": "$.a"}`,
		`{"Variable": "$.a", "StringEquals": "x", "NumericEquals": 1}`,
		`{"Variable": "$.a", "StringEquals": 1}`,
		`{"Variable": "$.a", "NumericEquals": "1"}`,
		`{"Variable": "$.a", "TimestampEquals": "yesterday"}`,
		`{"Variable": "$.a", "StringMatches": "open \\q"}`,
		`{"Variable": "$.a", "IsNullPath": "$.b"}`,
		`{"Variable": "$.a", "Equals": 1}`,
		`{"And": []}`,
		`{"Not": {"Variable": "$.a", "IsNull": true}, "Variable": "$.a"}`,
		`{"Variable": "$.a", "IsNull": true, "Next": "X"}`,
	} {
		v, _ := decodeJSONString(rule)
		if _, err := compileChoice(v, false); err == nil {
			t.Errorf("%s compiled", rule)
		}
	}
}
