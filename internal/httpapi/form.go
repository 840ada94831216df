package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkpoint-relay/checkpoint-relay/internal/apigw"
	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/form"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
)

// The hosted form: GET /c/{token} shows it, POST /c/{token} acts on it.
//
// CSRF protection is a double-submit cookie whose partner field is bound to
// the link token by an HMAC under a server key:
//
//   - GET sets the cookie formCSRFCookie to a random 128-bit nonce
//     (SameSite=Strict; Secure; HttpOnly; Path of the form) and puts
//     HMAC(key, label | nonce | SHA-256(token)) in the hidden field csrf.
//   - POST is refused with 403, before the relay is asked anything, unless
//     the cookie is present and the field is that HMAC.
//
// Why it holds although the link token is in the URL: the token is a bearer
// secret, and a forgery is the case where someone who has it (a link that
// leaked into another site, a mail scanner) makes the end user's browser act
// from elsewhere. A cross-site POST carries no SameSite=Strict cookie, so it
// fails. A planted cookie (from a sibling subdomain, or plain http, which
// cannot set a Secure cookie anyway) does not help: without the key no one
// can compute the field for a nonce, and a field is only valid with the
// nonce it was made for and the token it was made for, so a pair from the
// attacker's own visit to the attacker's own link is useless on another
// link. Nothing needs to be stored: the handler stays stateless, as a
// Lambda should. The nonce is reused across links in one browser (one
// cookie per browser, each page's field bound to its own token), so two
// form links open in two tabs both work.
//
// The token never leaves the URL: the page posts to its own address (no
// action attribute), no page names it, Referrer-Policy is no-referrer, and
// it is never logged (errors from the relay are scrubbed of it too).

// formCSRFCookie is the CSRF cookie's name. The __Secure- prefix makes the
// browser refuse it unless it is set Secure from a secure origin.
const formCSRFCookie = "__Secure-cr-form"

// formCSRFLabel separates the form's HMACs from any other use of the key.
const formCSRFLabel = "checkpoint-relay form csrf v1\x00"

// formNonceBytes is the size of the cookie nonce: 128 bits.
const formNonceBytes = 16

// formMinKeyBytes is the shortest CSRF key accepted.
const formMinKeyBytes = 32

// formMaxCodeLen bounds a typed code after spaces and dashes are removed.
// Checkpoint codes are 4 to 8 characters; 16 leaves room without letting
// the form carry arbitrary text to the provider.
const formMaxCodeLen = 16

type formHandler struct {
	svc relay.FormService
	key []byte
	log *slog.Logger
	now func() time.Time
}

// NewFormHandler returns the handler of GET and POST /c/{token}. svc is the
// relay; csrfKey (at least 32 bytes, e.g. 32 random bytes from the secret
// store) keys the CSRF fields and must be the same for every instance
// serving the form, or a page served by one cannot be posted to another.
func NewFormHandler(svc relay.FormService, csrfKey []byte) (apigw.Handler, error) {
	h, err := newFormHandler(svc, csrfKey)
	if err != nil {
		return nil, err
	}
	return h.handle, nil
}

func newFormHandler(svc relay.FormService, csrfKey []byte) (*formHandler, error) {
	if svc == nil {
		return nil, errors.New("form handler: nil FormService")
	}
	if len(csrfKey) < formMinKeyBytes {
		return nil, fmt.Errorf("form handler: CSRF key is %d bytes, want at least %d", len(csrfKey), formMinKeyBytes)
	}
	h := &formHandler{
		svc: svc,
		key: append([]byte(nil), csrfKey...),
		log: slog.Default(),
		now: time.Now,
	}
	return h, nil
}

func (h *formHandler) handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	token := req.PathParameters["token"]
	if !formTokenWellFormed(token) {
		// Not a token the relay could have made: answer as for an unknown
		// one without a lookup.
		return formNotice(form.NoticeNotFound), nil
	}
	switch formMethod(req) {
	case http.MethodGet:
		return h.get(ctx, req, token), nil
	case http.MethodPost:
		return h.post(ctx, req, token), nil
	}
	resp := formNotice(form.NoticeMethod)
	resp.Headers["Allow"] = "GET, POST"
	return resp, nil
}

