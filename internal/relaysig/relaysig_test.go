package relaysig

import (
	"testing"
	"time"
)

func TestSignatureMatchesOnlyTheSignedBodySecretAndTime(t *testing.T) {
	secret, body := []byte("s3cret"), []byte(`{"status":"connected"}`)
	ts, sig := Sign(secret, time.Unix(1795400373, 0), body)
	if ts != "1795400373" {
		t.Fatalf("timestamp = %q", ts)
	}
	_, other := Sign([]byte("rotated"), time.Unix(1795400373, 0), body)
	for _, tc := range []struct {
		name    string
		secret  []byte
		ts, sig string
		body    []byte
		want    bool
	}{
		{"as signed", secret, ts, sig, body, true},
		{"one of two while rotating", secret, ts, other + "," + sig, body, true},
		{"other secret", []byte("x"), ts, sig, body, false},
		{"other body", secret, ts, sig, append(body, ' '), false},
		{"other time", secret, "1795400374", sig, body, false},
		{"no version prefix", secret, ts, sig[3:], body, false},
		{"no secret", nil, ts, sig, body, false},
		{"no timestamp", secret, "", sig, body, false},
	} {
		if got := Match(tc.secret, tc.ts, tc.sig, tc.body); got != tc.want {
			t.Errorf("%s: Match = %v, want %v", tc.name, got, tc.want)
		}
	}
}
