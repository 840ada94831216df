package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkpoint-relay/checkpoint-relay/internal/apigw"
	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/form"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
)

// formTestToken is a link token as the relay makes them: 32 random bytes,
// base64url.
const formTestToken = "q3Jz0nYpD5mV8xWcR1tLh2KbE9sFgUaN4oZiPwXyT7M"

var formTestKey = bytes.Repeat([]byte{7}, 32)

type formCall struct {
	Action relay.FormAction
	Code   string
}

// fakeFormService is a relay.FormService whose answers the test sets.
type fakeFormService struct {
	mu      sync.Mutex
	view    relay.FormView
	viewErr error
	act     func(action relay.FormAction, code string) (relay.FormResult, error)
	check   func(codeID string) (relay.FormResult, error)
	views   int
	calls   []formCall
}

func (f *fakeFormService) FormView(_ context.Context, token string) (relay.FormView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.views++
	if token != formTestToken {
		return relay.FormView{}, relay.ErrFormTokenUnknown
	}
	return f.view, f.viewErr
}

func (f *fakeFormService) FormAct(_ context.Context, token string, action relay.FormAction, code string) (relay.FormResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, formCall{action, code})
	if token != formTestToken {
		return relay.FormResult{}, relay.ErrFormTokenUnknown
	}
	if f.act == nil {
		return relay.FormResult{Outcome: checkpoint.Pending, View: f.view}, nil
	}
	return f.act(action, code)
}

func (f *fakeFormService) FormCheck(_ context.Context, token, codeID string) (relay.FormResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if token != formTestToken {
		return relay.FormResult{}, relay.ErrFormTokenUnknown
	}
	if f.check == nil {
		return relay.FormResult{View: f.view}, nil
	}
	return f.check(codeID)
}

func (f *fakeFormService) actCalls() []formCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]formCall(nil), f.calls...)
}

// formSMSView is a postpress SMS checkpoint: code, resend, another way.
func formSMSView() relay.FormView {
	return relay.FormView{
		CheckpointID: "cp_test", Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.TypeSMS,
		Status: checkpoint.StatusPending, ExpiresAt: time.Now().Add(5 * time.Minute),
		CanSubmitCode: true, CanResend: true, CanTryAnotherWay: true, WrongCodesLeft: 5,
	}
}

func newTestFormHandler(t *testing.T, svc relay.FormService) (*formHandler, *bytes.Buffer) {
	t.Helper()
	h, err := newFormHandler(svc, formTestKey)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h.log = slog.New(slog.NewTextHandler(&logs, nil))
	return h, &logs
}

func formGetEvent(token string, cookies ...string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		RouteKey:       "GET /c/{token}",
		RawPath:        "/c/" + token,
		PathParameters: map[string]string{"token": token},
		Cookies:        cookies,
		Headers:        map[string]string{"host": "relay.example"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/c/" + token},
		},
	}
}

func formPostEvent(token string, fields url.Values, cookies ...string) events.APIGatewayV2HTTPRequest {
	ev := formGetEvent(token, cookies...)
	ev.RouteKey = "POST /c/{token}"
	ev.RequestContext.HTTP.Method = "POST"
	ev.Headers["content-type"] = "application/x-www-form-urlencoded"
	ev.Body = fields.Encode()
	return ev
}

func formDo(t *testing.T, h *formHandler, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := h.handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("handler error: %v", err)
	}
	return resp
}

var formCSRFFieldRe = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// formSession does a GET and returns the cookie ("name=value") and the
// csrf field the browser would post back.
func formSession(t *testing.T, h *formHandler) (cookie, csrf string) {
	t.Helper()
	resp := formDo(t, h, formGetEvent(formTestToken))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET status %d", resp.StatusCode)
	}
	if len(resp.Cookies) != 1 {
		t.Fatalf("GET set %d cookies, want 1", len(resp.Cookies))
	}
	c, err := http.ParseSetCookie(resp.Cookies[0])
	if err != nil {
		t.Fatal(err)
	}
	m := formCSRFFieldRe.FindStringSubmatch(resp.Body)
	if m == nil {
		t.Fatalf("no csrf field in page")
	}
	return c.Name + "=" + c.Value, m[1]
}

func formFields(action relay.FormAction, code, csrf string) url.Values {
	v := url.Values{"action": {string(action)}, "csrf": {csrf}}
	if code != "" {
		v.Set("code", code)
	}
	return v
}