func (h *formHandler) get(ctx context.Context, req events.APIGatewayV2HTTPRequest, token string) events.APIGatewayV2HTTPResponse {
	view, err := h.svc.FormView(ctx, token)
	if err != nil {
		return h.serviceError("view", err, token)
	}
	nonce, ok := formCookieNonce(req)
	if !ok {
		nonce = make([]byte, formNonceBytes)
		if _, err := rand.Read(nonce); err != nil {
			h.log.ErrorContext(ctx, "form: random nonce", "error", err)
			return formNotice(form.NoticeInternal)
		}
	}
	var page form.Page
	if check := formCheckID(req); check != "" {
		// A "Checking your code…" page reloading itself.
		res, err := h.svc.FormCheck(ctx, token, check)
		if err != nil {
			return h.serviceError("check", err, token)
		}
		resp := h.result(res, nonce, token)
		resp.Cookies = []string{formCookie(nonce, formCookiePath(req, token))}
		return resp
	}
	page = formPage(view, h.now())
	page.CSRF = h.csrfField(nonce, token)
	switch {
	case view.Status == checkpoint.StatusConnected:
		page.State = form.StateConnected
	case view.Status == checkpoint.StatusRestartRequired:
		page.State = form.StateRestart
	case view.Status.Final():
		page.State = form.StateClosed
	}
	resp := formRender(http.StatusOK, page)
	// Set on every GET, even when the browser already has it, so it is
	// always there with the current attributes.
	resp.Cookies = []string{formCookie(nonce, formCookiePath(req, token))}
	return resp
}

