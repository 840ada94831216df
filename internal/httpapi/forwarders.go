package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkpoint-relay/checkpoint-relay/internal/apigw"
	"github.com/checkpoint-relay/checkpoint-relay/internal/forwarder"
	"github.com/checkpoint-relay/checkpoint-relay/internal/problem"
	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// ForwarderAdmin is what the forwarder API needs of package forwarder.
type ForwarderAdmin interface {
	Create(ctx context.Context, req forwarder.CreateRequest) (forwarder.Created, error)
	List(ctx context.Context) ([]forwarder.View, error)
	Get(ctx context.Context, id string) (forwarder.View, error)
	Rotate(ctx context.Context, id string) (forwarder.Created, error)
	Delete(ctx context.Context, id string) error
	Confirmations(ctx context.Context, address string) ([]forwarder.Confirmation, error)
}

var _ ForwarderAdmin = (*forwarder.Service)(nil)

// Routes of the forwarder API (the api function, behind the same bearer
// key as registration).
const (
	RouteCreateForwarder    = "POST /v1/forwarders"
	RouteListForwarders     = "GET /v1/forwarders"
	RouteGetForwarder       = "GET /v1/forwarders/{id}"
	RouteDeleteForwarder    = "DELETE /v1/forwarders/{id}"
	RouteRotateForwarder    = "POST /v1/forwarders/{id}/rotate"
	RouteListConfirmations  = "GET /v1/forwarding-confirmations"
	forwardersPath          = "/v1/forwarders"
	forwardingConfirmations = "/v1/forwarding-confirmations"
)

// forwarderRoute rebuilds a forwarder route key from the method and path,
// for callers that do not set RouteKey.
func forwarderRoute(method, path string) string {
	switch {
	case path == forwardersPath && method == http.MethodPost:
		return RouteCreateForwarder
	case path == forwardersPath && method == http.MethodGet:
		return RouteListForwarders
	case path == forwardingConfirmations && method == http.MethodGet:
		return RouteListConfirmations
	}
	rest, ok := strings.CutPrefix(path, forwardersPath+"/")
	if !ok || rest == "" {
		return ""
	}
	id, tail, _ := strings.Cut(rest, "/")
	switch {
	case tail == "" && method == http.MethodGet && id != "":
		return RouteGetForwarder
	case tail == "" && method == http.MethodDelete && id != "":
		return RouteDeleteForwarder
	case tail == "rotate" && method == http.MethodPost:
		return RouteRotateForwarder
	}
	return ""
}

func forwarderID(req events.APIGatewayV2HTTPRequest) string {
	if id := req.PathParameters["id"]; id != "" {
		return id
	}
	rest := strings.TrimPrefix(strings.TrimSuffix(req.RawPath, "/"), forwardersPath+"/")
	id, _, _ := strings.Cut(rest, "/")
	return id
}

func (h *checkpointsHandler) forwarders(ctx context.Context, route string, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	if h.fw == nil {
		return apigw.Problem(problem.ErrNotFound("no such route"))
	}
	switch route {
	case RouteCreateForwarder:
		return h.createForwarder(ctx, req)
	case RouteListForwarders:
		list, err := h.fw.List(ctx)
		if err != nil {
			return h.forwarderFail(ctx, "list", err)
		}
		return apigw.JSON(http.StatusOK, map[string]any{"forwarders": list})
	case RouteGetForwarder:
		v, err := h.fw.Get(ctx, forwarderID(req))
		if err != nil {
			return h.forwarderFail(ctx, "get", err)
		}
		return apigw.JSON(http.StatusOK, v)
	case RouteRotateForwarder:
		c, err := h.fw.Rotate(ctx, forwarderID(req))
		if err != nil {
			return h.forwarderFail(ctx, "rotate", err)
		}
		return noStore(apigw.JSON(http.StatusOK, c))
	case RouteDeleteForwarder:
		if err := h.fw.Delete(ctx, forwarderID(req)); err != nil {
			return h.forwarderFail(ctx, "delete", err)
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusNoContent, Headers: map[string]string{}}
	case RouteListConfirmations:
		return h.confirmations(ctx, req)
	}
	return apigw.Problem(problem.ErrNotFound("no such route"))
}

func (h *checkpointsHandler) createForwarder(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	body, resp, ok := jsonBody(req)
	if !ok {
		return resp
	}
	var in forwarder.CreateRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return apigw.Problem(problem.ErrMalformed("the body is not a forwarder: " + jsonProblem(err)))
	}
	c, err := h.fw.Create(ctx, in)
	if err != nil {
		return h.forwarderFail(ctx, "create", err)
	}
	r := noStore(apigw.JSON(http.StatusCreated, c))
	r.Headers["Location"] = forwardersPath + "/" + c.ID
	return r
}

// noStore keeps a response that shows a secret out of every cache.
func noStore(r events.APIGatewayV2HTTPResponse) events.APIGatewayV2HTTPResponse {
	r.Headers["Cache-Control"] = "no-store"
	return r
}

func (h *checkpointsHandler) confirmations(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	address := req.QueryStringParameters["address"]
	if a, err := mail.ParseAddress(address); err != nil || a.Name != "" {
		d := problem.ErrInvalidParams("address must be the forwarding mailbox's address")
		d.Errors = []problem.FieldError{{Field: "address", Detail: "must be an email address (user@gmail.com)"}}
		return apigw.Problem(d)
	}
	list, err := h.fw.Confirmations(ctx, address)
	if err != nil {
		return h.forwarderFail(ctx, "confirmations", err)
	}
	return noStore(apigw.JSON(http.StatusOK, map[string]any{"confirmations": list}))
}

// jsonBody reads a JSON request body, or answers why it cannot.
func jsonBody(req events.APIGatewayV2HTTPRequest) ([]byte, events.APIGatewayV2HTTPResponse, bool) {
	if ct := apigw.Header(req, "Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return nil, apigw.Problem(problem.ErrUnsupportedMedia("send application/json")), false
	}
	body, err := apigw.Body(req)
	if errors.Is(err, apigw.ErrBodyTooLarge) {
		return nil, apigw.Problem(problem.ErrTooLarge("the body is too large")), false
	}
	if err != nil {
		return nil, apigw.Problem(problem.ErrMalformed("the body could not be read")), false
	}
	if err := strictjson.Check(body); err != nil {
		return nil, apigw.Problem(problem.ErrMalformed("the body is not valid UTF-8 (or escapes a lone surrogate)")), false
	}
	return body, events.APIGatewayV2HTTPResponse{}, true
}

func (h *checkpointsHandler) forwarderFail(ctx context.Context, op string, err error) events.APIGatewayV2HTTPResponse {
	d := forwarder.Problem(err)
	if d.Status >= 500 {
		h.log.ErrorContext(ctx, "forwarders: failed", "op", op, "error", err.Error())
	}
	return apigw.Problem(d)
}
