package httpapi

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkpoint-relay/checkpoint-relay/internal/apigw"
	"github.com/checkpoint-relay/checkpoint-relay/internal/forwarder"
	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
	"github.com/checkpoint-relay/checkpoint-relay/internal/problem"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// RouteForwarderWebhook is every forwarder's webhook, as template.yaml
// declares it.
const RouteForwarderWebhook = "POST /v1/forwarders/{id}/webhook"

// Forwarders is what the forwarder webhook needs of package forwarder
// (which also keeps the forwarding confirmations its mail kinds receive).
type Forwarders interface {
	Confirmations
	Open(ctx context.Context, id string) (forwarder.Device, error)
	Touch(ctx context.Context, id string, c store.ForwarderContact) error
	UseOnce(ctx context.Context, key string) (bool, error)
}

var _ Forwarders = (*forwarder.Service)(nil)

// forwarderWebhookID reports whether req is a forwarder webhook call, and
// for which forwarder.
func forwarderWebhookID(req events.APIGatewayV2HTTPRequest) (string, bool) {
	if req.RouteKey == RouteForwarderWebhook {
		return req.PathParameters["id"], true
	}
	path := strings.TrimSuffix(req.RawPath, "/")
	rest, ok := strings.CutPrefix(path, "/v1/forwarders/")
	if !ok {
		return "", false
	}
	id, ok := strings.CutSuffix(rest, "/webhook")
	return id, ok && !strings.Contains(id, "/")
}

// handleForwarder serves /v1/forwarders/{id}/webhook with the parser of
// the forwarder's kind and its own secret. An unknown or revoked forwarder
// is refused like a wrong secret: its old device learns only that its
// credentials no longer work.
func (h *webhookHandler) handleForwarder(ctx context.Context, id string, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	if h.forwarders == nil {
		return apigw.Problem(problem.ErrNotFound("no such webhook source"))
	}
	dev, err := h.forwarders.Open(ctx, id)
	if errors.Is(err, forwarder.ErrNotFound) {
		return h.refuse(ctx, "forwarder", fmtSignature("unknown or revoked forwarder"))
	}
	if err != nil {
		h.log.ErrorContext(ctx, "forwarder webhook: open failed", "forwarder_id", id, "error", err)
		return apigw.Problem(problem.ErrInternal("the forwarder could not be read; retry later"))
	}
	return h.serve(ctx, dev.Kind.Name, dev.Kind.Source(dev.Device), req, &dev)
}

func fmtSignature(detail string) error { return errors.Join(inbound.ErrSignature, errors.New(detail)) }

// forwarderContact records what a verified call told of its device, and
// spends its one-time key. ok is false when the call must be refused (the
// key was used: a replay), with the answer to send.
func (h *webhookHandler) forwarderContact(ctx context.Context, source string, dev *forwarder.Device, p inbound.Parsed) (events.APIGatewayV2HTTPResponse, bool) {
	if p.Once != "" {
		fresh, err := h.forwarders.UseOnce(ctx, dev.Device.ID+"/"+p.Once)
		if err != nil {
			h.log.ErrorContext(ctx, "forwarder webhook: one-time key not recorded", "forwarder_id", dev.Device.ID, "error", err)
			return apigw.Problem(problem.ErrInternal("the message could not be recorded; retry later")), false
		}
		if !fresh {
			return h.refuse(ctx, source, errors.Join(inbound.ErrStale, errors.New("signature already used"))), false
		}
	}
	c := store.ForwarderContact{Message: len(p.Messages) > 0, Heartbeat: p.Heartbeat, SIMs: p.SIMs}
	if err := h.forwarders.Touch(ctx, dev.Device.ID, c); err != nil {
		// Liveness is bookkeeping: the message itself still counts.
		h.log.WarnContext(ctx, "forwarder webhook: contact not recorded", "forwarder_id", dev.Device.ID, "error", err)
	}
	if p.Heartbeat {
		h.log.InfoContext(ctx, "forwarder heartbeat", "forwarder_id", dev.Device.ID, "kind", source, "sims", len(p.SIMs))
	}
	return events.APIGatewayV2HTTPResponse{}, true
}