func TestFormGetRendersFlagsAndSecurityHeaders(t *testing.T) {
	cases := []struct {
		name string
		view relay.FormView
		want []string
		not  []string
	}{
		{"postpress sms", formSMSView(),
			[]string{`autocomplete="one-time-code"`, `value="code"`, `value="resend"`, `value="try_another_way"`},
			[]string{`value="approved"`}},
		{"in-app", relay.FormView{Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.TypeInAppValidation,
			Status: checkpoint.StatusPending, CanApprove: true},
			[]string{`value="approved"`, "I approved it in the app"},
			[]string{`id="code"`, `value="resend"`, `value="try_another_way"`}},
		{"connected", relay.FormView{Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.TypeSMS,
			Status: checkpoint.StatusConnected},
			[]string{"You&#39;re connected"},
			[]string{`id="code"`, `<form`}},
		{"restart required", relay.FormView{Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.TypeSMS,
			Status: checkpoint.StatusRestartRequired},
			[]string{"This sign-in has expired"},
			[]string{`<form`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newTestFormHandler(t, &fakeFormService{view: tc.view})
			resp := formDo(t, h, formGetEvent(formTestToken))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			for _, w := range tc.want {
				if !strings.Contains(resp.Body, w) {
					t.Errorf("page lacks %s", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(resp.Body, n) {
					t.Errorf("page has %s", n)
				}
			}
			formCheckPageSafety(t, resp)
		})
	}
}

// formCheckPageSafety pins what every form response must have: the
// security headers, no external URL, and no trace of the link token.
func formCheckPageSafety(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
	t.Helper()
	for k, v := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": form.CSP,
		"Referrer-Policy":         "no-referrer",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
	} {
		if resp.Headers[k] != v {
			t.Errorf("header %s = %q, want %q", k, resp.Headers[k], v)
		}
	}
	if !strings.Contains(resp.Headers["Content-Security-Policy"], "default-src 'none'") {
		t.Errorf("CSP is not default-src 'none'")
	}
	if m := regexp.MustCompile(`(?i)(https?:|//[a-z0-9]|<script|<img|<link |url\()`).FindString(resp.Body); m != "" {
		t.Errorf("page references %q", m)
	}
	if strings.Contains(resp.Body, formTestToken) {
		t.Errorf("page contains the link token")
	}
}

func TestFormGetSetsStrictCookie(t *testing.T) {
	h, _ := newTestFormHandler(t, &fakeFormService{view: formSMSView()})
	resp := formDo(t, h, formGetEvent(formTestToken))
	if len(resp.Cookies) != 1 {
		t.Fatalf("cookies %q", resp.Cookies)
	}
	c, err := http.ParseSetCookie(resp.Cookies[0])
	if err != nil {
		t.Fatal(err)
	}
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/c/" {
		t.Errorf("cookie %q lacks Secure, HttpOnly, SameSite=Strict or Path=/c/", resp.Cookies[0])
	}
	if strings.Contains(resp.Cookies[0], formTestToken) {
		t.Errorf("cookie names the token")
	}

	// A browser that already has the cookie keeps it: a second link opened
	// in another tab must not invalidate the first tab's field.
	again := formDo(t, h, formGetEvent(formTestToken, c.Name+"="+c.Value))
	c2, _ := http.ParseSetCookie(again.Cookies[0])
	if c2.Value != c.Value {
		t.Errorf("second GET replaced the nonce")
	}

	// Behind a named stage the cookie is scoped to that stage's form.
	ev := formGetEvent(formTestToken)
	ev.RawPath = "/prod/c/" + formTestToken
	staged := formDo(t, h, ev)
	if c3, _ := http.ParseSetCookie(staged.Cookies[0]); c3.Path != "/prod/c/" {
		t.Errorf("staged cookie path %q, want /prod/c/", c3.Path)
	}
}

