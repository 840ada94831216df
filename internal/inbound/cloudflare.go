package inbound

import (
	"context"
	"encoding/base64"
	"net/mail"
	"strings"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// Cloudflare reads what the relay's own Cloudflare Email Worker
// (integrations/cloudflare-email-worker) posts for each mail Email Routing
// hands it: the raw message with its SMTP envelope,
//
//	{"envelope_from": "<MAIL FROM>", "envelope_to": "<RCPT TO>", "raw": "<base64 of the message>"}
//
// signed with the forwarder's secret in the relay's HMAC scheme
// (X-Relay-Timestamp, X-Relay-Signature: v1=hex HMAC-SHA256(secret,
// timestamp "." body), a 5-minute window), so the body, envelope included,
// is proven. The mail's Message-Id de-duplicates a retry.
type Cloudflare struct{ Device Device }

// Name implements Source.
func (Cloudflare) Name() string { return SourceCloudflare }

type cloudflareBody struct {
	EnvelopeFrom string `json:"envelope_from"`
	EnvelopeTo   string `json:"envelope_to"`
	Raw          string `json:"raw"`
}

// Parse implements Source.
func (s Cloudflare) Parse(_ context.Context, r Request) (Parsed, error) {
	if err := VerifyRelaySignature(s.Device.Secret, r.Header.Get(HeaderRelayTimestamp),
		r.Header.Get(HeaderRelaySignature), r.Body, r.Now); err != nil {
		return Parsed{}, err
	}
	var b cloudflareBody
	if err := strictjson.Unmarshal(r.Body, &b); err != nil {
		return Parsed{}, malformed("json body: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(b.Raw)
	if err != nil || len(raw) == 0 {
		return Parsed{}, malformed("raw is not the base64 of a mail")
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return Parsed{}, malformed("raw is not a mail: %v", err)
	}
	id := strings.Trim(strings.TrimSpace(msg.Header.Get("Message-Id")), "<>")
	if id == "" {
		id = contentID(b.EnvelopeFrom, b.EnvelopeTo, string(raw))
	}
	return Parsed{Messages: []Message{{
		Source:     SourceCloudflare,
		MessageID:  s.Device.messageID(id),
		Channel:    checkpoint.ChannelEmail,
		Recipients: []string{s.Device.Email},
		From:       msg.Header.Get("From"),
		RawMIME:    raw,
	}}}, nil
}
