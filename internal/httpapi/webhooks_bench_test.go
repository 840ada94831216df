package httpapi

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relaysig"
)

// solvedDeliverer answers every delivery as solved and keeps nothing, so
// the benchmarks measure the webhook's own work.
type solvedDeliverer struct{}

func (solvedDeliverer) Deliver(context.Context, relay.Delivery) (relay.DeliveryResult, error) {
	return relay.DeliveryResult{Status: relay.DeliveryAccepted}, nil
}

// BenchmarkTwilioWebhook is one inbound SMS from Twilio through the SMS
// handler: request validation (twilio-go's HMAC-SHA1), form parsing, E.164
// normalisation, code extraction, the TwiML answer.
func BenchmarkTwilioWebhook(b *testing.B) {
	h, err := NewSMSWebhookHandler(SMSWebhookConfig{
		Deliverer: solvedDeliverer{}, PublicURL: "https://relay.example.com",
		TwilioAuthToken: whTwilioToken, Logger: whLogger(&bytes.Buffer{}),
		Now: func() time.Time { return whNow },
	})
	if err != nil {
		b.Fatal(err)
	}
	form := whTwilioForm("SM11111111111111111111111111111111", whSMSText)
	ev := whEvent(b, "/v1/webhooks/sms/twilio", "application/x-www-form-urlencoded", []byte(form.Encode()),
		map[string]string{"X-Twilio-Signature": whTwilioSign(whTwilioSignURL, form)})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := h(ctx, ev)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("answer %d %v", resp.StatusCode, err)
		}
	}
}

// BenchmarkGenericEmailWebhook is one forwarded mail through the email
// handler's generic JSON endpoint: HMAC-SHA256 check, JSON decoding,
// recipient normalisation, code extraction from text and HTML.
func BenchmarkGenericEmailWebhook(b *testing.B) {
	h, err := NewEmailWebhookHandler(EmailWebhookConfig{
		Deliverer: solvedDeliverer{}, GenericSecret: []byte(whSMSSecret),
		Logger: whLogger(&bytes.Buffer{}), Now: func() time.Time { return whNow },
	})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"id":"<a1@mail.linkedin.com>","to":"Jane <jane+li@example.com>","from":"security-noreply@linkedin.com",` +
		`"subject":"Jane, here's your PIN 804706","text":"Hi Jane,\n\nPlease use this verification code to complete your sign in: 804706\n\nThis code will expire in 15 minutes.",` +
		`"html":"<p>Hi Jane,</p><p>Please use this verification code to complete your sign in:</p><p style=\"font-size:24px\"><b>804706</b></p>"}`)
	ts, sig := relaySign([]byte(whSMSSecret), body)
	ev := whEvent(b, "/v1/webhooks/email/generic", "application/json", body,
		map[string]string{"X-Relay-Timestamp": ts, "X-Relay-Signature": sig})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := h(ctx, ev)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("answer %d %v: %s", resp.StatusCode, err, resp.Body)
		}
	}
}

func relaySign(secret, body []byte) (string, string) {
	return relaysig.Sign(secret, whNow, body)
}
