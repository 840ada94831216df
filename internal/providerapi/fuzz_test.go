package providerapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// answerTransport answers every request with one status and body, without
// a network.
type answerTransport struct {
	status int
	body   []byte
}

func (a answerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: a.status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(a.body)), Request: r,
	}, nil
}

// FuzzAnswers feeds arbitrary answers to every client: each gives exactly
// one known outcome, never panics, and never calls a non-2xx answer a
// success.
func FuzzAnswers(f *testing.F) {
	seeds := []struct {
		status int
		body   string
	}{
		{201, `{"object":"AccountCreated","account_id":"a"}`},
		{202, `{"object":"Checkpoint","account_id":"a","checkpoint":{"type":"OTP"}}`},
		{200, `{"object":"CheckpointResend","account_id":"a","success":true}`},
		{401, `{"title":"Unauthorized","type":"errors/invalid_checkpoint_solution","status":401}`},
		{200, `{"success":true,"data":{"account_id":"a","status":"connected"},"metadata":{"credits_consumed":1}}`},
		{400, `{"success":false,"message":"Session expired"}`},
		{200, `{"identity_uid":"u","status":"VALID"}`},
		{424, `{"error_label":"LK_ERROR","status_code":424}`},
		{502, `<html>bad gateway</html>`},
		{200, ``},
	}
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body))
	}
	valid := map[checkpoint.Outcome]bool{}
	for _, o := range checkpoint.Outcomes {
		valid[o] = true
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		cfg := Config{BaseURL: "http://fuzz.invalid", APIKey: "k", HTTPClient: &http.Client{Transport: answerTransport{status, body}}}
		for _, api := range checkpoint.APIs {
			c, err := New(api, cfg)
			if err != nil {
				t.Fatal(err)
			}
			results := []Result{}
			res, err := c.Solve(context.Background(), SolveRequest{AccountID: "a", Provider: checkpoint.ProviderLinkedIn, Code: "123456"})
			if err != nil {
				t.Fatal(err)
			}
			results = append(results, res)
			if api == checkpoint.APIPostpress {
				res, err := c.Resend(context.Background(), ResendRequest{AccountID: "a", Provider: checkpoint.ProviderLinkedIn})
				if err != nil {
					t.Fatal(err)
				}
				results = append(results, res)
			}
			for _, r := range results {
				if !valid[r.Outcome] {
					t.Fatalf("%s: unknown outcome %q", api, r.Outcome)
				}
				if (r.Outcome == checkpoint.Connected || r.Outcome == checkpoint.Resent || r.Outcome == checkpoint.NextCheckpoint) && !success(status) {
					t.Fatalf("%s: %s from a %d answer", api, r.Outcome, status)
				}
				if r.HTTPStatus != status {
					t.Fatalf("%s: http_status %d, want %d", api, r.HTTPStatus, status)
				}
			}
		}
	})
}
