package inbound

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// SMSGate reads the webhooks of SMS Gateway for Android (sms-gate.app,
// github.com/capcom6/android-sms-gateway), as its documentation describes
// them (docs/features/webhooks.md):
//
//	X-Timestamp: <unix seconds>
//	X-Signature: <hex HMAC-SHA256(signing key, raw body + X-Timestamp)>
//	{"deviceId", "event": "sms:received", "id": "<unique event id>",
//	 "payload": {"messageId", "message", "sender", "recipient" (may be null),
//	             "phoneNumber" (older apps: the sender), "simNumber", "receivedAt"},
//	 "webhookId"}
//
// The signing key is the forwarder's secret, pasted into the app's
// Settings → Webhooks → Signing Key. The event's top-level id is the
// de-duplication key: the payload's messageId is derived from the content
// and may repeat. system:ping is a heartbeat; app:started lists the SIM
// cards' numbers. The app retries a failed delivery for about two days,
// signing each attempt anew.
type SMSGate struct{ Device Device }

// Name implements Source.
func (SMSGate) Name() string { return SourceSMSGate }

type smsGateEvent struct {
	Event   string          `json:"event"`
	ID      string          `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

type smsGateReceived struct {
	MessageID   string  `json:"messageId"`
	Message     string  `json:"message"`
	Sender      string  `json:"sender"`
	PhoneNumber string  `json:"phoneNumber"`
	Recipient   *string `json:"recipient"`
	SIMNumber   *int    `json:"simNumber"`
	ReceivedAt  string  `json:"receivedAt"`
}

type smsGateStarted struct {
	SIMCards []struct {
		PhoneNumber string `json:"phoneNumber"`
	} `json:"simCards"`
}

// SMSGateSignature is the X-Signature of body sent at timestamp.
func smsGateSignature(secret []byte, body []byte, timestamp string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	mac.Write([]byte(timestamp))
	return mac.Sum(nil)
}

// Parse implements Source.
func (s SMSGate) Parse(_ context.Context, r Request) (Parsed, error) {
	if len(s.Device.Secret) == 0 {
		return Parsed{}, ErrNotConfigured
	}
	ts, sig := r.Header.Get("X-Timestamp"), r.Header.Get("X-Signature")
	if ts == "" || sig == "" {
		return Parsed{}, badSignature("missing X-Signature or X-Timestamp")
	}
	got, err := hex.DecodeString(strings.TrimSpace(sig))
	if err != nil || !hmac.Equal(got, smsGateSignature(s.Device.Secret, r.Body, ts)) {
		return Parsed{}, badSignature("X-Signature does not match")
	}
	if err := checkUnixWindow(ts, r.Now); err != nil {
		return Parsed{}, err
	}
	var ev smsGateEvent
	if err := strictjson.Unmarshal(r.Body, &ev); err != nil {
		return Parsed{}, malformed("json body: %v", err)
	}
	switch ev.Event {
	case "system:ping":
		return Parsed{Heartbeat: true, Skipped: "heartbeat"}, nil
	case "app:started":
		var p smsGateStarted
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			return Parsed{}, malformed("app:started payload: %v", err)
		}
		out := Parsed{Heartbeat: true, Skipped: "app_started"}
		for _, c := range p.SIMCards {
			if n, ok := NormalizePhone(c.PhoneNumber); ok {
				out.SIMs = appendUnique(out.SIMs, n)
			}
		}
		return out, nil
	case "sms:received":
	default:
		return Parsed{Skipped: "event " + ev.Event + " is not a received SMS"}, nil
	}
	var p smsGateReceived
	if err := json.Unmarshal(ev.Payload, &p); err != nil {
		return Parsed{}, malformed("sms:received payload: %v", err)
	}
	if ev.ID == "" {
		return Parsed{}, malformed("the event has no id")
	}
	sender := p.Sender
	if sender == "" {
		sender = p.PhoneNumber
	}
	reported := ""
	if p.Recipient != nil {
		reported = *p.Recipient
	}
	m := Message{
		Source:     SourceSMSGate,
		MessageID:  s.Device.messageID(ev.ID),
		Channel:    checkpoint.ChannelSMS,
		Recipients: []string{s.Device.recipient(reported)},
		From:       senderPhone(sender),
		Text:       p.Message,
	}
	if t, err := time.Parse(time.RFC3339Nano, p.ReceivedAt); err == nil {
		m.SentAt = t
	}
	return Parsed{Messages: []Message{m}}, nil
}
