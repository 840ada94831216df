package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func runExtractCLI(stdin string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"extract"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExtractPrintsOneResultWhetherOrNotACodeIsFound(t *testing.T) {
	mail := "From: LinkedIn <security-noreply@linkedin.com>\r\nTo: jane@example.com\r\nSubject: Your verification code\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\nPlease use this verification code to complete your sign in: 804706\r\n"
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"sms with a code", nil, "Your LinkedIn verification code is 804706.",
			`{"code":"804706","service":"LINKEDIN","reason":"keyword"}`},
		{"sms without a code", []string{"--channel", "sms"}, "Your parcel 40912 arrives on 12/05.",
			`{"code":null,"service":null,"confidence":0,"reason":"no_code"}`},
		{"empty sms", nil, "", `{"code":null,"service":null,"confidence":0,"reason":"empty"}`},
		{"raw mail", []string{"--channel", "email"}, mail,
			`{"code":"804706","service":"LINKEDIN","reason":"keyword"}`},
		{"plain text as mail", []string{"--channel=email"}, "Your Instagram code: 123 456",
			`{"code":"123456","service":"INSTAGRAM","reason":"keyword"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runExtractCLI(tt.stdin, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			// Every field is printed, null when absent; the confidence is
			// checked for its range, the rest exactly.
			var got map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 4 {
				t.Fatalf("stdout %q is not one object of four fields", out)
			}
			conf, ok := got["confidence"].(float64)
			if !ok || conf < 0 || conf > 1 || (got["code"] == nil) != (conf == 0) {
				t.Errorf("confidence %v with code %v", got["confidence"], got["code"])
			}
			if !strings.Contains(tt.want, "confidence") {
				delete(got, "confidence")
			}
			g, _ := json.Marshal(got)
			var want map[string]any
			_ = json.Unmarshal([]byte(tt.want), &want)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Errorf("stdout %s\nwant   %s", g, w)
			}
		})
	}
}

func TestExtractRefusesBadUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"unknown channel", []string{"--channel", "fax"}},
		{"unknown flag", []string{"--verbose"}},
		{"stray argument", []string{"message.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runExtractCLI("code 123456", tt.args...)
			if code != 2 || out != "" || errOut == "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, a message on stderr only", code, out, errOut)
			}
		})
	}
}

func TestExtractRefusesOversizedInput(t *testing.T) {
	code, out, errOut := runExtractCLI(strings.Repeat("a", maxSMSInput+1))
	if code != 1 || out != "" || !strings.Contains(errOut, "larger than") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
