package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/problem"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
)

const checkpointsTestKey = "test-relay-api-key-0123456789"

const checkpointsTestID = "cp_abcdefghijklmnopqrstuvwxyz"

// fakeCheckpoints answers with err when set; it records what it was given.
type fakeCheckpoints struct {
	err      error
	replayed bool
	got      relay.RegisterRequest
	gotID    string
}

func (f *fakeCheckpoints) Register(_ context.Context, req relay.RegisterRequest) (relay.Registration, error) {
	f.got = req
	if f.err != nil {
		return relay.Registration{}, f.err
	}
	return relay.Registration{ID: checkpointsTestID, Status: checkpoint.StatusPending, FormURL: "https://relay.example/c/tok",
		ExpiresAt: time.Date(2026, 11, 23, 4, 15, 0, 0, time.UTC), Replayed: f.replayed}, nil
}

func (f *fakeCheckpoints) Get(_ context.Context, id string) (relay.View, error) {
	f.gotID = id
	if f.err != nil {
		return relay.View{}, f.err
	}
	return relay.View{ID: id, Status: checkpoint.StatusConnected}, nil
}

func checkpointsEvent(route, path, body string, headers map[string]string) events.APIGatewayV2HTTPRequest {
	h := map[string]string{"authorization": "Bearer " + checkpointsTestKey, "content-type": "application/json"}
	for k, v := range headers {
		if v == "" {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
	method, _, _ := strings.Cut(route, " ")
	ev := events.APIGatewayV2HTTPRequest{RouteKey: route, RawPath: path, Headers: h, Body: body}
	ev.RequestContext.HTTP.Method = method
	if id, ok := strings.CutPrefix(path, "/v1/checkpoints/"); ok {
		ev.PathParameters = map[string]string{"id": id}
	}
	return ev
}

const validRegistration = `{"api":"postpress","account_id":"acc","provider":"LINKEDIN","type":"2FA","phone":"+33612345678"}`

func TestCheckpointsHandler(t *testing.T) {
	for _, tc := range []struct {
		name       string
		svcErr     error
		replayed   bool
		ev         events.APIGatewayV2HTTPRequest
		wantStatus int
		wantType   string // problem type, for errors
	}{
		{name: "register answers 201", ev: checkpointsEvent(RouteRegister, "/v1/checkpoints", validRegistration, nil), wantStatus: 201},
		{name: "missing key is 401", ev: checkpointsEvent(RouteRegister, "/v1/checkpoints", validRegistration, map[string]string{"authorization": ""}),
			wantStatus: 401, wantType: "errors/missing_credentials"},
		{name: "wrong key is 401", ev: checkpointsEvent(RouteRegister, "/v1/checkpoints", validRegistration, map[string]string{"authorization": "Bearer " + checkpointsTestKey + "x"}),
			wantStatus: 401, wantType: "errors/missing_credentials"},
		{name: "basic auth is 401", ev: checkpointsEvent(RouteRegister, "/v1/checkpoints", validRegistration, map[string]string{"authorization": "Basic " + checkpointsTestKey}),
			wantStatus: 401, wantType: "errors/missing_credentials"},
		{name: "status of an unknown checkpoint is 404", ev: checkpointsEvent(RouteGetCheckpoint, "/v1/checkpoints/"+checkpointsTestID, "", nil),
			svcErr: relay.ErrNotFound, wantStatus: 404, wantType: "errors/not_found"},
		{name: "malformed id is 404 without a lookup", ev: checkpointsEvent(RouteGetCheckpoint, "/v1/checkpoints/../../etc", "", nil),
			wantStatus: 404, wantType: "errors/not_found"},
		{name: "status answers 200", ev: checkpointsEvent(RouteGetCheckpoint, "/v1/checkpoints/"+checkpointsTestID, "", nil), wantStatus: 200},
		{name: "route rebuilt from method and path", ev: func() events.APIGatewayV2HTTPRequest {
			ev := checkpointsEvent("$default", "/v1/checkpoints/"+checkpointsTestID, "", nil)
			ev.RequestContext.HTTP.Method, ev.PathParameters = "GET", nil
			return ev
		}(), wantStatus: 200},
		{name: "invalid JSON is 400", ev: checkpointsEvent(RouteRegister, "/v1/checkpoints", `{"api":`, nil),
			wantStatus: 400, wantType: "errors/malformed_request"},
		{name: "unknown field is 400", ev: checkpointsEvent(RouteRegister, "/v1/checkpoints", `{"apii":"postpress"}`, nil),
			wantStatus: 400, wantType: "errors/malformed_request"},
		{name: "two JSON values are 400", ev: checkpointsEvent(RouteRegister, "/v1/checkpoints", validRegistration+validRegistration, nil),
			wantStatus: 400, wantType: "errors/malformed_request"},
		// encoding/json would register "ok_bad\uFFFD\uFFFDinput": another account.
		{name: "invalid UTF-8 is 400", ev: checkpointsEvent(RouteRegister, "/v1/checkpoints", strings.Replace(validRegistration, `"acc"`, "\"ok_bad\xff\xfeinput\"", 1), nil),
			wantStatus: 400, wantType: "errors/malformed_request"},
		{name: "an escaped lone surrogate is 400", ev: checkpointsEvent(RouteRegister, "/v1/checkpoints", strings.Replace(validRegistration, `"acc"`, `"acc\udc00"`, 1), nil),
			wantStatus: 400, wantType: "errors/malformed_request"},
		{name: "form body is 415", ev: checkpointsEvent(RouteRegister, "/v1/checkpoints", "api=postpress", map[string]string{"content-type": "application/x-www-form-urlencoded"}),
			wantStatus: 415, wantType: "errors/unsupported_media_type"},
		{name: "validation errors are 400 with fields", ev: checkpointsEvent(RouteRegister, "/v1/checkpoints", validRegistration, nil),
			svcErr: &relay.ValidationError{Fields: []problem.FieldError{{Field: "phone", Detail: "bad"}}}, wantStatus: 400, wantType: "errors/invalid_parameters"},
		{name: "idempotency conflict is 409", ev: checkpointsEvent(RouteRegister, "/v1/checkpoints", validRegistration, nil),
			svcErr: relay.ErrIdempotencyConflict, wantStatus: 409, wantType: "errors/idempotency_conflict"},
		{name: "infrastructure failure is 500 without its text", ev: checkpointsEvent(RouteRegister, "/v1/checkpoints", validRegistration, nil),
			svcErr: errors.New("dynamodb: table relay-prod unreachable"), wantStatus: 500, wantType: "errors/unexpected_error"},
		{name: "other routes are 404", ev: checkpointsEvent("DELETE /v1/checkpoints/{id}", "/v1/checkpoints/"+checkpointsTestID, "", nil),
			wantStatus: 404, wantType: "errors/not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := &fakeCheckpoints{err: tc.svcErr, replayed: tc.replayed}
			h, err := NewCheckpointsHandler(CheckpointsConfig{Service: svc, APIKey: checkpointsTestKey})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := h(context.Background(), tc.ev)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantStatus, resp.Body)
			}
			if tc.wantType == "" {
				if resp.Headers["Content-Type"] != "application/json" {
					t.Fatalf("content type %q", resp.Headers["Content-Type"])
				}
				return
			}
			var d problem.Details
			if err := json.Unmarshal([]byte(resp.Body), &d); err != nil || resp.Headers["Content-Type"] != problem.ContentType {
				t.Fatalf("not problem+json: %q %s", resp.Headers["Content-Type"], resp.Body)
			}
			if d.Type != tc.wantType || d.Status != tc.wantStatus {
				t.Fatalf("problem %+v, want type %s", d, tc.wantType)
			}
			if strings.Contains(resp.Body, "relay-prod") {
				t.Fatal("internal error text reached the client")
			}
		})
	}
}

