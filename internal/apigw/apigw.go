// Package apigw holds the small pieces every HTTP Lambda needs around the
// API Gateway HTTP API (payload format 2.0) events: reading the body and
// headers, answering JSON or problem+json, and converting between net/http
// and the event types so the local gateway and tests run the exact handler
// code the Lambdas run.
package apigw

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkpoint-relay/checkpoint-relay/internal/problem"
)

// Handler is the signature of every HTTP Lambda of the relay.
type Handler func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// MaxBodyBytes bounds every request body the relay reads. Webhooks carry a
// text message or one email; 1 MiB is generous for both (API Gateway itself
// caps payloads at 10 MB).
const MaxBodyBytes = 1 << 20

// ErrBodyTooLarge is returned by Body when the body exceeds MaxBodyBytes.
var ErrBodyTooLarge = errors.New("request body too large")

// Body returns the decoded request body, refusing bodies over MaxBodyBytes.
func Body(req events.APIGatewayV2HTTPRequest) ([]byte, error) {
	if req.IsBase64Encoded {
		if base64.StdEncoding.DecodedLen(len(req.Body)) > MaxBodyBytes+3 {
			return nil, ErrBodyTooLarge
		}
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return nil, fmt.Errorf("decode base64 body: %w", err)
		}
		if len(b) > MaxBodyBytes {
			return nil, ErrBodyTooLarge
		}
		return b, nil
	}
	if len(req.Body) > MaxBodyBytes {
		return nil, ErrBodyTooLarge
	}
	return []byte(req.Body), nil
}

// Header returns the named request header. API Gateway lower-cases header
// names in payload format 2.0, but tests and other callers may not.
func Header(req events.APIGatewayV2HTTPRequest, name string) string {
	if v, ok := req.Headers[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// HTTPHeader returns the request headers as an http.Header, for libraries
// (signature validators, MIME parsers) that expect one. API Gateway joins
// repeated headers with commas; they stay joined.
func HTTPHeader(req events.APIGatewayV2HTTPRequest) http.Header {
	h := make(http.Header, len(req.Headers))
	for k, v := range req.Headers {
		h.Set(k, v)
	}
	return h
}

// JSON answers status with v encoded as JSON.
func JSON(status int, v any) events.APIGatewayV2HTTPResponse {
	b, err := json.Marshal(v)
	if err != nil {
		return Problem(problem.ErrInternal("encode response"))
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(b),
	}
}

// Problem answers with an RFC 9457 problem.
func Problem(d problem.Details) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: d.Status,
		Headers:    map[string]string{"Content-Type": problem.ContentType},
		Body:       string(d.JSON()),
	}
}

// Text answers with a body of the given content type.
func Text(status int, contentType, body string) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": contentType},
		Body:       body,
	}
}

// Route describes where a request was routed: its route key as written in
// template.yaml ("POST /v1/checkpoints/{id}") and the path parameters.
type Route struct {
	Key        string
	PathParams map[string]string
}

// ToEvent converts a net/http request into the HTTP API v2 event API Gateway
// would send for it, reading at most MaxBodyBytes+1 of the body so the
// handler sees an oversized body as such.
func ToEvent(r *http.Request, route Route) (events.APIGatewayV2HTTPRequest, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return events.APIGatewayV2HTTPRequest{}, fmt.Errorf("read body: %w", err)
	}
	headers := make(map[string]string, len(r.Header))
	var cookies []string
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if lk == "cookie" {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[lk] = strings.Join(vs, ",")
	}
	if r.Host != "" {
		headers["host"] = r.Host
	}
	query := make(map[string]string)
	for k, vs := range r.URL.Query() {
		query[k] = strings.Join(vs, ",")
	}
	now := time.Now()
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              route.Key,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        route.PathParams,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:   route.Key,
			AccountID:  "000000000000",
			Stage:      "$default",
			RequestID:  fmt.Sprintf("local-%d", now.UnixNano()),
			DomainName: r.Host,
			APIID:      "local",
			Time:       now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:  now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  hostOnly(r.RemoteAddr),
				UserAgent: r.UserAgent(),
			},
		},
	}
	if isTextual(r.Header.Get("Content-Type")) {
		ev.Body = string(body)
	} else if len(body) > 0 {
		ev.Body = base64.StdEncoding.EncodeToString(body)
		ev.IsBase64Encoded = true
	}
	if len(query) == 0 {
		ev.QueryStringParameters = nil
	}
	return ev, nil
}

// isTextual mirrors API Gateway: bodies of these types arrive as text, all
// others base64-encoded.
func isTextual(ct string) bool {
	ct = strings.ToLower(ct)
	return ct == "" || strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") ||
		strings.Contains(ct, "xml") || strings.HasPrefix(ct, "application/x-www-form-urlencoded")
}

func hostOnly(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i > 0 && !strings.HasSuffix(addr, "]") {
		return strings.Trim(addr[:i], "[]")
	}
	return addr
}

// WriteResponse writes a v2 response on a net/http response writer.
func WriteResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) {
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err == nil {
			_, _ = w.Write(b)
		}
		return
	}
	_, _ = io.WriteString(w, resp.Body)
}

// HTTPHandler serves h on net/http for one route, the way API Gateway would:
// used by the local gateway and by tests that drive a handler with a real
// client (a browser, twilio's request signer).
func HTTPHandler(routeKey string, params func(*http.Request) map[string]string, h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var pp map[string]string
		if params != nil {
			pp = params(r)
		}
		ev, err := ToEvent(r, Route{Key: routeKey, PathParams: pp})
		if err != nil {
			problem.Write(w, problem.ErrMalformed(err.Error()))
			return
		}
		resp, err := h(r.Context(), ev)
		if err != nil {
			// A Lambda that returns an error makes API Gateway answer 500
			// with its own body; mirror that without the error text.
			problem.Write(w, problem.ErrInternal("handler failed"))
			return
		}
		WriteResponse(w, resp)
	})
}