func (h *formHandler) post(ctx context.Context, req events.APIGatewayV2HTTPRequest, token string) events.APIGatewayV2HTTPResponse {
	mt, _, err := mime.ParseMediaType(apigw.Header(req, "Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return formNotice(form.NoticeUnsupported)
	}
	body, err := apigw.Body(req)
	if errors.Is(err, apigw.ErrBodyTooLarge) {
		return formNotice(form.NoticeTooLarge)
	}
	if err != nil {
		return formNotice(form.NoticeBadRequest)
	}
	fields, err := url.ParseQuery(string(body))
	if err != nil {
		return formNotice(form.NoticeBadRequest)
	}
	nonce, ok := formCookieNonce(req)
	if !ok || !h.csrfValid(nonce, token, fields.Get("csrf")) {
		return formNotice(form.NoticeForbidden)
	}

	action := relay.FormAction(fields.Get("action"))
	var code string
	switch action {
	case relay.FormSubmitCode:
		code, ok = formNormaliseCode(fields.Get("code"))
		if !ok {
			// Nothing worth sending to the provider (and no wrong try
			// spent): show the form again with the reason.
			view, err := h.svc.FormView(ctx, token)
			if err != nil {
				return h.serviceError("view", err, token)
			}
			page := formPage(view, h.now())
			page.CSRF = h.csrfField(nonce, token)
			page.State = form.StateBadCode
			return formRender(http.StatusUnprocessableEntity, page)
		}
	case relay.FormResend, relay.FormTryAnotherWay, relay.FormApproved:
	default:
		return formNotice(form.NoticeBadRequest)
	}

	res, err := h.svc.FormAct(ctx, token, action, code)
	if err != nil {
		return h.serviceError(string(action), err, token, code)
	}
	return h.result(res, nonce, token)
}

// result renders the answer to an action, or to a check of a code the
// form submitted: its outcome, or, while the provider has not answered,
// a "Checking your code…" page that reloads itself.
func (h *formHandler) result(res relay.FormResult, nonce []byte, token string) events.APIGatewayV2HTTPResponse {
	if res.Outcome == checkpoint.InvalidCode && res.View.WrongCodesLeft <= 0 {
		// The last allowed wrong code: the link is locked from now on,
		// and saying so now beats a form that will only answer 429.
		return formNotice(form.NoticeLocked)
	}
	page := formPage(res.View, h.now())
	page.CSRF = h.csrfField(nonce, token)
	page.State = formStateFor(res.Outcome)
	switch {
	case res.Outcome == "" && res.CodeID != "":
		page.State, page.CheckID = form.StateChecking, res.CodeID
	case res.Outcome == "" && res.View.Status.Final():
		page.State = form.StateClosed
	}
	if res.Outcome == checkpoint.Rejected {
		// The relay's sentence says why (e.g. a restricted account); the
		// other outcomes are fully told by the page's own messages.
		page.Detail = res.Message
	}
	return formRender(http.StatusOK, page)
}

// formStateFor maps the relay's outcome of an action to what the page says.
func formStateFor(o checkpoint.Outcome) form.State {
	switch o {
	case checkpoint.Connected:
		return form.StateConnected
	case checkpoint.NextCheckpoint:
		return form.StateNextCheckpoint
	case checkpoint.InvalidCode:
		return form.StateWrongCode
	case checkpoint.Pending:
		return form.StatePending
	case checkpoint.Restart:
		return form.StateRestart
	case checkpoint.Resent:
		return form.StateResent
	case checkpoint.Retry:
		return form.StateRetry
	}
	return form.StateRejected
}

// formPage turns the relay's view into the page's fields.
func formPage(v relay.FormView, now time.Time) form.Page {
	p := form.Page{
		Provider:         v.Provider,
		Type:             v.Type,
		CanSubmitCode:    v.CanSubmitCode,
		CanResend:        v.CanResend,
		CanTryAnotherWay: v.CanTryAnotherWay,
		CanApprove:       v.CanApprove,
		TriesLeft:        v.WrongCodesLeft,
	}
	if !v.ExpiresAt.IsZero() {
		p.ExpiresIn = v.ExpiresAt.Sub(now)
	}
	return p
}

// serviceError maps the relay's errors to the pages a person sees. Only
// unexpected errors are logged, scrubbed of the token and the code: an
// error is text from deep in the relay, and may have quoted either.
func (h *formHandler) serviceError(op string, err error, secrets ...string) events.APIGatewayV2HTTPResponse {
	switch {
	case errors.Is(err, relay.ErrFormTokenUnknown):
		return formNotice(form.NoticeNotFound)
	case errors.Is(err, relay.ErrFormExpired):
		return formNotice(form.NoticeExpired)
	case errors.Is(err, relay.ErrFormLocked):
		return formNotice(form.NoticeLocked)
	}
	msg := err.Error()
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	h.log.Error("form: relay failed", "op", op, "error", msg)
	return formNotice(form.NoticeInternal)
}

// csrfField is the hidden field's value for this browser's nonce and this
// link's token.
func (h *formHandler) csrfField(nonce []byte, token string) string {
	return base64.RawURLEncoding.EncodeToString(h.csrfMAC(nonce, token))
}

func (h *formHandler) csrfMAC(nonce []byte, token string) []byte {
	tok := sha256.Sum256([]byte(token))
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(formCSRFLabel))
	m.Write(nonce)
	m.Write(tok[:])
	return m.Sum(nil)
}

func (h *formHandler) csrfValid(nonce []byte, token, field string) bool {
	got, err := base64.RawURLEncoding.DecodeString(field)
	if err != nil {
		return false
	}
	return hmac.Equal(got, h.csrfMAC(nonce, token))
}

// formCookieNonce returns the nonce of the CSRF cookie, if the request
// carries a well-formed one. API Gateway puts cookies in the event's
// Cookies; a caller building events by hand may use a Cookie header.
func formCookieNonce(req events.APIGatewayV2HTTPRequest) ([]byte, bool) {
	lines := req.Cookies
	if c := apigw.Header(req, "Cookie"); c != "" {
		lines = append(append([]string(nil), lines...), c)
	}
	for _, line := range lines {
		cs, err := http.ParseCookie(line)
		if err != nil {
			continue
		}
		for _, c := range cs {
			if c.Name != formCSRFCookie {
				continue
			}
			b, err := base64.RawURLEncoding.DecodeString(c.Value)
			if err == nil && len(b) == formNonceBytes {
				return b, true
			}
		}
	}
	return nil, false
}

