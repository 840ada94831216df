package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkpoint-relay/checkpoint-relay/internal/apigw"
	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/extract"
	"github.com/checkpoint-relay/checkpoint-relay/internal/forwarder"
	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
	"github.com/checkpoint-relay/checkpoint-relay/internal/mailauth"
	"github.com/checkpoint-relay/checkpoint-relay/internal/metrics"
	"github.com/checkpoint-relay/checkpoint-relay/internal/problem"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
)

// webhookHandler is what the SMS and email webhook Lambdas share: one route
// per source, each verified and parsed by its inbound.Source, the code
// extracted, the delivery handed to the relay, and the sender answered.
//
// The relay only accepts the code into its checkpoint's queue (the
// checkpoint's execution submits it), so the sender is answered at once.
// Every delivery status is answered 2xx (an unknown recipient too: a
// provider that retried it would only retry-storm); a request that fails
// verification is answered 401/403 and changes nothing; a failure of the
// relay itself (the store) is answered 5xx, so that the provider retries:
// nothing of the message was kept, or its id makes the retry a duplicate.
type webhookHandler struct {
	channel   string // "sms" or "email", for logs
	sources   map[string]inbound.Source
	deliverer relay.Deliverer
	publicURL string
	confirm   func(ctx context.Context, sub inbound.SNSSubscription) error
	// forwarders opens the devices of /v1/forwarders/{id}/webhook; nil
	// where the function serves no forwarder route.
	forwarders Forwarders
	// confirmations keeps mailboxes' forwarding confirmations.
	confirmations Confirmations
	// mailauth decides what a mail proves of its sender.
	mailauth *mailauth.Verifier
	log      *slog.Logger
	now      func() time.Time
}

// webhookResult is one message's line in the JSON answer: no code, no
// recipient, only what the sender needs to see that it was taken.
type webhookResult struct {
	MessageID string `json:"message_id"`
	Status    string `json:"status"`
}

type webhookAnswer struct {
	Results []webhookResult `json:"results"`
	Skipped string          `json:"skipped,omitempty"`
}

func (h *webhookHandler) handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if id, ok := forwarderWebhookID(req); ok {
		return h.handleForwarder(ctx, id, req), nil
	}
	name := webhookSource(req)
	src, ok := h.sources[name]
	if !ok {
		return apigw.Problem(problem.ErrNotFound("no such webhook source")), nil
	}
	return h.serve(ctx, name, src, req, nil), nil
}

// serve verifies and parses one call with src and delivers its messages;
// dev is the forwarder the call was addressed to, nil for a provider route.
func (h *webhookHandler) serve(ctx context.Context, name string, src inbound.Source, req events.APIGatewayV2HTTPRequest, dev *forwarder.Device) events.APIGatewayV2HTTPResponse {
	body, err := apigw.Body(req)
	if err != nil {
		if !errors.Is(err, apigw.ErrBodyTooLarge) {
			err = fmt.Errorf("%w: %v", inbound.ErrMalformed, err)
		}
		return h.refuse(ctx, name, err)
	}
	parsed, err := src.Parse(ctx, inbound.Request{
		Method: req.RequestContext.HTTP.Method,
		URL:    webhookURL(req, h.publicURL),
		Header: apigw.HTTPHeader(req),
		Body:   body,
		Now:    h.now(),
	})
	if err != nil {
		return h.refuse(ctx, name, err)
	}
	if parsed.Confirm != nil {
		return h.confirmSubscription(ctx, name, *parsed.Confirm)
	}
	if dev != nil {
		if resp, ok := h.forwarderContact(ctx, name, dev, parsed); !ok {
			return resp
		}
	}
	answer := webhookAnswer{Results: []webhookResult{}, Skipped: parsed.Skipped}
	if parsed.Skipped != "" {
		h.log.InfoContext(ctx, "webhook skipped", "channel", h.channel, "source", name, "reason", parsed.Skipped)
	}
	for _, m := range parsed.Messages {
		if c, ok := forwardingConfirmation(m); ok {
			// Never a checkpoint code: kept for the app, then acknowledged.
			if err := h.keepConfirmation(ctx, name, m, c); err != nil {
				return apigw.Problem(problem.ErrInternal("the message could not be recorded; retry later"))
			}
			answer.Results = append(answer.Results, webhookResult{MessageID: m.MessageID, Status: statusForwardingConfirmation})
			continue
		}
		res, err := h.deliverer.Deliver(ctx, h.delivery(ctx, m))
		if err != nil {
			// The relay could not record the message: answer 5xx so the
			// provider retries; the message id de-duplicates the retry.
			h.log.ErrorContext(ctx, "webhook delivery failed", "channel", h.channel, "source", name,
				"message_id", m.MessageID, "error", err)
			return apigw.Problem(problem.ErrInternal("the message could not be recorded; retry later"))
		}
		h.logDelivery(ctx, name, m, res)
		answer.Results = append(answer.Results, webhookResult{MessageID: m.MessageID, Status: string(res.Status)})
	}
	if parsed.Reply.ContentType != "" {
		return apigw.Text(200, parsed.Reply.ContentType, parsed.Reply.Body)
	}
	return apigw.JSON(200, answer)
}

