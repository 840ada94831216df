package inbound

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestReadForm(t *testing.T) {
	tests := []struct {
		name string
		ct   string
		body string
		want string // value of field "a"
		err  error
	}{
		{"urlencoded", "application/x-www-form-urlencoded; charset=UTF-8", "a=1&b=2", "1", nil},
		{"no content type", "", "a=x", "x", nil},
		{"multipart without boundary", "multipart/form-data", "", "", ErrMalformed},
		{"json is not a form", "application/json", `{"a":1}`, "", ErrMalformed},
		{"garbled type", "text/;;", "a=1", "", ErrMalformed},
		{"bad escape", "application/x-www-form-urlencoded", "a=%zz", "", ErrMalformed},
		{"truncated multipart", "multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1", "", ErrMalformed},
		{"multipart skips files", "multipart/form-data; boundary=XX",
			"--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\n\r\nBIN\r\n" +
				"--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XX--\r\n", "v", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.ct != "" {
				h.Set("Content-Type", tc.ct)
			}
			v, err := readForm(h, []byte(tc.body))
			if !errors.Is(err, tc.err) || (err == nil && tc.err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err == nil && (v.Get("a") != tc.want || v.Has("f")) {
				t.Errorf("form = %v", v)
			}
		})
	}
}

func TestTokenCache(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	var c tokenCache
	if c.use("t1", now) {
		t.Fatal("first use reported as replay")
	}
	if !c.use("t1", now.Add(time.Minute)) {
		t.Fatal("second use within the window not caught")
	}
	if c.use("t1", now.Add(time.Hour)) {
		t.Fatal("a token long past its window still refused")
	}
	// Filling the cache drops expired tokens first and keeps working.
	for i := 0; i < maxTokens+10; i++ {
		c.use(time.Duration(i).String(), now.Add(2*time.Hour))
	}
	if len(c.seen) > maxTokens {
		t.Fatalf("cache holds %d tokens, bound is %d", len(c.seen), maxTokens)
	}
}

func TestVerifyRelaySignatureWindow(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	secret := []byte("k")
	body := []byte(`{}`)
	tests := []struct {
		name string
		at   time.Time
		want error
	}{
		{"now", now, nil},
		{"4 minutes old", now.Add(-4 * time.Minute), nil},
		{"6 minutes old", now.Add(-6 * time.Minute), ErrStale},
		{"6 minutes ahead", now.Add(6 * time.Minute), ErrStale},
	}
	for _, tc := range tests {
		ts, sig := RelaySignature(secret, tc.at, body)
		if err := VerifyRelaySignature(secret, ts, sig, body, now); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := VerifyRelaySignature(nil, "1", "v1=00", body, now); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("no secret: err = %v", err)
	}
	if err := VerifyRelaySignature(secret, "", "", body, now); !errors.Is(err, ErrSignature) {
		t.Errorf("no headers: err = %v", err)
	}
}

func TestHeaderRecipientsOrder(t *testing.T) {
	raw := []byte("Delivered-To: fwd@relay.example.com\r\nDelivered-To: jane@example.com\r\n" +
		"X-Original-To: jane+li@example.com\r\nTo: \"Doe, Jane\" <Jane@Example.com>, bob@example.com\r\n" +
		"X-Forwarded-For: jane@example.com fwd@relay.example.com\r\nSubject: x\r\n\r\nbody")
	got, _ := rawHeaderRecipients(raw)
	// Delivered-To bottom-up: jane (first hop) before fwd (the forward).
	want := []string{"Jane@Example.com", "bob@example.com", "jane+li@example.com", "jane@example.com", "fwd@relay.example.com"}
	if len(got) != len(want) {
		t.Fatalf("recipients = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("recipients = %q, want %q", got, want)
		}
	}
}
