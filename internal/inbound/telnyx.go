package inbound

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// Telnyx verifies Telnyx's messaging webhooks (API v2): the
// telnyx-signature-ed25519 header is the base64 ed25519 signature of
// telnyx-timestamp + "|" + body, made with Telnyx's key; the public key is
// the one shown in the Mission Control portal (base64).
type Telnyx struct {
	PublicKey string
}

// Name implements Source.
func (Telnyx) Name() string { return SourceTelnyx }

// telnyxEvent is the v2 webhook envelope of message.received.
type telnyxEvent struct {
	Data struct {
		EventType  string `json:"event_type"`
		ID         string `json:"id"`
		OccurredAt string `json:"occurred_at"`
		Payload    struct {
			ID         string `json:"id"`
			ReceivedAt string `json:"received_at"`
			Direction  string `json:"direction"`
			Text       string `json:"text"`
			From       struct {
				PhoneNumber string `json:"phone_number"`
			} `json:"from"`
			To []struct {
				PhoneNumber string `json:"phone_number"`
			} `json:"to"`
		} `json:"payload"`
	} `json:"data"`
}

// Parse implements Source.
func (t Telnyx) Parse(_ context.Context, r Request) (Parsed, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(t.PublicKey))
	if t.PublicKey == "" || err != nil || len(key) != ed25519.PublicKeySize {
		return Parsed{}, fmt.Errorf("%w: TELNYX_PUBLIC_KEY must be a base64 ed25519 public key", ErrNotConfigured)
	}
	sigB64 := r.Header.Get("Telnyx-Signature-Ed25519")
	ts := r.Header.Get("Telnyx-Timestamp")
	if sigB64 == "" || ts == "" {
		return Parsed{}, badSignature("missing telnyx-signature-ed25519 or telnyx-timestamp")
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return Parsed{}, badSignature("signature is not base64")
	}
	signed := make([]byte, 0, len(ts)+1+len(r.Body))
	signed = append(append(append(signed, ts...), '|'), r.Body...)
	if !ed25519.Verify(ed25519.PublicKey(key), signed, sig) {
		return Parsed{}, badSignature("ed25519 signature does not verify")
	}
	if err := checkUnixWindow(ts, r.Now); err != nil {
		return Parsed{}, err
	}

	var ev telnyxEvent
	if err := strictjson.Unmarshal(r.Body, &ev); err != nil {
		return Parsed{}, malformed("json body: %v", err)
	}
	if ev.Data.EventType != "message.received" {
		// Delivery reports (message.sent, message.finalized) may share the
		// URL; they carry no code.
		return Parsed{Skipped: "event " + ev.Data.EventType}, nil
	}
	p := ev.Data.Payload
	var to []string
	for _, n := range p.To {
		to = append(to, n.PhoneNumber)
	}
	rcpt := phoneRecipients(to...)
	if p.ID == "" || len(rcpt) == 0 {
		return Parsed{}, malformed("payload.id and payload.to are required")
	}
	return Parsed{Messages: []Message{{
		Source:     SourceTelnyx,
		MessageID:  p.ID,
		Channel:    checkpoint.ChannelSMS,
		Recipients: rcpt,
		From:       senderPhone(p.From.PhoneNumber),
		SentAt:     firstTime(time.RFC3339Nano, p.ReceivedAt, ev.Data.OccurredAt),
		Text:       p.Text,
	}}}, nil
}
