package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkpoint-relay/checkpoint-relay/internal/apigw"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
)

// whNow is the fixed clock of the webhook tests.
var whNow = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

// whDeliverer records deliveries and answers as told: by default a message
// id it has seen before is a duplicate, anything else solved.
type whDeliverer struct {
	mu     sync.Mutex
	calls  []relay.Delivery
	seen   map[string]bool
	status relay.DeliveryStatus
	err    error
}

func (d *whDeliverer) Deliver(_ context.Context, del relay.Delivery) (relay.DeliveryResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, del)
	if d.err != nil {
		return relay.DeliveryResult{}, d.err
	}
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	key := del.Source + "#" + del.MessageID
	if d.seen[key] {
		return relay.DeliveryResult{Status: relay.DeliveryDuplicate}, nil
	}
	d.seen[key] = true
	if d.status != "" {
		return relay.DeliveryResult{Status: d.status}, nil
	}
	if del.Code == "" {
		return relay.DeliveryResult{Status: relay.DeliveryNoCode}, nil
	}
	return relay.DeliveryResult{Status: relay.DeliveryAccepted, CheckpointID: "cp_1"}, nil
}

var errStoreDown = errors.New("dynamodb: throttled")

// whEvent converts an HTTP request into the event API Gateway would send,
// so bodies are base64-encoded exactly when API Gateway would.
func whEvent(t testing.TB, path, contentType string, body []byte, headers map[string]string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	r := httptest.NewRequest("POST", "https://relay.example.com"+path, bytes.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	r.Header.Set("X-Forwarded-Proto", "https")
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	ev, err := apigw.ToEvent(r, apigw.Route{Key: "POST " + strings.SplitN(path, "?", 2)[0]})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func whLogger(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func whCall(t *testing.T, h apigw.Handler, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := h(context.Background(), ev)
	if err != nil {
		t.Fatalf("handler error: %v", err)
	}
	return resp
}

// whStatuses reads the statuses of a JSON answer.
func whStatuses(t *testing.T, resp events.APIGatewayV2HTTPResponse) []string {
	t.Helper()
	var a struct {
		Results []struct {
			MessageID string `json:"message_id"`
			Status    string `json:"status"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &a); err != nil {
		t.Fatalf("answer %q: %v", resp.Body, err)
	}
	var out []string
	for _, r := range a.Results {
		out = append(out, r.Status)
	}
	return out
}

func whProblemType(t *testing.T, resp events.APIGatewayV2HTTPResponse) string {
	t.Helper()
	if resp.Headers["Content-Type"] != "application/problem+json" {
		t.Fatalf("content type %q, want problem+json (body %s)", resp.Headers["Content-Type"], resp.Body)
	}
	var p struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
		t.Fatalf("problem %q: %v", resp.Body, err)
	}
	return p.Type
}

// whNoSecrets fails when a log line carries a code, a message text or a
// secret.
func whNoSecrets(t *testing.T, logs string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("logs contain %q:\n%s", s, logs)
		}
	}
}

func TestWebhookURL(t *testing.T) {
	ev := events.APIGatewayV2HTTPRequest{
		RawPath: "/v1/webhooks/sms/twilio", RawQueryString: "a=1",
		Headers: map[string]string{"host": "abc.execute-api.eu-west-1.amazonaws.com", "x-forwarded-proto": "https"},
	}
	tests := []struct {
		public string
		want   string
	}{
		{"", "https://abc.execute-api.eu-west-1.amazonaws.com/v1/webhooks/sms/twilio?a=1"},
		{"https://relay.example.com/", "https://relay.example.com/v1/webhooks/sms/twilio?a=1"},
		{"https://relay.example.com", "https://relay.example.com/v1/webhooks/sms/twilio?a=1"},
	}
	for _, tc := range tests {
		if got := webhookURL(ev, tc.public); got != tc.want {
			t.Errorf("webhookURL(public %q) = %q, want %q", tc.public, got, tc.want)
		}
	}
}

func TestWebhookSource(t *testing.T) {
	tests := []struct {
		ev   events.APIGatewayV2HTTPRequest
		want string
	}{
		{events.APIGatewayV2HTTPRequest{RouteKey: "POST /v1/webhooks/sms/twilio"}, "twilio"},
		{events.APIGatewayV2HTTPRequest{RouteKey: "POST /v1/webhooks/email/{source}", PathParameters: map[string]string{"source": "ses"}}, "ses"},
		{events.APIGatewayV2HTTPRequest{RouteKey: "$default", RawPath: "/v1/webhooks/email/mailgun/"}, "mailgun"},
	}
	for _, tc := range tests {
		if got := webhookSource(tc.ev); got != tc.want {
			t.Errorf("webhookSource(%+v) = %q, want %q", tc.ev, got, tc.want)
		}
	}
}