func TestRegisterAnswersTheRegistrationAndPassesTheIdempotencyKey(t *testing.T) {
	svc := &fakeCheckpoints{replayed: true}
	h, _ := NewCheckpointsHandler(CheckpointsConfig{Service: svc, APIKey: checkpointsTestKey})
	resp, err := h(context.Background(), checkpointsEvent(RouteRegister, "/v1/checkpoints", validRegistration,
		map[string]string{"idempotency-key": "login-7", "content-type": "application/json; charset=utf-8"}))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("%d %s %v", resp.StatusCode, resp.Body, err)
	}
	var got map[string]any
	_ = json.Unmarshal([]byte(resp.Body), &got)
	if got["id"] != checkpointsTestID || got["status"] != "pending" || got["form_url"] != "https://relay.example/c/tok" ||
		got["expires_at"] != "2026-11-23T04:15:00Z" || len(got) != 4 {
		t.Fatalf("body %s", resp.Body)
	}
	if resp.Headers["Location"] != "/v1/checkpoints/"+checkpointsTestID || resp.Headers["Idempotent-Replayed"] != "true" {
		t.Fatalf("headers %v", resp.Headers)
	}
	if svc.got.IdempotencyKey != "login-7" || svc.got.Phone != "+33612345678" || svc.got.API != checkpoint.APIPostpress {
		t.Fatalf("service got %+v", svc.got)
	}
}

func TestNewCheckpointsHandlerRefusesAShortKey(t *testing.T) {
	if _, err := NewCheckpointsHandler(CheckpointsConfig{Service: &fakeCheckpoints{}, APIKey: "short"}); err == nil {
		t.Fatal("accepted a short API key")
	}
}