// delivery extracts the code and builds what the relay is handed. A
// message without a code is delivered all the same, with Code empty and
// the extractor's reason: the relay records the message id (a retry is
// then a duplicate) and reports no_code, and nothing is solved.
//
// A mail is checked by package mailauth (DKIM, the receiving service's
// verdicts, a trusted forwarder's ARC chain); its Date is its own time
// and its From address its sender. An SMS carries no proof of origin:
// its forwarder's own authentication is all there is.
func (h *webhookHandler) delivery(ctx context.Context, m inbound.Message) relay.Delivery {
	var r extract.Result
	switch {
	case m.Channel == checkpoint.ChannelSMS:
		r = extract.SMS(m.Text)
	case len(m.RawMIME) > 0:
		r = extract.Email(m.RawMIME)
	default:
		r = extract.EmailParts(m.Subject, m.TextBody, m.HTMLBody)
	}
	d := relay.Delivery{
		Channel:    m.Channel,
		Source:     m.Source,
		MessageID:  m.MessageID,
		Recipients: m.Recipients,
		Code:       r.Code,
		Service:    r.Service,
		Confidence: r.Confidence,
	}
	if r.Code == "" {
		d.NoCodeReason = r.Reason
	}
	d.Sender, d.SentAt, d.ArrivedAt = m.From, m.SentAt, h.now()
	if m.Channel == checkpoint.ChannelEmail {
		from := m.FromHeader
		if from == "" {
			from = m.From
		}
		if len(m.RawMIME) > 0 {
			if msg, err := mail.ReadMessage(bytes.NewReader(m.RawMIME)); err == nil {
				from = msg.Header.Get("From")
				if t, err := msg.Header.Date(); err == nil && d.SentAt.IsZero() {
					d.SentAt = t.UTC()
				}
			}
		}
		if a, err := mail.ParseAddress(from); err == nil {
			d.Sender = strings.ToLower(a.Address)
		}
		v := h.mailauth
		if v == nil {
			v = defaultMailAuth
		}
		res := v.Verify(ctx, m.RawMIME, from, m.Verdicts)
		d.AuthenticatedAs, d.AuthDetail = res.Provider, res.Detail
	}
	return d
}

// defaultMailAuth verifies with the system's DNS and trusts no forwarder.
var defaultMailAuth = mailauth.New(mailauth.Config{})

// logDelivery writes one line per message and records it in the metrics
// (received, and attributed or refused with the status as the reason). The
// code, the text and the recipients stay out.
func (h *webhookHandler) logDelivery(ctx context.Context, source string, m inbound.Message, res relay.DeliveryResult) {
	attrs := []any{"channel", h.channel, "source", source, "message_id", m.MessageID,
		"status", string(res.Status), "recipients", len(m.Recipients)}
	if res.CheckpointID != "" {
		attrs = append(attrs, "checkpoint_id", res.CheckpointID)
	}
	h.log.InfoContext(ctx, "webhook delivered", attrs...)
	switch res.Status {
	case relay.DeliveryDuplicate:
		// A retry of a message already counted.
	case relay.DeliveryAccepted:
		metrics.CodeReceived(ctx, h.channel, source)
		metrics.CodeAttributed(ctx, string(res.Status))
	default:
		metrics.CodeReceived(ctx, h.channel, source)
		metrics.CodeRefused(ctx, string(res.Status))
	}
}

func (h *webhookHandler) confirmSubscription(ctx context.Context, source string, sub inbound.SNSSubscription) events.APIGatewayV2HTTPResponse {
	if h.confirm == nil {
		return h.refuse(ctx, source, inbound.ErrNotConfigured)
	}
	if err := h.confirm(ctx, sub); err != nil {
		return h.refuse(ctx, source, err)
	}
	h.log.InfoContext(ctx, "sns subscription confirmed", "source", source, "topic", sub.TopicARN)
	return apigw.JSON(200, map[string]string{"status": "subscription_confirmed"})
}

// refuse answers a request that was not taken, and logs why (the error
// texts of package inbound never quote the body or a secret).
func (h *webhookHandler) refuse(ctx context.Context, source string, err error) events.APIGatewayV2HTTPResponse {
	d := webhookProblemFor(source, err)
	level := slog.LevelWarn
	if d.Status >= 500 || errors.Is(err, inbound.ErrNotConfigured) {
		level = slog.LevelError
	}
	h.log.Log(ctx, level, "webhook refused", "channel", h.channel, "source", source,
		"status", d.Status, "error", err)
	return apigw.Problem(d)
}

// webhookSource names the source of a request: the {source} path parameter
// when the route has one, else the last segment of the route key or path
// ("POST /v1/webhooks/sms/twilio" → "twilio").
func webhookSource(req events.APIGatewayV2HTTPRequest) string {
	if s := req.PathParameters["source"]; s != "" {
		return s
	}
	p := req.RouteKey
	if p == "" || strings.Contains(p, "{") || p == "$default" {
		p = req.RawPath
	}
	p = strings.TrimRight(p, "/")
	return p[strings.LastIndexByte(p, '/')+1:]
}

// webhookURL is the URL the sender called, as it signed it: the configured
// public base URL (RELAY_PUBLIC_URL) and the path when set — behind a CDN
// or custom domain the Lambda cannot see the original host — else the
// scheme the gateway was called with (X-Forwarded-Proto), its host and the
// path; the raw query string is kept in both cases.
func webhookURL(req events.APIGatewayV2HTTPRequest, publicURL string) string {
	path := req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	var base string
	if publicURL != "" {
		base = strings.TrimRight(publicURL, "/")
	} else {
		scheme := strings.TrimSpace(strings.Split(apigw.Header(req, "X-Forwarded-Proto"), ",")[0])
		if scheme == "" {
			scheme = "https"
		}
		host := apigw.Header(req, "Host")
		if host == "" {
			host = req.RequestContext.DomainName
		}
		base = scheme + "://" + host
	}
	u := base + path
	if req.RawQueryString != "" {
		u += "?" + req.RawQueryString
	}
	return u
}
