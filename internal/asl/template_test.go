package asl

import (
	"errors"
	"regexp"
	"testing"
)

// evalTemplate compiles a Payload Template and applies it.
func evalTemplate(t *testing.T, tmpl, input, contextObj string) (string, error) {
	t.Helper()
	tv, err := decodeJSONString(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := compileTemplate(tv)
	if err != nil {
		t.Fatalf("compile %s: %v", tmpl, err)
	}
	in, _ := decodeJSONString(input)
	en := &env{}
	if contextObj != "" {
		c, _ := decodeJSONString(contextObj)
		en.ctx = c.(map[string]any)
	}
	v, err := pt.eval(in, en)
	if err != nil {
		return "", err
	}
	return encodeJSON(v), nil
}

// The Payload Template example of the specification. The example's
// "weekday.$" reads "$.DayOfWeek" while DayOfWeek is in the Context Object;
// "$$.DayOfWeek" is what gives its stated result.
func TestSpecPayloadTemplate(t *testing.T) {
	got, err := evalTemplate(t, `{
	    "flagged": true,
	    "parts": {
	      "first.$": "$.vals[0]",
	      "last3.$": "$.vals[-3:]"
	    },
	    "weekday.$": "$$.DayOfWeek",
	    "formattedOutput.$": "States.Format('Today is {}', $$.DayOfWeek)"
	  }`, `{"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]}`, `{"DayOfWeek": "TUESDAY"}`)
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, got, `{
	  "flagged": true,
	  "parts": {"first": 0, "last3": [30, 40, 50]},
	  "weekday": "TUESDAY",
	  "formattedOutput": "Today is TUESDAY"
	}`)
}

func TestTemplateArraysOfObjects(t *testing.T) {
	got, err := evalTemplate(t, `{"list": [{"id.$": "$.id"}, 2]}`, `{"id": "x"}`, "")
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, got, `{"list": [{"id": "x"}, 2]}`)
}

func TestTemplatePathFailure(t *testing.T) {
	_, err := evalTemplate(t, `{"x.$": "$.missing"}`, `{}`, "")
	var se *StatesError
	if !errors.As(err, &se) || se.Name != ErrNameParameterPathFailure {
		t.Fatalf("error %v, want %s", err, ErrNameParameterPathFailure)
	}
}

func TestTemplateRejectsDuplicateAfterStrip(t *testing.T) {
	v, _ := decodeJSONString(`{"a": 1, "a.$": "$.b"}`)
	if _, err := compileTemplate(v); err == nil {
		t.Fatal("a template with \"a\" and \"a.$\" compiled")
	}
}

