package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/relaysig"
)

// TestCallbackReceiverChecksAsAnAppMust: a good callback is verified, a
// wrong signature or a stale timestamp is refused with 401, and each
// verdict is printed.
func TestCallbackReceiverChecksAsAnAppMust(t *testing.T) {
	secret := []byte("local-secret")
	now := time.Unix(1_800_000_000, 0)
	var out strings.Builder
	h := callbackReceiver(secret, &out, func() time.Time { return now })
	body := `{"checkpoint_id":"cp_x","status":"connected","reason":"solved"}`
	for _, tc := range []struct {
		name    string
		secret  []byte
		at      time.Time
		want    int
		verdict string
	}{
		{"good", secret, now, http.StatusNoContent, "signature verified"},
		{"wrong secret", []byte("other"), now, http.StatusUnauthorized, "bad signature"},
		{"stale", secret, now.Add(-6 * time.Minute), http.StatusUnauthorized, "timestamp outside five minutes"},
	} {
		out.Reset()
		ts, sig := relaysig.Sign(tc.secret, tc.at, []byte(body))
		req := httptest.NewRequest(http.MethodPost, "/callback", strings.NewReader(body))
		req.Header.Set(relaysig.HeaderTimestamp, ts)
		req.Header.Set(relaysig.HeaderSignature, sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want || !strings.Contains(out.String(), tc.verdict) || !strings.Contains(out.String(), "cp_x connected") {
			t.Errorf("%s: %d, printed %q", tc.name, rec.Code, out.String())
		}
	}
}

func TestDemoRefusesBadUsage(t *testing.T) {
	t.Setenv("TWILIO_AUTH_TOKEN", "")
	t.Setenv("CALLBACK_SIGNING_SECRET", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"demo"}, "usage"},
		{[]string{"demo", "mail"}, "usage"},
		{[]string{"demo", "sms", "--text", "hi"}, "--to and --text"},
		{[]string{"demo", "sms", "--to", "+15005550006", "--text", "hi"}, "TWILIO_AUTH_TOKEN"},
		{[]string{"demo", "callbacks"}, "CALLBACK_SIGNING_SECRET"},
	} {
		code, out, errOut := runCLI(tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", tc.args, code, out, errOut)
		}
	}
}
