package providerapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

func TestRequestsMatchTheDocuments(t *testing.T) {
	tests := []struct {
		name       string
		api        checkpoint.API
		resend     bool
		req        SolveRequest
		wantPath   string
		wantHeader string
		wantBody   string
	}{
		{"postpress solve sends account, provider and code", checkpoint.APIPostpress, false,
			SolveRequest{AccountID: "acc_1", Provider: checkpoint.ProviderLinkedIn, Code: "123456"},
			"/v1/accounts/checkpoint", "X-Api-Key", `{"account_id":"acc_1","provider":"LINKEDIN","code":"123456"}`},
		{"postpress solve formats a phone number with its country code in brackets", checkpoint.APIPostpress, false,
			SolveRequest{AccountID: "acc_1", Provider: checkpoint.ProviderLinkedIn, Code: "+33612345678"},
			"/v1/accounts/checkpoint", "X-Api-Key", `{"account_id":"acc_1","provider":"LINKEDIN","code":"(+33)0612345678"}`},
		{"postpress solve sends TRY_ANOTHER_WAY as a code", checkpoint.APIPostpress, false,
			SolveRequest{AccountID: "acc_1", Provider: checkpoint.ProviderInstagram, Code: TryAnotherWay},
			"/v1/accounts/checkpoint", "X-Api-Key", `{"account_id":"acc_1","provider":"INSTAGRAM","code":"TRY_ANOTHER_WAY"}`},
		{"postpress resend sends account and provider", checkpoint.APIPostpress, true,
			SolveRequest{AccountID: "acc_1", Provider: checkpoint.ProviderMessenger},
			"/v1/accounts/checkpoint/resend", "X-Api-Key", `{"account_id":"acc_1","provider":"MESSENGER"}`},
		{"linkup code_challenge sends the code", checkpoint.APILinkup, false,
			SolveRequest{AccountID: "69c127c3", Type: checkpoint.TypeCodeChallenge, Code: "654321"},
			"/v2/checkpoint", "X-Api-Key", `{"account_id":"69c127c3","code":"654321"}`},
		{"linkup app_challenge sends only the account", checkpoint.APILinkup, false,
			SolveRequest{AccountID: "69c127c3", Type: checkpoint.TypeAppChallenge, Code: "654321"},
			"/v2/checkpoint", "X-Api-Key", `{"account_id":"69c127c3"}`},
		{"linkup poll without a code sends only the account", checkpoint.APILinkup, false,
			SolveRequest{AccountID: "69c127c3"},
			"/v2/checkpoint", "X-Api-Key", `{"account_id":"69c127c3"}`},
		{"edges sends the code in the identity's path", checkpoint.APIEdges, false,
			SolveRequest{AccountID: "5678e456-e89b", Provider: checkpoint.ProviderLinkedIn, Code: "925632"},
			"/v1/identities/5678e456-e89b/integrations/linkedin/checkpoint", "X-Api-Key", `{"code":"925632"}`},
		{"edges polls with an empty object", checkpoint.APIEdges, false,
			SolveRequest{AccountID: "5678e456-e89b"},
			"/v1/identities/5678e456-e89b/integrations/linkedin/checkpoint", "X-Api-Key", `{}`},
		{"edges escapes the identity uid", checkpoint.APIEdges, false,
			SolveRequest{AccountID: "a/b?c"},
			"/v1/identities/a%2Fb%3Fc/integrations/linkedin/checkpoint", "X-Api-Key", `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, 500, "application/json", `{}`)
			c := client(t, tt.api, f.URL+"/")
			var err error
			if tt.resend {
				_, err = c.Resend(context.Background(), ResendRequest{AccountID: tt.req.AccountID, Provider: tt.req.Provider})
			} else {
				_, err = c.Solve(context.Background(), tt.req)
			}
			if err != nil {
				t.Fatal(err)
			}
			got := f.only(t)
			if got.Method != http.MethodPost || got.Path != tt.wantPath {
				t.Errorf("request %s %s, want POST %s", got.Method, got.Path, tt.wantPath)
			}
			if got.Header.Get(tt.wantHeader) != testKey {
				t.Errorf("header %s = %q, want the API key", tt.wantHeader, got.Header.Get(tt.wantHeader))
			}
			if ct := got.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if got.Raw != tt.wantBody {
				t.Errorf("body %s, want %s", got.Raw, tt.wantBody)
			}
		})
	}
}

func TestRefusedBeforeAnyRequest(t *testing.T) {
	tests := []struct {
		name string
		api  checkpoint.API
		call func(Client) error
	}{
		{"postpress resend refuses TWITTER", checkpoint.APIPostpress, func(c Client) error {
			_, err := c.Resend(context.Background(), ResendRequest{AccountID: "a", Provider: checkpoint.ProviderTwitter})
			return err
		}},
		{"postpress cannot poll", checkpoint.APIPostpress, func(c Client) error {
			_, err := c.Solve(context.Background(), SolveRequest{AccountID: "a", Provider: checkpoint.ProviderLinkedIn})
			return err
		}},
		{"linkup has no resend", checkpoint.APILinkup, func(c Client) error {
			_, err := c.Resend(context.Background(), ResendRequest{AccountID: "a", Provider: checkpoint.ProviderLinkedIn})
			return err
		}},
		{"edges has no resend", checkpoint.APIEdges, func(c Client) error {
			_, err := c.Resend(context.Background(), ResendRequest{AccountID: "a", Provider: checkpoint.ProviderLinkedIn})
			return err
		}},
		{"edges only solves LinkedIn", checkpoint.APIEdges, func(c Client) error {
			_, err := c.Solve(context.Background(), SolveRequest{AccountID: "a", Provider: checkpoint.ProviderInstagram, Code: "1"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, 200, "application/json", `{}`)
			if err := tt.call(client(t, tt.api, f.URL)); !errors.Is(err, ErrUnsupported) {
				t.Fatalf("err = %v, want ErrUnsupported", err)
			}
			if n := len(f.requests()); n != 0 {
				t.Fatalf("%d requests made, want none", n)
			}
		})
	}
}

func TestInvalidInputIsAnErrorBeforeAnyRequest(t *testing.T) {
	f := newFakeAPI(t, 200, "application/json", `{}`)
	c := client(t, checkpoint.APIPostpress, f.URL)
	if _, err := c.Solve(context.Background(), SolveRequest{Provider: checkpoint.ProviderLinkedIn, Code: "1"}); err == nil {
		t.Error("missing account id accepted")
	}
	if _, err := c.Solve(context.Background(), SolveRequest{AccountID: "a", Provider: "MYSPACE", Code: "1"}); err == nil {
		t.Error("unknown provider accepted")
	}
	if n := len(f.requests()); n != 0 {
		t.Fatalf("%d requests made, want none", n)
	}
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	tests := []struct {
		name string
		api  checkpoint.API
		cfg  Config
	}{
		{"no base URL", checkpoint.APIPostpress, Config{APIKey: "k"}},
		{"base URL without scheme", checkpoint.APILinkup, Config{BaseURL: "api.example.com", APIKey: "k"}},
		{"no API key", checkpoint.APIEdges, Config{BaseURL: "https://api.edges.run"}},
		{"base URL with a query", checkpoint.APIEdges, Config{BaseURL: "https://api.edges.run/?x=1", APIKey: "k"}},
		{"base URL without host", checkpoint.APIPostpress, Config{BaseURL: "https://", APIKey: "k"}},
		{"unknown API", "acme", Config{BaseURL: "https://x", APIKey: "k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.api, tt.cfg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestSuccessAnswers(t *testing.T) {
	tests := []struct {
		name   string
		api    checkpoint.API
		resend bool
		req    SolveRequest
		status int
		body   string
		want   Result
	}{
		{"postpress AccountCreated connects", checkpoint.APIPostpress, false,
			SolveRequest{AccountID: "acc_01HXYZ", Provider: checkpoint.ProviderLinkedIn, Code: "123456"}, 201,
			`{"object": "AccountCreated", "account_id": "acc_01HXYZ4QK3WJ8FN3M6QH7TZ8GR"}`,
			Result{Outcome: connected, HTTPStatus: 201, AccountID: "acc_01HXYZ4QK3WJ8FN3M6QH7TZ8GR"}},
		{"postpress Checkpoint answer is a chained checkpoint", checkpoint.APIPostpress, false,
			SolveRequest{AccountID: "acc_1", Provider: checkpoint.ProviderLinkedIn, Code: "123456"}, 202,
			`{"object":"Checkpoint","account_id":"acc_1","checkpoint":{"type":"2FA","platform":"SMS"}}`,
			Result{Outcome: next, HTTPStatus: 202, AccountID: "acc_1", NextCheckpoint: &NextCheckpoint{Type: "2FA", Platform: "SMS"}}},
		{"postpress Checkpoint without a type is not trusted", checkpoint.APIPostpress, false,
			SolveRequest{AccountID: "acc_1", Provider: checkpoint.ProviderLinkedIn, Code: "123456"}, 201,
			`{"object":"Checkpoint","account_id":"acc_1"}`,
			Result{Outcome: rejected, HTTPStatus: 201, ErrorType: CaseUnexpectedBody}},
		{"postpress resend acknowledged", checkpoint.APIPostpress, true,
			SolveRequest{AccountID: "acc_1", Provider: checkpoint.ProviderLinkedIn}, 200,
			`{"object":"CheckpointResend","account_id":"acc_1","success":true}`,
			Result{Outcome: resent, HTTPStatus: 200, AccountID: "acc_1"}},
		{"postpress resend not acknowledged retries", checkpoint.APIPostpress, true,
			SolveRequest{AccountID: "acc_1", Provider: checkpoint.ProviderLinkedIn}, 200,
			`{"object":"CheckpointResend","account_id":"acc_1","success":false}`,
			Result{Outcome: retry, HTTPStatus: 200, AccountID: "acc_1"}},
		{"postpress resend without success is not trusted", checkpoint.APIPostpress, true,
			SolveRequest{AccountID: "acc_1", Provider: checkpoint.ProviderLinkedIn}, 200,
			`{"object":"CheckpointResend","account_id":"acc_1"}`,
			Result{Outcome: rejected, HTTPStatus: 200, ErrorType: CaseUnexpectedBody}},
		{"linkup connected keeps the credits", checkpoint.APILinkup, false,
			SolveRequest{AccountID: "69c127c37cae0494dd827286", Code: "123456"}, 200,
			`{"success":true,"data":{"account_id":"69c127c37cae0494dd827286","status":"connected"},"metadata":{"action":"checkpoint","credits_consumed":1,"timestamp":"2025-01-15T10:32:00.000000"}}`,
			Result{Outcome: connected, HTTPStatus: 200, AccountID: "69c127c37cae0494dd827286", CreditsConsumed: intp(1)}},
		{"linkup pending app challenge", checkpoint.APILinkup, false,
			SolveRequest{AccountID: "a1", Type: checkpoint.TypeAppChallenge}, 200,
			`{"success":true,"data":{"account_id":"a1","status":"pending"},"metadata":{"credits_consumed":1}}`,
			Result{Outcome: pending, HTTPStatus: 200, AccountID: "a1", CreditsConsumed: intp(1)}},
		{"linkup checkpoint_required chains", checkpoint.APILinkup, false,
			SolveRequest{AccountID: "a1", Code: "123456"}, 200,
			`{"success":true,"data":{"account_id":"a1","status":"checkpoint_required","challenge_type":"code_challenge"},"metadata":{"credits_consumed":1}}`,
			Result{Outcome: next, HTTPStatus: 200, AccountID: "a1", CreditsConsumed: intp(1), NextCheckpoint: &NextCheckpoint{Type: "code_challenge"}}},
		{"linkup unknown data.status is not success", checkpoint.APILinkup, false,
			SolveRequest{AccountID: "a1", Code: "123456"}, 200,
			`{"success":true,"data":{"account_id":"a1","status":"banana"},"metadata":{"credits_consumed":1}}`,
			Result{Outcome: rejected, HTTPStatus: 200, ErrorType: CaseUnexpectedBody, CreditsConsumed: intp(1)}},
		{"edges VALID connects", checkpoint.APIEdges, false,
			SolveRequest{AccountID: "5678e456", Code: "925632"}, 200,
			`{"auth_type":"COOKIES","setup_source":"API","is_shared":false,"name":"John Doe's Example Integration Account","uid":"123e4567","integration_permalink":"example-integration","created_at":"2023-10-01T12:00:00Z","level":"Classic","identity_uid":"5678e456","status":"VALID","meta":{"key":"value"}}`,
			Result{Outcome: connected, HTTPStatus: 200, AccountID: "5678e456"}},
		{"edges PENDING keeps polling", checkpoint.APIEdges, false,
			SolveRequest{AccountID: "5678e456"}, 200, `{"identity_uid":"5678e456","status":"PENDING"}`,
			Result{Outcome: pending, HTTPStatus: 200, AccountID: "5678e456", ErrorType: "status:PENDING"}},
		{"edges INVALID restarts", checkpoint.APIEdges, false,
			SolveRequest{AccountID: "5678e456"}, 200, `{"identity_uid":"5678e456","status":"INVALID","error":"cookie expired"}`,
			Result{Outcome: restart, HTTPStatus: 200, AccountID: "5678e456", ErrorType: "status:INVALID", Detail: "cookie expired"}},
		{"edges LIMIT_REACHED is rejected", checkpoint.APIEdges, false,
			SolveRequest{AccountID: "5678e456"}, 200, `{"identity_uid":"5678e456","status":"LIMIT_REACHED"}`,
			Result{Outcome: rejected, HTTPStatus: 200, AccountID: "5678e456", ErrorType: "status:LIMIT_REACHED"}},
		{"edges account without status is not success", checkpoint.APIEdges, false,
			SolveRequest{AccountID: "5678e456"}, 201, `{"identity_uid":"5678e456","uid":"x"}`,
			Result{Outcome: rejected, HTTPStatus: 201, ErrorType: CaseUnexpectedBody}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, tt.status, "application/json", tt.body)
			c := client(t, tt.api, f.URL)
			var got Result
			var err error
			if tt.resend {
				got, err = c.Resend(context.Background(), ResendRequest{AccountID: tt.req.AccountID, Provider: tt.req.Provider})
			} else {
				got, err = c.Solve(context.Background(), tt.req)
			}
			if err != nil {
				t.Fatal(err)
			}
			// Details of unreadable bodies are free text; compare the rest.
			if tt.want.ErrorType == CaseUnexpectedBody {
				got.Detail, got.AccountID = "", ""
			}
			assertResult(t, got, tt.want)
		})
	}
}

func TestLinkupErrorsByStatusAndMessage(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantCase string
		want     checkpoint.Outcome
	}{
		{"401 is our key", 401, `{"success":false,"message":"Invalid API key"}`, "linkup/invalid_api_key", rejected},
		{"403 is our key even if the message speaks of a session", 403, `{"success":false,"message":"session forbidden"}`, "linkup/invalid_api_key", rejected},
		{"402 is out of credits", 402, `{"success":false,"message":"Payment required"}`, "linkup/insufficient_credits", rejected},
		{"a message about credits", 400, `{"success":false,"message":"Not enough credits"}`, "linkup/insufficient_credits", rejected},
		{"a wrong code that mentions its credit", 400, `{"success":false,"message":"Invalid code (1 credit consumed)"}`, "linkup/invalid_code", invalid},
		{"a server error about credits retries", 500, `{"success":false,"message":"Insufficient credits service unavailable"}`, "linkup/server_error", retry},
		{"expired session restarts", 400, `{"success":false,"message":"Session expired, call /v2/login again"}`, "linkup/session_expired", restart},
		{"expired session in FastAPI detail", 410, `{"detail":"Checkpoint session has expired"}`, "linkup/session_expired", restart},
		{"wrong code", 400, `{"success":false,"message":"Invalid verification code"}`, "linkup/invalid_code", invalid},
		{"wrong code in an error object", 422, `{"success":false,"error":{"message":"Incorrect code"}}`, "linkup/invalid_code", invalid},
		{"app challenge not approved yet", 400, `{"success":false,"message":"Challenge pending: waiting for approval in app"}`, "linkup/challenge_pending", pending},
		{"unknown account", 404, `{"success":false,"message":"Account not found"}`, "linkup/account_not_found", restart},
		{"rate limited", 429, `{"success":false,"message":"Too many requests"}`, "linkup/rate_limited", retry},
		{"server error", 500, `{"success":false,"message":"Internal error"}`, "linkup/server_error", retry},
		{"503 retries whatever the message", 503, `{"success":false,"message":"invalid code"}`, "linkup/server_error", retry},
		{"other client error", 400, `{"success":false,"message":"account_id is required"}`, "linkup/bad_request", rejected},
		{"success false under 200", 200, `{"success":false,"message":"Something odd"}`, "linkup/bad_request", rejected},
		{"success false under 200 with a wrong code", 200, `{"success":false,"message":"Wrong code"}`, "linkup/invalid_code", invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, tt.status, "application/json", tt.body)
			got, err := client(t, checkpoint.APILinkup, f.URL).Solve(context.Background(), SolveRequest{AccountID: "a1", Code: "112233"})
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != tt.want || got.ErrorType != tt.wantCase || got.HTTPStatus != tt.status {
				t.Fatalf("got %+v, want %s (%s)", got, tt.want, tt.wantCase)
			}
		})
	}
}

// TestUnreadableAnswersGetADeliberateOutcome covers what no document shows:
// the answer is never a panic and never a silent success.
func TestUnreadableAnswersGetADeliberateOutcome(t *testing.T) {
	htmlPage := `<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>`
	huge := `{"object":"AccountCreated","account_id":"` + strings.Repeat("a", MaxResponseBytes) + `"}`
	tests := []struct {
		name     string
		status   int
		ct       string
		body     string
		want     checkpoint.Outcome
		wantCase string
	}{
		{"HTML proxy error page retries", 502, "text/html", htmlPage, retry, CaseNotJSON},
		{"HTML page under 200 is not success", 200, "text/html", htmlPage, rejected, CaseNotJSON},
		{"plain text 404 is rejected", 404, "text/plain", "404 page not found", rejected, CaseNotJSON},
		{"empty 503 retries", 503, "", "", retry, CaseNotJSON},
		{"empty 200 is not success", 200, "", "", rejected, CaseNotJSON},
		{"JSON array is not an answer", 200, "application/json", `[1,2]`, rejected, CaseNotJSON},
		{"truncated JSON", 201, "application/json", `{"object":"AccountCr`, rejected, CaseNotJSON},
		{"2xx with unexpected JSON", 200, "application/json", `{"hello":"world"}`, rejected, CaseUnexpectedBody},
		{"2xx with a field of the wrong JSON type", 201, "application/json", `{"object":true}`, rejected, CaseUnexpectedBody},
		{"problem with a numeric type under 503 retries", 503, "application/problem+json", `{"type":503}`, retry, CaseUnexpectedBody},
		{"error without a type under 500 retries", 500, "application/json", `{"message":"boom"}`, retry, CaseUnexpectedBody},
		{"error without a type under 400 is rejected", 400, "application/json", `{"message":"bad"}`, rejected, CaseUnexpectedBody},
		{"oversize success body is not success", 201, "application/json", huge, rejected, CaseBodyTooLarge},
		{"oversize 503 retries", 503, "application/json", huge, retry, CaseBodyTooLarge},
		{"unknown error type under 5xx retries", 503, "application/problem+json", problemBody(503, "errors/new_thing", "x"), retry, "errors/new_thing"},
		{"unknown error type under 4xx is rejected", 422, "application/problem+json", problemBody(422, "errors/new_thing", "x"), rejected, "errors/new_thing"},
		{"a redirect is not followed", 302, "text/html", "moved", rejected, CaseNotJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, tt.status, tt.ct, tt.body)
			got, err := client(t, checkpoint.APIPostpress, f.URL).Solve(context.Background(),
				SolveRequest{AccountID: "acc_1", Provider: checkpoint.ProviderLinkedIn, Code: "123456"})
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != tt.want || got.ErrorType != tt.wantCase || got.HTTPStatus != tt.status {
				t.Fatalf("got %+v, want %s (%s)", got, tt.want, tt.wantCase)
			}
			if len(got.Detail) > maxDetail+len("…") {
				t.Fatalf("detail of %d bytes", len(got.Detail))
			}
			f.only(t)
		})
	}
}

