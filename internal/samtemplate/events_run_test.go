package samtemplate_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/checkpoint-relay/checkpoint-relay/internal/apigw"
	"github.com/checkpoint-relay/checkpoint-relay/internal/app"
	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
	"github.com/checkpoint-relay/checkpoint-relay/internal/localstack"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
)

func readHTTPEvent(t *testing.T, rel string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "events", rel))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return ev
}

func setBody(ev *events.APIGatewayV2HTTPRequest, body []byte) {
	if ev.IsBase64Encoded {
		ev.Body = base64.StdEncoding.EncodeToString(body)
	} else {
		ev.Body = string(body)
	}
	ev.Headers["content-length"] = strconv.Itoa(len(body))
}

func withPath(ev *events.APIGatewayV2HTTPRequest, param, value string) {
	old := ev.PathParameters[param]
	ev.PathParameters[param] = value
	ev.RawPath = strings.Replace(ev.RawPath, old, value, 1)
	ev.RequestContext.HTTP.Path = ev.RawPath
}

// TestEventsRunThroughTheirHandlers runs the samples of events/ through the
// handlers the Lambdas run (app.Build), on the local stack: the register
// sample registers (its callback pointed at a local server), the status
// and form samples read that checkpoint, the generic SMS sample, signed
// with the local secret, delivers its code, the other webhooks' samples
// carry signatures made with keys we do not have and must be refused, and
// the task samples run against the registered checkpoint.
func TestEventsRunThroughTheirHandlers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the local stack; skipped in -short")
	}
	ctx := context.Background()
	// The handlers log every request; the test's output is its failures.
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.DiscardHandler))
	st, err := localstack.Start(ctx, localstack.Options{
		Addr: "127.0.0.1:0", TimeScale: 0.01, Simulate: true,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("local stack: %v", err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })

	var mu sync.Mutex
	var callbacks []http.Header
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		callbacks = append(callbacks, r.Header.Clone())
		mu.Unlock()
	}))
	t.Cleanup(cb.Close)

	handlers := map[string]any{}
	build := func(fn string) any {
		if h, ok := handlers[fn]; ok {
			return h
		}
		h, err := app.Build(ctx, fn)
		if err != nil {
			t.Fatalf("app.Build(%s): %v", fn, err)
		}
		handlers[fn] = h
		return h
	}
	serve := func(fn string, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
		t.Helper()
		h, ok := build(fn).(apigw.Handler)
		if !ok {
			t.Fatalf("%s is not an HTTP handler", fn)
		}
		resp, err := h(ctx, ev)
		if err != nil {
			t.Fatalf("%s %s: %v", fn, ev.RouteKey, err)
		}
		// The form answers people with HTML pages; the API and the
		// webhooks answer machines with problem+json.
		ct := resp.Headers["Content-Type"] + resp.Headers["content-type"]
		if fn != "form" && resp.StatusCode >= 400 && !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("%s %s: %d answered as %q, want problem+json", fn, ev.RouteKey, resp.StatusCode, ct)
		}
		return resp
	}

	// Register both samples, as the app would, with the stack's key and a
	// callback URL of ours.
	register := func(rel string) (relay.Registration, map[string]any) {
		t.Helper()
		reg := readHTTPEvent(t, rel)
		var body map[string]any
		if err := json.Unmarshal([]byte(reg.Body), &body); err != nil {
			t.Fatal(err)
		}
		body["callback_url"] = cb.URL + "/hooks/checkpoint-relay"
		b, _ := json.Marshal(body)
		setBody(&reg, b)
		reg.Headers["authorization"] = "Bearer " + st.RelayAPIKey
		resp := serve("api", reg)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("%s: %d %s", rel, resp.StatusCode, resp.Body)
		}
		var registration relay.Registration
		if err := json.Unmarshal([]byte(resp.Body), &registration); err != nil {
			t.Fatal(err)
		}
		return registration, body
	}
	registration, body := register("api/register.json")
	totp, _ := register("api/register-totp.json")

	status := readHTTPEvent(t, "api/status.json")
	status.Headers["authorization"] = "Bearer " + st.RelayAPIKey
	withPath(&status, "id", registration.ID)
	if resp := serve("api", status); resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, registration.ID) {
		t.Errorf("status: %d %s", resp.StatusCode, resp.Body)
	}
	status.Headers["authorization"] = "Bearer rk_test_3f9c1b7e5d2a4c6b8e0f" // the sample's own key
	if resp := serve("api", status); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status with a wrong key: %d", resp.StatusCode)
	}

	// The forwarder samples: create one, read it back, list, rotate and
	// delete it; the samples' own id is unknown to the stack.
	create := readHTTPEvent(t, "api/forwarder-create.json")
	create.Headers["authorization"] = "Bearer " + st.RelayAPIKey
	resp := serve("api", create)
	var fw struct{ ID, Secret string }
	if err := json.Unmarshal([]byte(resp.Body), &fw); resp.StatusCode != http.StatusCreated || err != nil || fw.Secret == "" {
		t.Fatalf("create forwarder: %d %s", resp.StatusCode, resp.Body)
	}
	for _, step := range []struct {
		rel  string
		want int
	}{
		{"api/forwarder-list.json", http.StatusOK}, {"api/forwarder-get.json", http.StatusOK},
		{"api/forwarder-rotate.json", http.StatusOK}, {"api/forwarder-delete.json", http.StatusNoContent},
		{"api/forwarder-get.json", http.StatusNotFound}, {"api/forwarding-confirmations.json", http.StatusOK},
	} {
		ev := readHTTPEvent(t, step.rel)
		ev.Headers["authorization"] = "Bearer " + st.RelayAPIKey
		if _, ok := ev.PathParameters["id"]; ok {
			withPath(&ev, "id", fw.ID)
		}
		if resp := serve("api", ev); resp.StatusCode != step.want || (step.want == http.StatusOK && strings.Contains(resp.Body, fw.Secret)) {
			t.Errorf("%s: %d %s, want %d without the first secret", step.rel, resp.StatusCode, resp.Body, step.want)
		}
	}
	create.Headers["authorization"] = "Bearer rk_test_3f9c1b7e5d2a4c6b8e0f"
	if resp := serve("api", create); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("create forwarder with the sample's key: %d", resp.StatusCode)
	}

	// The form link of the registration, then the sample's unknown token.
	u, err := url.Parse(registration.FormURL)
	if err != nil {
		t.Fatal(err)
	}
	show := readHTTPEvent(t, "form/show.json")
	sampleToken := show.PathParameters["token"]
	withPath(&show, "token", strings.TrimPrefix(u.Path, "/c/"))
	if resp := serve("form", show); resp.StatusCode != http.StatusOK || !strings.Contains(resp.Headers["Content-Type"]+resp.Headers["content-type"], "text/html") {
		t.Errorf("form: %d %v", resp.StatusCode, resp.Headers)
	}
	withPath(&show, "token", sampleToken)
	if resp := serve("form", show); resp.StatusCode != http.StatusNotFound {
		t.Errorf("form with the sample's unknown token: %d", resp.StatusCode)
	}
	// Without the cookie the GET sets, the sample's POST is refused.
	if resp := serve("form", readHTTPEvent(t, "form/submit-code.json")); resp.StatusCode < 400 {
		t.Errorf("form POST with a forged CSRF cookie: %d", resp.StatusCode)
	}

	// The generic SMS sample, to the registered phone, signed with the
	// stack's secret: the code reaches the checkpoint.
	sms := readHTTPEvent(t, "sms-webhook/generic.json")
	var msg map[string]any
	if err := json.Unmarshal([]byte(sms.Body), &msg); err != nil {
		t.Fatal(err)
	}
	msg["to"] = body["phone"]
	b, _ := json.Marshal(msg)
	setBody(&sms, b)
	ts, sig := inbound.RelaySignature([]byte(os.Getenv("SMS_WEBHOOK_SECRET")), time.Now(), b)
	sms.Headers["x-relay-timestamp"], sms.Headers["x-relay-signature"] = ts, sig
	resp = serve("sms-webhook", sms)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `"status":"accepted"`) {
		t.Errorf("signed generic SMS: %d %s", resp.StatusCode, resp.Body)
	}

	// Every other webhook sample is signed with a key we do not have (or
	// its source is not configured locally): refused, never a 5xx.
	for fn, files := range sampleEvents(t) {
		if fn != "sms-webhook" && fn != "email-webhook" {
			continue
		}
		for _, file := range files {
			rel := filepath.Join(fn, filepath.Base(file))
			if rel == filepath.Join("sms-webhook", "generic.json") {
				continue
			}
			resp := serve(fn, readHTTPEvent(t, rel))
			if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d %s, want it refused", rel, resp.StatusCode, resp.Body)
			}
		}
	}

	// The task samples, for the registered checkpoint: each decodes into
	// its handler's input and answers a result or a named task error.
	for _, fn := range []string{"await-code", "solve", "resend", "finish"} {
		h := lambda.NewHandler(build(fn))
		for _, file := range sampleEvents(t)[fn] {
			rel := filepath.Join(fn, filepath.Base(file))
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var payload map[string]any
			if err := json.Unmarshal(b, &payload); err != nil {
				t.Fatal(err)
			}
			payload["checkpoint_id"] = registration.ID
			if payload["mode"] == "totp" {
				payload["checkpoint_id"] = totp.ID
			}
			b, _ = json.Marshal(payload)
			out, err := h.Invoke(ctx, b)
			if err != nil && relay.TaskErrorName(err) == "" {
				t.Errorf("%s: %v (not a named task error)", rel, err)
			} else if err == nil && !json.Valid(out) {
				t.Errorf("%s: answer %q is not JSON", rel, out)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(callbacks) == 0 {
		t.Error("the finish samples sent no callback")
	}
	for _, h := range callbacks {
		if h.Get(inbound.HeaderRelaySignature) == "" || h.Get(inbound.HeaderRelayTimestamp) == "" {
			t.Errorf("unsigned callback: %v", h)
		}
	}
}
