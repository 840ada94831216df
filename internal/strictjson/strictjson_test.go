package strictjson

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		ok   bool
	}{
		{"ascii", `{"a":"b"}`, true},
		{"utf-8", `{"a":"café ✓ 😀"}`, true},
		{"escaped pair", `{"a":"\ud83d\ude00"}`, true},
		{"escaped BMP", `{"a":"\u00e9\u2713"}`, true},
		{"escaped backslash before u", `{"a":"\\ud800"}`, true},
		{"escaped quote", `{"a":"\"\ud83d\ude00"}`, true},
		{"raw invalid byte", "{\"a\":\"ok\xff\xfe\"}", false},
		{"truncated rune", "{\"a\":\"\xe2\x9c\"}", false},
		{"overlong encoding", "{\"a\":\"\xc0\xaf\"}", false},
		{"encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", false},
		{"lone high surrogate", `{"a":"\ud800"}`, false},
		{"high then text", `{"a":"\ud800x"}`, false},
		{"high then BMP escape", `{"a":"\ud800\u0041"}`, false},
		{"lone low surrogate", `{"a":"\udc00"}`, false},
		{"upper-case hex", `{"a":"\uD800"}`, false},
		{"in a key", `{"\udfff":1}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check([]byte(tc.body))
			if (err == nil) != tc.ok {
				t.Fatalf("Check = %v, want ok %v", err, tc.ok)
			}
			if !tc.ok && !errors.Is(err, ErrInvalidUTF8) {
				t.Fatalf("err = %v", err)
			}
			// What Check lets through decodes to exactly what was sent.
			if tc.ok {
				var v map[string]any
				if err := Unmarshal([]byte(tc.body), &v); err != nil {
					t.Fatal(err)
				}
				for k, s := range v {
					if str, _ := s.(string); containsReplacement(k) || containsReplacement(str) {
						t.Fatalf("decoded %q: %q with U+FFFD", k, str)
					}
				}
			}
		})
	}
}

func containsReplacement(s string) bool {
	for _, r := range s {
		if r == '\uFFFD' {
			return true
		}
	}
	return false
}

func FuzzCheck(f *testing.F) {
	f.Add([]byte(`{"a":"\ud83d\ude00"}`))
	f.Add([]byte("{\"a\":\"\xff\"}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if Check(b) != nil {
			return
		}
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		// Accepted and decoded: no replacement character appears that the
		// body did not spell itself.
		if containsReplacement(flatten(v)) && !containsReplacement(string(b)) && !containsEscapedReplacement(b) {
			t.Fatalf("%q decoded with U+FFFD", b)
		}
	})
}

func flatten(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		s := ""
		for _, e := range x {
			s += flatten(e)
		}
		return s
	case map[string]any:
		s := ""
		for k, e := range x {
			s += k + flatten(e)
		}
		return s
	}
	return ""
}

func containsEscapedReplacement(b []byte) bool {
	for i := 0; i+6 <= len(b); i++ {
		if b[i] == '\\' && b[i+1] == 'u' && strings.EqualFold(string(b[i+2:i+6]), "fffd") {
			return true
		}
	}
	return false
}