func TestTransportFailuresRetry(t *testing.T) {
	tests := []struct {
		name     string
		server   func(t *testing.T) string
		ctx      func() (context.Context, context.CancelFunc)
		timeout  time.Duration
		wantCase string
	}{
		{"connection refused", func(t *testing.T) string {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := l.Addr().String()
			l.Close()
			return "http://" + addr
		}, nil, 0, CaseNetworkError},
		{"connection reset before an answer", func(t *testing.T) string {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err != nil {
					return
				}
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
			}))
			t.Cleanup(srv.Close)
			return srv.URL
		}, nil, 0, CaseNetworkError},
		{"body cut off after the headers", func(t *testing.T) string {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				conn, buf, err := w.(http.Hijacker).Hijack()
				if err != nil {
					return
				}
				buf.WriteString("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"object\":")
				buf.Flush()
				conn.Close()
			}))
			t.Cleanup(srv.Close)
			return srv.URL
		}, nil, 0, CaseNetworkError},
		{"no answer within the configured timeout", hangingServer, nil, 50 * time.Millisecond, CaseTimeout},
		{"the caller's deadline comes first", hangingServer, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, time.Minute, CaseTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.Background(), func() {}
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			c, err := NewEdges(Config{BaseURL: tt.server(t), APIKey: testKey, Timeout: tt.timeout})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Solve(ctx, SolveRequest{AccountID: "uid", Code: "123456"})
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != retry || got.ErrorType != tt.wantCase || got.HTTPStatus != 0 {
				t.Fatalf("got %+v, want retry (%s)", got, tt.wantCase)
			}
			if strings.Contains(got.Detail, testKey) || strings.Contains(got.Detail, "123456") {
				t.Fatalf("detail leaks a secret: %q", got.Detail)
			}
		})
	}
}