func TestFormPostRefusesMissingOrForgedCSRF(t *testing.T) {
	svc := &fakeFormService{view: formSMSView()}
	h, _ := newTestFormHandler(t, svc)
	cookie, csrf := formSession(t, h)

	// A valid pair for another link: an attacker's own visit to their own
	// link must not unlock this one.
	other := "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0PpOoNnMmLlKk"
	otherField := h.csrfField(mustFormNonce(t, cookie), other)
	freshCookie, _ := formSession(t, mustNewFormHandler(t, svc)) // another key's session

	cases := []struct {
		name    string
		fields  url.Values
		cookies []string
	}{
		{"no cookie, no field", formFields(relay.FormSubmitCode, "123456", ""), nil},
		{"field without cookie", formFields(relay.FormSubmitCode, "123456", csrf), nil},
		{"cookie without field", formFields(relay.FormSubmitCode, "123456", ""), []string{cookie}},
		{"garbage field", formFields(relay.FormSubmitCode, "123456", "not-a-mac"), []string{cookie}},
		{"field of another link", formFields(relay.FormSubmitCode, "123456", otherField), []string{cookie}},
		{"cookie of another nonce", formFields(relay.FormSubmitCode, "123456", csrf), []string{freshCookie}},
		{"malformed cookie", formFields(relay.FormSubmitCode, "123456", csrf), []string{formCSRFCookie + "=short"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := formDo(t, h, formPostEvent(formTestToken, tc.fields, tc.cookies...))
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("status %d, want 403", resp.StatusCode)
			}
			if !strings.Contains(resp.Body, "Please reload the page") {
				t.Errorf("403 is not the HTML notice:\n%s", resp.Body)
			}
			formCheckPageSafety(t, resp)
		})
	}
	if calls := svc.actCalls(); len(calls) != 0 {
		t.Errorf("relay was asked to act %d times on forged requests", len(calls))
	}

	// And the genuine pair works, with the cookie as a Cookie header too.
	ev := formPostEvent(formTestToken, formFields(relay.FormResend, "", csrf))
	ev.Headers["cookie"] = "other=1; " + cookie
	if resp := formDo(t, h, ev); resp.StatusCode != http.StatusOK {
		t.Errorf("genuine POST status %d", resp.StatusCode)
	}
}

func mustFormNonce(t *testing.T, cookie string) []byte {
	t.Helper()
	n, ok := formCookieNonce(events.APIGatewayV2HTTPRequest{Cookies: []string{cookie}})
	if !ok {
		t.Fatalf("cookie %q not readable", cookie)
	}
	return n
}

