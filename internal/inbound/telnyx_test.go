package inbound_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
)

// telnyxReceived is a message.received webhook as Telnyx documents it.
const telnyxReceived = `{
  "data": {
    "event_type": "message.received",
    "id": "b301ed3f-1490-491f-995f-6e64e69674d4",
    "occurred_at": "2026-11-23T09:29:58.000+00:00",
    "payload": {
      "completed_at": null, "cost": null, "direction": "inbound", "encoding": "GSM-7", "errors": [],
      "from": {"carrier": "T-Mobile USA", "line_type": "long_code", "phone_number": "+13125550001"},
      "id": "84cca175-9755-4859-b67f-4730d7f58aa3",
      "media": [], "messaging_profile_id": "740572b6-099c-44a1-89b9-6c92163bc68d",
      "parts": 1, "received_at": "2026-11-23T09:29:57.000+00:00", "record_type": "message",
      "text": "Instagram code: 318 204",
      "to": [{"carrier": "Telnyx", "line_type": "Wireless", "phone_number": "+13125550002", "status": "webhook_delivered"}],
      "type": "SMS"
    },
    "record_type": "event"
  },
  "meta": {"attempt": 1, "delivered_to": "https://relay.example.com/v1/webhooks/sms/telnyx"}
}`

func TestTelnyx(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	sign := func(key ed25519.PrivateKey, ts time.Time, body string) (string, string) {
		s := strconv.FormatInt(ts.Unix(), 10)
		return s, base64.StdEncoding.EncodeToString(ed25519.Sign(key, []byte(s+"|"+body)))
	}
	sent := strings.Replace(telnyxReceived, "message.received", "message.sent", 1)
	tests := []struct {
		name    string
		key     ed25519.PrivateKey
		signed  time.Time
		body    string
		sent    string // body actually sent, when it differs
		want    error
		skipped bool
	}{
		{"signed by Telnyx", priv, now.Add(-3 * time.Second), telnyxReceived, "", nil, false},
		{"other key", otherPriv, now, telnyxReceived, "", inbound.ErrSignature, false},
		{"body changed", priv, now, telnyxReceived, strings.Replace(telnyxReceived, "318 204", "000 000", 1), inbound.ErrSignature, false},
		{"stale", priv, now.Add(-6 * time.Minute), telnyxReceived, "", inbound.ErrStale, false},
		{"from the future", priv, now.Add(6 * time.Minute), telnyxReceived, "", inbound.ErrStale, false},
		{"delivery report", priv, now, sent, "", nil, true},
		{"invalid UTF-8, signed", priv, now, strings.Replace(telnyxReceived, "318 204", "318 \xff04", 1), "", inbound.ErrMalformed, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, sig := sign(tc.key, tc.signed, tc.body)
			body := tc.body
			if tc.sent != "" {
				body = tc.sent
			}
			r := inbound.Request{Method: "POST", Now: now, Body: []byte(body),
				Header: header("Content-Type", "application/json", "Telnyx-Signature-Ed25519", sig, "Telnyx-Timestamp", ts)}
			p, err := inbound.Telnyx{PublicKey: base64.StdEncoding.EncodeToString(pub)}.Parse(context.Background(), r)
			wantErr(t, err, tc.want)
			if err != nil {
				return
			}
			if tc.skipped {
				if len(p.Messages) != 0 || p.Skipped == "" {
					t.Fatalf("parsed = %+v, want skipped", p)
				}
				return
			}
			m := p.Messages[0]
			if m.MessageID != "84cca175-9755-4859-b67f-4730d7f58aa3" || !equal(m.Recipients, []string{"+13125550002"}) ||
				m.From != "+13125550001" || m.Text != "Instagram code: 318 204" ||
				!m.SentAt.Equal(time.Date(2026, 11, 23, 9, 29, 57, 0, time.UTC)) {
				t.Errorf("message = %+v", m)
			}
		})
	}
}

func TestTelnyxNeedsAPublicKey(t *testing.T) {
	for _, key := range []string{"", "bm90IGEga2V5"} {
		_, err := inbound.Telnyx{PublicKey: key}.Parse(context.Background(), inbound.Request{Header: header(), Now: now})
		wantErr(t, err, inbound.ErrNotConfigured)
	}
}