// hangingServer answers nothing until the client gives up.
func hangingServer(t *testing.T) string {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv.URL
}

func TestCodesAndKeysNeverReachAResult(t *testing.T) {
	body := `{"title":"Unauthorized","detail":"code 987654 rejected for key ` + testKey + `","type":"errors/invalid_checkpoint_solution","status":401}`
	f := newFakeAPI(t, 401, "application/problem+json", body)
	got, err := client(t, checkpoint.APIPostpress, f.URL).Solve(context.Background(),
		SolveRequest{AccountID: "acc_1", Provider: checkpoint.ProviderLinkedIn, Code: "987654"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got.Detail, "987654") {
		t.Fatalf("the code is echoed in the detail: %q", got.Detail)
	}
	if got.Outcome != invalid {
		t.Fatalf("outcome %s", got.Outcome)
	}
}

func TestAFormattedPhoneNumberIsNotEchoedEither(t *testing.T) {
	body := `{"title":"Bad Request","detail":"(+33)0612345678 is not your number","type":"errors/invalid_parameters","status":400}`
	f := newFakeAPI(t, 400, "application/problem+json", body)
	got, err := client(t, checkpoint.APIPostpress, f.URL).Solve(context.Background(),
		SolveRequest{AccountID: "acc_1", Provider: checkpoint.ProviderLinkedIn, Code: "+33612345678"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got.Detail, "0612345678") || got.Outcome != rejected {
		t.Fatalf("got %+v", got)
	}
}

func TestPostpressCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+33612345678", "(+33)0612345678"},
		{"+12015550123", "(+1)2015550123"},
		{"+447911123456", "(+44)07911123456"},
		{"123456", "123456"},
		{"TRY_ANOTHER_WAY", "TRY_ANOTHER_WAY"},
		{"+1234", "+1234"},
		{"+999123456789", "+999123456789"},
		{"(+33)0612345678", "(+33)0612345678"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := PostpressCode(tt.in); got != tt.want {
				t.Fatalf("PostpressCode(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func assertResult(t *testing.T, got, want Result) {
	t.Helper()
	if got.Outcome != want.Outcome || got.HTTPStatus != want.HTTPStatus || got.ErrorType != want.ErrorType ||
		got.Detail != want.Detail || got.AccountID != want.AccountID {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if (got.NextCheckpoint == nil) != (want.NextCheckpoint == nil) ||
		(got.NextCheckpoint != nil && *got.NextCheckpoint != *want.NextCheckpoint) {
		t.Fatalf("next checkpoint %+v, want %+v", got.NextCheckpoint, want.NextCheckpoint)
	}
	if (got.CreditsConsumed == nil) != (want.CreditsConsumed == nil) ||
		(got.CreditsConsumed != nil && *got.CreditsConsumed != *want.CreditsConsumed) {
		t.Fatalf("credits %v, want %v", got.CreditsConsumed, want.CreditsConsumed)
	}
}

func intp(n int) *int { return &n }