func mustNewFormHandler(t *testing.T, svc relay.FormService) *formHandler {
	t.Helper()
	h, err := newFormHandler(svc, bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestFormPostRoutesEachAction(t *testing.T) {
	cases := []struct {
		action   relay.FormAction
		code     string
		wantCode string
		outcome  checkpoint.Outcome
		view     func(v relay.FormView) relay.FormView
		want     string
	}{
		{relay.FormSubmitCode, "123 456", "123456", checkpoint.Connected, nil, "You&#39;re connected"},
		{relay.FormSubmitCode, "９７５\u3000３１８", "975318", checkpoint.Connected, nil, "You&#39;re connected"},
		{relay.FormSubmitCode, "ab-12cd", "ab12cd", checkpoint.InvalidCode,
			func(v relay.FormView) relay.FormView { v.WrongCodesLeft = 3; return v }, "Wrong code, 3 tries left"},
		{relay.FormSubmitCode, "111111", "111111", checkpoint.Restart, nil, "This sign-in has expired"},
		{relay.FormSubmitCode, "222222", "222222", checkpoint.NextCheckpoint,
			func(v relay.FormView) relay.FormView { v.Type = checkpoint.TypeEmail; return v }, "One more step"},
		{relay.FormResend, "", "", checkpoint.Resent, nil, "A new code is on its way"},
		{relay.FormTryAnotherWay, "", "", checkpoint.NextCheckpoint,
			func(v relay.FormView) relay.FormView {
				v.Type, v.CanSubmitCode, v.CanApprove = checkpoint.TypeInAppValidation, false, true
				return v
			}, "I approved it in the app"},
		{relay.FormApproved, "", "", checkpoint.Pending, nil, "Not approved yet"},
		{relay.FormApproved, "", "", checkpoint.Retry, nil, "did not answer"},
	}
	for _, tc := range cases {
		t.Run(string(tc.action)+"/"+string(tc.outcome), func(t *testing.T) {
			svc := &fakeFormService{view: formSMSView()}
			svc.act = func(action relay.FormAction, code string) (relay.FormResult, error) {
				v := formSMSView()
				if tc.view != nil {
					v = tc.view(v)
				}
				return relay.FormResult{Outcome: tc.outcome, View: v}, nil
			}
			h, _ := newTestFormHandler(t, svc)
			cookie, csrf := formSession(t, h)
			resp := formDo(t, h, formPostEvent(formTestToken, formFields(tc.action, tc.code, csrf), cookie))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d:\n%s", resp.StatusCode, resp.Body)
			}
			calls := svc.actCalls()
			if len(calls) != 1 || calls[0] != (formCall{tc.action, tc.wantCode}) {
				t.Errorf("relay calls %+v, want [{%s %s}]", calls, tc.action, tc.wantCode)
			}
			if !strings.Contains(resp.Body, tc.want) {
				t.Errorf("page lacks %q:\n%s", tc.want, resp.Body)
			}
			if tc.code != "" && strings.Contains(resp.Body, tc.code) || tc.wantCode != "" && strings.Contains(resp.Body, tc.wantCode) {
				t.Errorf("page echoes the code")
			}
			// The answer carries a working field for the next action.
			m := formCSRFFieldRe.FindStringSubmatch(resp.Body)
			if strings.Contains(resp.Body, "<form") && (m == nil || m[1] != csrf) {
				t.Errorf("answer's csrf field %v, want the session's", m)
			}
			formCheckPageSafety(t, resp)
		})
	}
}

func TestFormPostRejectedShowsReason(t *testing.T) {
	svc := &fakeFormService{view: formSMSView()}
	svc.act = func(relay.FormAction, string) (relay.FormResult, error) {
		return relay.FormResult{Outcome: checkpoint.Rejected, View: formSMSView(), Message: "This account is restricted by LinkedIn."}, nil
	}
	h, _ := newTestFormHandler(t, svc)
	cookie, csrf := formSession(t, h)
	resp := formDo(t, h, formPostEvent(formTestToken, formFields(relay.FormSubmitCode, "123456", csrf), cookie))
	if !strings.Contains(resp.Body, "restricted by LinkedIn") || !strings.Contains(resp.Body, "can&#39;t be finished here") {
		t.Errorf("rejection not shown:\n%s", resp.Body)
	}
}

func TestFormLastWrongCodeLocks(t *testing.T) {
	svc := &fakeFormService{view: formSMSView()}
	svc.act = func(relay.FormAction, string) (relay.FormResult, error) {
		v := formSMSView()
		v.WrongCodesLeft = 0
		return relay.FormResult{Outcome: checkpoint.InvalidCode, View: v}, nil
	}
	h, _ := newTestFormHandler(t, svc)
	cookie, csrf := formSession(t, h)
	resp := formDo(t, h, formPostEvent(formTestToken, formFields(relay.FormSubmitCode, "999999", csrf), cookie))
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(resp.Body, "Too many wrong codes") {
		t.Errorf("status %d, want the 429 notice:\n%s", resp.StatusCode, resp.Body)
	}
	if strings.Contains(resp.Body, "999999") {
		t.Errorf("page echoes the code")
	}
}

func TestFormMapsRelayErrors(t *testing.T) {
	cases := []struct {
		err    error
		status int
		want   string
	}{
		{relay.ErrFormTokenUnknown, http.StatusNotFound, "This link does not work"},
		{relay.ErrFormExpired, http.StatusGone, "This link has expired"},
		{relay.ErrFormLocked, http.StatusTooManyRequests, "Too many wrong codes"},
		{errors.New("dynamodb: throttled on FORM#" + formTestToken), http.StatusInternalServerError, "Something went wrong"},
	}
	for _, tc := range cases {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			// Through GET: the service fails the view.
			svc := &fakeFormService{view: formSMSView()}
			h, logs := newTestFormHandler(t, svc)
			cookie, csrf := formSession(t, h)
			svc.viewErr = tc.err
			resp := formDo(t, h, formGetEvent(formTestToken))
			formCheckError(t, "GET", resp, tc.status, tc.want)

			// Through POST: the service fails the action.
			postErr := tc.err
			if tc.status == http.StatusInternalServerError {
				// An error deep in the relay may quote the code as well.
				postErr = fmt.Errorf("solve with code 314159: %w", tc.err)
			}
			svc.act = func(relay.FormAction, string) (relay.FormResult, error) { return relay.FormResult{}, postErr }
			resp = formDo(t, h, formPostEvent(formTestToken, formFields(relay.FormSubmitCode, "314159", csrf), cookie))
			formCheckError(t, "POST", resp, tc.status, tc.want)
			if strings.Contains(resp.Body, "314159") {
				t.Errorf("POST page echoes the code")
			}
			if strings.Contains(logs.String(), formTestToken) || strings.Contains(logs.String(), "314159") {
				t.Errorf("logs leak the token or the code:\n%s", logs)
			}
			if tc.status == http.StatusInternalServerError && !strings.Contains(logs.String(), "throttled") {
				t.Errorf("unexpected error not logged:\n%s", logs)
			}
		})
	}
}

