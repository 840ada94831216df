package asl

import "testing"

func TestSpecReferencePaths(t *testing.T) {
	input, _ := decodeJSONString(`{"foo": 123, "bar": ["a", "b", "c"], "car": {"cdr": true}}`)
	tests := []struct {
		path, want string
	}{
		{"$.foo", `123`},
		{"$.bar", `["a", "b", "c"]`},
		{"$.car.cdr", `true`},
		{"$", `{"foo": 123, "bar": ["a", "b", "c"], "car": {"cdr": true}}`},
		{"$.bar[1]", `"b"`},
		{"$['car']['cdr']", `true`},
	}
	for _, tt := range tests {
		p, err := parseRefPath(tt.path)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		got, ok := p.get(input, nil)
		if !ok {
			t.Fatalf("%s matched nothing", tt.path)
		}
		assertJSON(t, encodeJSON(got), tt.want)
	}
}

// "Here are some examples of acceptable Reference Path syntax".
func TestSpecReferencePathSyntax(t *testing.T) {
	for _, src := range []string{
		`$.store.book`,
		`$.store\.book`,
		`$.\stor\e.boo\k`,
		`$.store.book.title`,
		`$.foo.\.bar`,
		`$.foo\@bar.baz\[\[.\?pretty`,
		"$.&Ж中.\U00010346",
		`$.ledgers.branch[0].pending.count`,
		`$.ledgers.branch[0]`,
		`$.ledgers[0][22][315].foo`,
		`$['store']['book']`,
		`$['store'][0]['book']`,
		`$.error-info`,
	} {
		if _, err := parseRefPath(src); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
}

func TestEscapedReferencePathNamesOneField(t *testing.T) {
	input := map[string]any{"store.book": int64(1), "foo@bar": map[string]any{"baz[[": int64(2)}}
	for src, want := range map[string]int64{`$.store\.book`: 1, `$.foo\@bar.baz\[\[`: 2} {
		p, err := parseRefPath(src)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := p.get(input, nil); !ok || got != want {
			t.Errorf("%s = %v %v, want %d", src, got, ok, want)
		}
	}
}

func TestNotReferencePaths(t *testing.T) {
	for _, src := range []string{"$.a[*]", "$..a", "$.a[0,1]", "$.a[1:3]", "$.a[?(@.b == 1)]", "a.b", ""} {
		if _, err := parseRefPath(src); err == nil {
			t.Errorf("%q accepted as a reference path", src)
		}
	}
}

func TestPathsGatherMatches(t *testing.T) {
	input, _ := decodeJSONString(`{"vals": [0, 10, 20, 30, 40, 50], "items": [{"id": 1}, {"id": 2}]}`)
	tests := []struct {
		path, want string
	}{
		{"$.vals[-3:]", `[30, 40, 50]`},
		{"$.items[*].id", `[1, 2]`},
		{"$..id", `[1, 2]`},
	}
	for _, tt := range tests {
		p, err := parsePath(tt.path)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		got, ok := p.get(input, nil)
		if !ok {
			t.Fatalf("%s matched nothing", tt.path)
		}
		assertJSON(t, encodeJSON(got), tt.want)
	}
}

func TestResultPathSetDoesNotModifyTheInput(t *testing.T) {
	input, _ := decodeJSONString(`{"a": {"b": 1}, "list": [1, 2]}`)
	for _, src := range []string{"$.a.c", "$.list[1]"} {
		p, _ := parseRefPath(src)
		if _, err := p.set(input, "x"); err != nil {
			t.Fatal(err)
		}
	}
	assertJSON(t, encodeJSON(input), `{"a": {"b": 1}, "list": [1, 2]}`)
}

func TestResultPathSetFailures(t *testing.T) {
	tests := []struct{ input, path string }{
		{`"foo"`, "$.x"},
		{`{"a": 1}`, "$.a.b"},
		{`{"list": [1]}`, "$.list[3]"},
		{`{"obj": {}}`, "$.obj[0]"},
	}
	for _, tt := range tests {
		in, _ := decodeJSONString(tt.input)
		p, _ := parseRefPath(tt.path)
		if _, err := p.set(in, 1); err == nil {
			t.Errorf("set %s on %s succeeded", tt.path, tt.input)
		}
	}
}