func formCookie(nonce []byte, path string) string {
	c := http.Cookie{
		Name:     formCSRFCookie,
		Value:    base64.RawURLEncoding.EncodeToString(nonce),
		Path:     path,
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	}
	return c.String()
}

// formCookiePath is the directory of the form's URL ("/c/", or
// "/stage/c/" behind a named stage), so the cookie goes to the form only.
func formCookiePath(req events.APIGatewayV2HTTPRequest, token string) string {
	p := req.RawPath
	if p == "" {
		p = req.RequestContext.HTTP.Path
	}
	if dir, ok := strings.CutSuffix(p, token); ok && strings.HasSuffix(dir, "/c/") {
		return dir
	}
	return "/c/"
}

// formCheckID is the ?check= parameter of a page reloading itself: an id
// the relay made (lower-case base32), anything else is ignored.
func formCheckID(req events.APIGatewayV2HTTPRequest) string {
	v := req.QueryStringParameters["check"]
	if v == "" && req.RawQueryString != "" {
		q, _ := url.ParseQuery(req.RawQueryString)
		v = q.Get("check")
	}
	if len(v) == 0 || len(v) > 32 {
		return ""
	}
	for _, r := range v {
		if (r < 'a' || r > 'z') && (r < '2' || r > '7') {
			return ""
		}
	}
	return v
}

func formMethod(req events.APIGatewayV2HTTPRequest) string {
	if m := req.RequestContext.HTTP.Method; m != "" {
		return strings.ToUpper(m)
	}
	m, _, _ := strings.Cut(req.RouteKey, " ")
	return strings.ToUpper(m)
}

// formTokenWellFormed accepts what a link token can look like: 22 to 128
// characters of base64url or hex (128 bits and more). Anything else is
// answered 404 without asking the store.
func formTokenWellFormed(t string) bool {
	if len(t) < 22 || len(t) > 128 {
		return false
	}
	for _, r := range t {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}

// formNormaliseCode removes the spaces and dashes people type or paste
// ("123 456", "123-456"), turns full-width digits and letters (an East
// Asian keyboard's) into ASCII, and accepts 4 to formMaxCodeLen letters and
// digits. Letters are kept as typed: some providers' codes are
// alphanumeric and the provider decides whether case matters.
func formNormaliseCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		if r >= '\uff01' && r <= '\uff5e' {
			// The full-width forms of ASCII '!'..'~', in the same order.
			r = r - '\uff01' + '!'
		}
		switch {
		case r == ' ' || r == '-' || r == '\t' || r == '\u00a0' || r == '\u3000':
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			if b.Len() >= formMaxCodeLen {
				return "", false
			}
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	// Three characters at the least: some services send 3-digit codes,
	// which the extractor also takes after a code word.
	if b.Len() < 3 {
		return "", false
	}
	return b.String(), true
}

func formRender(status int, p form.Page) events.APIGatewayV2HTTPResponse {
	var b strings.Builder
	if err := form.Render(&b, p); err != nil {
		// The templates are fixed and parsed at start-up; a failure here
		// is a programming error, answered like any other.
		slog.Error("form: render", "error", err)
		return formNotice(form.NoticeInternal)
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: form.Headers(), Body: b.String()}
}

func formNotice(n form.Notice) events.APIGatewayV2HTTPResponse {
	var b strings.Builder
	if err := form.RenderNotice(&b, n); err != nil {
		slog.Error("form: render notice", "error", err)
		return events.APIGatewayV2HTTPResponse{StatusCode: n.Status, Headers: form.Headers(), Body: n.Title}
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: n.Status, Headers: form.Headers(), Body: b.String()}
}