// The examples of Appendix B, one per intrinsic function.
func TestSpecIntrinsicFunctions(t *testing.T) {
	tests := []struct {
		name, tmpl, input, want string
	}{
		{"Format", `{"foo.$": "States.Format('Your name is {}, we are in the year {}', $.name, 2020)"}`,
			`{"name": "Foo", "zebra": "stripe"}`, `{"foo": "Your name is Foo, we are in the year 2020"}`},
		{"Format with escapes", `{"greeting.$": "States.Format('Welcome to {} {}\\'s playlist.', $.firstName, $.lastName)"}`,
			`{"firstName": "John", "lastName": "Doe"}`, `{"greeting": "Welcome to John Doe's playlist."}`},
		{"Format escaped braces", `{"s.$": "States.Format('\\{\\} {} \\\\', $.v)"}`, `{"v": true}`, `{"s": "{} true \\"}`},
		{"Format null and float", `{"s.$": "States.Format('{} {}', $.n, $.f)"}`, `{"n": null, "f": 2.5}`, `{"s": "null 2.5"}`},
		{"StringToJson", `{"foo.$": "States.StringToJson($.someString)"}`,
			`{"someString": "{\"number\": 20}", "zebra": "stripe"}`, `{"foo": {"number": 20}}`},
		{"JsonToString", `{"foo.$": "States.JsonToString($.someJson)"}`,
			`{"someJson": {"name": "Foo", "year": 2020}, "zebra": "stripe"}`, `{"foo": "{\"name\":\"Foo\",\"year\":2020}"}`},
		{"Array", `{"foo.$": "States.Array('Foo', 2020, $.someJson, null)"}`,
			`{"someJson": {"random": "abcdefg"}, "zebra": "stripe"}`, `{"foo": ["Foo", 2020, {"random": "abcdefg"}, null]}`},
		{"ArrayPartition", `{"inputArray.$": "States.ArrayPartition($.inputArray,4)"}`,
			`{"inputArray": [1,2,3,4,5,6,7,8,9]}`, `{"inputArray": [[1,2,3,4], [5,6,7,8], [9]]}`},
		{"ArrayContains", `{"contains.$": "States.ArrayContains($.inputArray, $.lookingFor)"}`,
			`{"inputArray": [1,2,3,4,5,6,7,8,9], "lookingFor": 5}`, `{"contains": true}`},
		{"ArrayRange", `{"array.$": "States.ArrayRange(1, 9, 2)"}`, `{}`, `{"array": [1,3,5,7,9]}`},
		{"ArrayGetItem", `{"item.$": "States.ArrayGetItem($.inputArray, $.index)"}`,
			`{"inputArray": [1,2,3,4,5,6,7,8,9], "index": 5}`, `{"item": 6}`},
		{"ArrayLength", `{"length.$": "States.ArrayLength($.inputArray)"}`, `{"inputArray": [1,2,3,4,5,6,7,8,9]}`, `{"length": 9}`},
		{"ArrayUnique", `{"array.$": "States.ArrayUnique($.inputArray)"}`, `{"inputArray": [1,2,3,3,3,3,3,3,4]}`, `{"array": [1,2,3,4]}`},
		{"Base64Encode", `{"base64.$": "States.Base64Encode($.input)"}`, `{"input": "Data to encode"}`, `{"base64": "RGF0YSB0byBlbmNvZGU="}`},
		{"Base64Decode", `{"data.$": "States.Base64Decode($.base64)"}`, `{"base64": "RGF0YSB0byBlbmNvZGU="}`, `{"data": "Data to encode"}`},
		// The specification prints this SHA-1 with one digit missing (39 of
		// 40): "...d18d7485e8...". The full digest is below.
		{"Hash", `{"output.$": "States.Hash($.Data, $.Algorithm)"}`, `{"Data": "input data", "Algorithm": "SHA-1"}`,
			`{"output": "aaff4a450a104cd177d28d18d74485e8cae074b7"}`},
		{"JsonMerge shallow", `{"output.$": "States.JsonMerge($.json1, $.json2, false)"}`,
			`{"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}}`,
			`{"output": {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3}}`},
		{"JsonMerge deep", `{"output.$": "States.JsonMerge($.json1, $.json2, true)"}`,
			`{"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}}`,
			`{"output": {"a": {"a1": 1, "a2": 2, "a3": 1, "a4": 2}, "b": 2, "c": 3}}`},
		{"MathAdd", `{"value1.$": "States.MathAdd($.value1, $.step)"}`, `{"value1": 111, "step": -1}`, `{"value1": 110}`},
		{"StringSplit", `{"array.$": "States.StringSplit($.inputString, $.splitter)"}`,
			`{"inputString": "1,2,3,4,5", "splitter": ","}`, `{"array": ["1","2","3","4","5"]}`},
		{"StringSplit on several characters", `{"array.$": "States.StringSplit($.s, '.+,=')"}`,
			`{"s": "This.is+a,test=string"}`, `{"array": ["This","is","a","test","string"]}`},
		{"nested calls", `{"n.$": "States.ArrayLength(States.Array(1, 2, States.MathAdd(1, 2)))"}`, `{}`, `{"n": 3}`},
		{"context path argument", `{"s.$": "States.Format('{}', $$.DayOfWeek)"}`, `{}`, `{"s": "TUESDAY"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := evalTemplate(t, tt.tmpl, tt.input, `{"DayOfWeek": "TUESDAY"}`)
			if err != nil {
				t.Fatal(err)
			}
			assertJSON(t, got, tt.want)
		})
	}
}

func TestIntrinsicRandomValues(t *testing.T) {
	got, err := evalTemplate(t, `{"u.$": "States.UUID()", "r.$": "States.MathRandom(1, 999)", "s1.$": "States.MathRandom(1, 999, 7)", "s2.$": "States.MathRandom(1, 999, 7)"}`, `{}`, "")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := decodeJSONString(got)
	m := v.(map[string]any)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(m["u"].(string)) {
		t.Errorf("UUID %v is not a version 4 UUID", m["u"])
	}
	if r := m["r"].(int64); r < 1 || r > 999 {
		t.Errorf("MathRandom(1, 999) = %d", r)
	}
	if m["s1"] != m["s2"] {
		t.Errorf("the same seed gave %v and %v", m["s1"], m["s2"])
	}
}

func TestIntrinsicFailures(t *testing.T) {
	tests := []struct {
		name, tmpl, input string
	}{
		{"StringToJson of bad JSON", `{"x.$": "States.StringToJson($.s)"}`, `{"s": "{"}`},
		{"MathAdd of a string", `{"x.$": "States.MathAdd($.a, 1)"}`, `{"a": "1"}`},
		{"ArrayGetItem out of range", `{"x.$": "States.ArrayGetItem($.a, 3)"}`, `{"a": [1]}`},
		{"Format template from a path with too few values", `{"x.$": "States.Format($.t)"}`, `{"t": "{}"}`},
		{"ArrayRange of more than 1000 items", `{"x.$": "States.ArrayRange(1, 2000, 1)"}`, `{}`},
		{"a path that matches nothing", `{"x.$": "States.ArrayLength($.missing)"}`, `{}`},
		{"Hash with an unknown algorithm", `{"x.$": "States.Hash('a', 'SHA-3')"}`, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := evalTemplate(t, tt.tmpl, tt.input, "")
			var se *StatesError
			if !errors.As(err, &se) || se.Name != ErrNameIntrinsicFailure {
				t.Fatalf("error %v, want %s", err, ErrNameIntrinsicFailure)
			}
		})
	}
}

func TestIntrinsicSyntaxErrors(t *testing.T) {
	for _, src := range []string{
		"States.Format('{} {}', $.a)",   // placeholders and values differ
		"States.Format('open \\q')",     // open escape
		"States.Array(1, 2",             // unterminated
		"States.Array('unterminated)",   // unterminated string
		"States.MathAdd(1)",             // too few arguments
		"States.UUID(1)",                // too many arguments
		"Custom.Function()",             // not a known function
		"States.Array(1) trailing",      // text after the call
		"States.Format('{ alone', $.a)", // unescaped brace
	} {
		if _, err := parseIntrinsic(src); err == nil {
			t.Errorf("%s parsed", src)
		}
	}
}
