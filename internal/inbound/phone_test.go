package inbound_test

import (
	"testing"

	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"+447700900123", "+447700900123", true},
		{"447700900123", "+447700900123", true}, // Vonage: no plus
		{"00447700900123", "+447700900123", true},
		{"+1 (312) 555-0002", "+13125550002", true},
		{" +33 6 12 34 56 78 ", "+33612345678", true},
		{"LinkedIn", "LinkedIn", false}, // alphanumeric sender id
		{"+1-800-FLOWERS", "+1-800-FLOWERS", false},
		{"12", "12", false},
		{"", "", false},
	}
	for _, tc := range tests {
		got, ok := inbound.NormalizePhone(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestEmailCandidates(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"lower-cased", []string{"Jane.Doe@Example.COM"}, []string{"jane.doe@example.com"}},
		{"plus address: tagged first", []string{"jane+linkedin@example.com"}, []string{"jane+linkedin@example.com", "jane@example.com"}},
		{"order kept, duplicates dropped", []string{"a@x.io", "b@x.io", "A@x.io"}, []string{"a@x.io", "b@x.io"}},
		{"angle brackets", []string{"<a@x.io>"}, []string{"a@x.io"}},
		{"not addresses", []string{"", "nobody", "@x.io", "a@"}, nil},
		{"leading plus is not a tag", []string{"+a@x.io"}, []string{"+a@x.io"}},
	}
	for _, tc := range tests {
		if got := inbound.EmailCandidates(tc.in...); !equal(got, tc.want) {
			t.Errorf("%s: EmailCandidates(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}
