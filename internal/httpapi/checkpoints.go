package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkpoint-relay/checkpoint-relay/internal/apigw"
	"github.com/checkpoint-relay/checkpoint-relay/internal/problem"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// Checkpoints is what the register/status API needs of the relay.
type Checkpoints interface {
	Register(ctx context.Context, req relay.RegisterRequest) (relay.Registration, error)
	Get(ctx context.Context, id string) (relay.View, error)
}

var _ Checkpoints = (*relay.Service)(nil)

// CheckpointsConfig configures the api function's handler.
type CheckpointsConfig struct {
	Service Checkpoints
	// APIKey is the bearer key apps present (RELAY_API_KEY).
	APIKey string
	// Forwarders serves /v1/forwarders and /v1/forwarding-confirmations;
	// nil leaves them unserved.
	Forwarders ForwarderAdmin
	Log        *slog.Logger
}

// Routes of the api function, as template.yaml declares them.
const (
	RouteRegister      = "POST /v1/checkpoints"
	RouteGetCheckpoint = "GET /v1/checkpoints/{id}"
)

type checkpointsHandler struct {
	svc    Checkpoints
	keySum [sha256.Size]byte
	fw     ForwarderAdmin
	log    *slog.Logger
}

// NewCheckpointsHandler serves POST /v1/checkpoints and
// GET /v1/checkpoints/{id} behind bearer authentication.
func NewCheckpointsHandler(cfg CheckpointsConfig) (apigw.Handler, error) {
	if cfg.Service == nil {
		return nil, errors.New("httpapi: checkpoints handler needs a service")
	}
	if len(cfg.APIKey) < 16 {
		return nil, errors.New("httpapi: the relay API key must be at least 16 characters")
	}
	h := &checkpointsHandler{svc: cfg.Service, keySum: sha256.Sum256([]byte(cfg.APIKey)), fw: cfg.Forwarders, log: orDefaultLogger(cfg.Log)}
	return h.handle, nil
}

func (h *checkpointsHandler) handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if !h.authorized(req) {
		resp := apigw.Problem(problem.ErrUnauthorized("send Authorization: Bearer <relay API key>"))
		resp.Headers["WWW-Authenticate"] = `Bearer realm="checkpoint-relay"`
		return resp, nil
	}
	switch route := routeKey(req); route {
	case RouteRegister:
		return h.register(ctx, req), nil
	case RouteGetCheckpoint:
		return h.get(ctx, req), nil
	case RouteCreateForwarder, RouteListForwarders, RouteGetForwarder, RouteDeleteForwarder,
		RouteRotateForwarder, RouteListConfirmations:
		return h.forwarders(ctx, route, req), nil
	}
	return apigw.Problem(problem.ErrNotFound("no such route")), nil
}

// routeKey is the route API Gateway matched, or one rebuilt from the
// method and path for callers that do not set it.
func routeKey(req events.APIGatewayV2HTTPRequest) string {
	if req.RouteKey != "" && req.RouteKey != "$default" {
		return req.RouteKey
	}
	method, path := req.RequestContext.HTTP.Method, strings.TrimSuffix(req.RawPath, "/")
	switch {
	case method == http.MethodPost && path == "/v1/checkpoints":
		return RouteRegister
	case method == http.MethodGet && strings.HasPrefix(path, "/v1/checkpoints/") && !strings.Contains(path[len("/v1/checkpoints/"):], "/"):
		return RouteGetCheckpoint
	}
	return forwarderRoute(method, path)
}

// authorized compares the bearer key in constant time; hashing both
// sides first keeps the comparison constant in the key's length too.
func (h *checkpointsHandler) authorized(req events.APIGatewayV2HTTPRequest) bool {
	auth := apigw.Header(req, "Authorization")
	scheme, key, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(key)))
	return subtle.ConstantTimeCompare(sum[:], h.keySum[:]) == 1
}

func (h *checkpointsHandler) register(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	if ct := apigw.Header(req, "Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return apigw.Problem(problem.ErrUnsupportedMedia("send application/json"))
		}
	}
	body, err := apigw.Body(req)
	if errors.Is(err, apigw.ErrBodyTooLarge) {
		return apigw.Problem(problem.ErrTooLarge("the body is too large"))
	}
	if err != nil {
		return apigw.Problem(problem.ErrMalformed("the body could not be read"))
	}
	if err := strictjson.Check(body); err != nil {
		return apigw.Problem(problem.ErrMalformed("the body is not valid UTF-8 (or escapes a lone surrogate)"))
	}
	var in relay.RegisterRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return apigw.Problem(problem.ErrMalformed("the body is not a registration: " + jsonProblem(err)))
	}
	if dec.More() {
		return apigw.Problem(problem.ErrMalformed("the body holds more than one JSON value"))
	}
	in.IdempotencyKey = apigw.Header(req, "Idempotency-Key")
	reg, err := h.svc.Register(ctx, in)
	if err != nil {
		return h.fail(ctx, "register", err)
	}
	resp := apigw.JSON(http.StatusCreated, reg)
	resp.Headers["Location"] = "/v1/checkpoints/" + reg.ID
	if reg.Replayed {
		resp.Headers["Idempotent-Replayed"] = "true"
	}
	return resp
}

// jsonProblem describes a decoding error without quoting the body (it may
// hold a TOTP secret).
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return "invalid JSON"
	case errors.As(err, &typ):
		return "field " + typ.Field + " has the wrong type"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "invalid JSON"
}

func (h *checkpointsHandler) get(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	id := req.PathParameters["id"]
	if id == "" {
		id = req.RawPath[strings.LastIndexByte(req.RawPath, '/')+1:]
	}
	if !relay.ValidID(id) {
		return apigw.Problem(problem.ErrNotFound("no such checkpoint"))
	}
	v, err := h.svc.Get(ctx, id)
	if err != nil {
		return h.fail(ctx, "get", err)
	}
	return apigw.JSON(http.StatusOK, v)
}

// fail answers a relay error; only unexpected ones are logged, and their
// text only: a registration's secrets never reach an error message.
func (h *checkpointsHandler) fail(ctx context.Context, op string, err error) events.APIGatewayV2HTTPResponse {
	d := relayProblem(err)
	if d.Status >= 500 {
		h.log.ErrorContext(ctx, "checkpoints: relay failed", "op", op, "error", err.Error())
	}
	return apigw.Problem(d)
}