func formCheckError(t *testing.T, method string, resp events.APIGatewayV2HTTPResponse, status int, want string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s status %d, want %d", method, resp.StatusCode, status)
	}
	if !strings.Contains(resp.Body, want) || !strings.HasPrefix(resp.Body, "<!doctype html>") {
		t.Errorf("%s body is not the %q page:\n%s", method, want, resp.Body)
	}
	if strings.Contains(resp.Body, "<form") {
		t.Errorf("%s error page offers the form", method)
	}
	formCheckPageSafety(t, resp)
}

func TestFormRefusesBadRequestsWithoutAskingTheRelay(t *testing.T) {
	svc := &fakeFormService{view: formSMSView()}
	h, _ := newTestFormHandler(t, svc)
	cookie, csrf := formSession(t, h)
	viewsBefore := svc.views

	malformedToken := formGetEvent("short")
	wrongType := formPostEvent(formTestToken, formFields(relay.FormSubmitCode, "123456", csrf), cookie)
	wrongType.Headers["content-type"] = "application/json"
	tooLarge := formPostEvent(formTestToken, formFields(relay.FormSubmitCode, "123456", csrf), cookie)
	tooLarge.Body += "&pad=" + strings.Repeat("x", apigw.MaxBodyBytes)
	unknownAction := formPostEvent(formTestToken, formFields("delete", "", csrf), cookie)
	put := formGetEvent(formTestToken)
	put.RequestContext.HTTP.Method = "PUT"

	cases := []struct {
		name   string
		ev     events.APIGatewayV2HTTPRequest
		status int
	}{
		{"malformed token", malformedToken, http.StatusNotFound},
		{"token with a slash", formGetEvent(formTestToken[:30] + "/" + formTestToken[30:]), http.StatusNotFound},
		{"json body", wrongType, http.StatusUnsupportedMediaType},
		{"oversized body", tooLarge, http.StatusRequestEntityTooLarge},
		{"unknown action", unknownAction, http.StatusBadRequest},
		{"PUT", put, http.StatusMethodNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := formDo(t, h, tc.ev)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			formCheckPageSafety(t, resp)
		})
	}
	if len(svc.actCalls()) != 0 || svc.views != viewsBefore {
		t.Errorf("relay was asked: %d actions, %d views", len(svc.actCalls()), svc.views-viewsBefore)
	}
}

func TestFormRefusesWhatIsNotACode(t *testing.T) {
	for _, code := range []string{"", "97", "97531864209753186", "97<53", "٩٧٥٣١٨", "DROP TABLE;"} {
		svc := &fakeFormService{view: formSMSView()}
		h, _ := newTestFormHandler(t, svc)
		cookie, csrf := formSession(t, h)
		fields := formFields(relay.FormSubmitCode, "", csrf)
		fields.Set("code", code)
		resp := formDo(t, h, formPostEvent(formTestToken, fields, cookie))
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(resp.Body, "Type the code") {
			t.Errorf("code %q: status %d, want 422 with the hint", code, resp.StatusCode)
		}
		if len(svc.actCalls()) != 0 {
			t.Errorf("code %q was sent to the relay", code)
		}
		// The page's random CSRF value may contain a short code's digits
		// by chance: only the rest of the page must not carry it.
		body := strings.ReplaceAll(resp.Body, csrf, "")
		if code != "" && (strings.Contains(body, code) || strings.Contains(body, template.HTMLEscapeString(code))) {
			t.Errorf("code %q echoed", code)
		}
	}
}

func TestNewFormHandlerChecksItsInputs(t *testing.T) {
	if _, err := NewFormHandler(nil, formTestKey); err == nil {
		t.Error("nil service accepted")
	}
	if _, err := NewFormHandler(&fakeFormService{}, make([]byte, 16)); err == nil {
		t.Error("16-byte key accepted")
	}
	if _, err := NewFormHandler(&fakeFormService{}, formTestKey); err != nil {
		t.Errorf("32-byte key refused: %v", err)
	}
}
