package providerapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// maxDetail bounds the provider text copied into Result.Detail.
const maxDetail = 300

// transport posts JSON to one API and reads the answer within the limits
// every client shares: a deadline, a size limit, no redirects, no retries.
type transport struct {
	api       checkpoint.API
	baseURL   string
	keyHeader string
	apiKey    string
	client    *http.Client
	timeout   time.Duration
}

// noRedirectClient does not follow redirects: the API key travels in a
// custom header, which net/http would forward to any host a 3xx names.
var noRedirectClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func newTransport(api checkpoint.API, keyHeader string, cfg Config) (*transport, error) {
	base := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	if base == "" {
		return nil, fmt.Errorf("%s: base URL is required", api)
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s: base URL %q must be an http:// or https:// URL without query", api, base)
	}
	if cfg.APIKey == "" {
		return nil, fmt.Errorf("%s: API key is required", api)
	}
	t := &transport{
		api: api, baseURL: base, keyHeader: keyHeader, apiKey: cfg.APIKey,
		client: cfg.HTTPClient, timeout: cfg.Timeout,
	}
	if t.client == nil {
		t.client = noRedirectClient
	}
	if t.timeout <= 0 {
		t.timeout = DefaultTimeout
	}
	return t, nil
}

// answer is one HTTP answer, read in full up to MaxResponseBytes.
type answer struct {
	status   int
	body     []byte
	tooLarge bool
}

// post sends body to path. A transport failure is returned as a Result
// (outcome retry) with ok false; the error it wraps is summarised without
// the URL, which could carry an account id into logs that do not need it.
func (t *transport) post(ctx context.Context, ep Endpoint, path string, body any) (answer, Result, bool) {
	payload, err := json.Marshal(body)
	if err != nil {
		// Only plain structs of strings are marshalled; this cannot happen.
		return answer{}, t.failure(ep, CaseInvalidRequest, 0, "encoding the request: "+err.Error()), false
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.baseURL+path, bytes.NewReader(payload))
	if err != nil {
		return answer{}, t.failure(ep, CaseInvalidRequest, 0, "building the request: "+networkDetail(err)), false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(t.keyHeader, t.apiKey)
	resp, err := t.client.Do(req)
	if err != nil {
		return answer{}, t.transportFailure(ctx, ep, err), false
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		// The status arrived but the body broke off: the answer is unknown.
		return answer{}, t.transportFailure(ctx, ep, err), false
	}
	a := answer{status: resp.StatusCode, body: data}
	if len(data) > MaxResponseBytes {
		a.body, a.tooLarge = nil, true
	}
	return a, Result{}, true
}

func (t *transport) transportFailure(ctx context.Context, ep Endpoint, err error) Result {
	var nerr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded:
		return t.failure(ep, CaseTimeout, 0, fmt.Sprintf("no answer before the deadline (timeout %s)", t.timeout))
	case errors.As(err, &nerr) && nerr.Timeout():
		return t.failure(ep, CaseTimeout, 0, "the connection timed out")
	case errors.Is(err, context.Canceled):
		return t.failure(ep, CaseNetworkError, 0, "the call was canceled")
	default:
		return t.failure(ep, CaseNetworkError, 0, networkDetail(err))
	}
}

// networkDetail names the failure without the URL net/http puts in its
// errors.
func networkDetail(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return clip(err.Error())
}

// failure is a Result decided by the table for a case the client assigned.
func (t *transport) failure(ep Endpoint, cas string, status int, detail string) Result {
	row := Lookup(t.api, ep, status, cas)
	return Result{Outcome: row.Outcome, HTTPStatus: status, ErrorType: cas, Detail: detail}
}

// unreadable decides an answer whose body could not be branched on: too
// large, not a JSON object, or an object of an unexpected shape (missing
// fields, or fields of the wrong JSON type). The status class decides.
func (t *transport) unreadable(ep Endpoint, a answer) Result {
	trimmed := bytes.TrimSpace(a.body)
	switch {
	case a.tooLarge:
		return t.failure(ep, CaseBodyTooLarge, a.status, fmt.Sprintf("answer larger than %d bytes", MaxResponseBytes))
	case len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed):
		return t.failure(ep, CaseNotJSON, a.status, "answer is not a JSON object: "+bodyText(a.body))
	default:
		return t.failure(ep, CaseUnexpectedBody, a.status, "answer has an unexpected shape: "+bodyText(a.body))
	}
}

// decode unmarshals a JSON object; it reports false for anything else.
func decode(a answer, v any) bool {
	if a.tooLarge {
		return false
	}
	trimmed := bytes.TrimSpace(a.body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return false
	}
	return json.Unmarshal(trimmed, v) == nil
}

func success(status int) bool { return status >= 200 && status <= 299 }

// clip bounds provider text copied into a Result, on a rune boundary; finish
// clips, once the codes are out of the text (clipping first could leave
// part of a code).
func clip(s string) string {
	if len(s) <= maxDetail {
		return s
	}
	cut := maxDetail
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
