package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
)

// Webhook sources, as the report names them: the relay's own source names.
const (
	srcTwilio       = inbound.SourceTwilio
	srcSMSGeneric   = inbound.SourceSMSGeneric
	srcEmailGeneric = inbound.SourceEmailGeneric
)

// messageSeq makes every message id of the run unique, as the providers'
// are: the relay de-duplicates on it.
var messageSeq atomic.Int64

func messageID(prefix string) string {
	return fmt.Sprintf("%s%d%06d", prefix, time.Now().UnixNano(), messageSeq.Add(1))
}

func smsText(code string) string {
	return "Your LinkedIn verification code is " + code + "."
}

// twilio posts an inbound SMS exactly as Twilio does: form-encoded, signed
// with X-Twilio-Signature (base64 HMAC-SHA1, keyed with the auth token, of
// the URL Twilio was configured with followed by every parameter name and
// value, sorted by name).
func (d *driver) twilio(ctx context.Context, p plan, code string, right bool) webhookCall {
	const path = "/v1/webhooks/sms/twilio"
	params := url.Values{
		"MessageSid": {messageID("SM")},
		"AccountSid": {"ACload"},
		"From":       {"+15017122661"},
		"To":         {p.phone},
		"Body":       {smsText(code)},
		"NumMedia":   {"0"},
	}
	hdr := http.Header{
		"Content-Type":       {"application/x-www-form-urlencoded"},
		"X-Twilio-Signature": {inbound.TwilioSignature(d.t.twilioToken, d.t.publicURL+path, params)},
	}
	status, body, rt, err := d.send(ctx, false, http.MethodPost, d.t.url+path, []byte(params.Encode()), hdr)
	return webhookOutcome(srcTwilio, right, status, body, rt, err)
}

// The senders of the generic SMS: LinkedIn's, and a stranger's.
const (
	linkedInSender = "LinkedIn"
	strangerSender = "+14155550199"
)

// smsGeneric posts the relay's own SMS JSON from sender, signed with its
// HMAC scheme.
func (d *driver) smsGeneric(ctx context.Context, p plan, sender, code string, right bool) webhookCall {
	msg := map[string]any{"id": messageID("sms-"), "to": p.phone, "from": sender, "text": smsText(code)}
	return d.relaySigned(ctx, srcSMSGeneric, "/v1/webhooks/sms/generic", d.t.smsSecret, msg, right)
}

// emailGeneric posts the relay's own email JSON, as a forwarding
// automation does, signed with its HMAC scheme.
func (d *driver) emailGeneric(ctx context.Context, p plan, code string, right bool) webhookCall {
	msg := map[string]any{
		"id": messageID("mail-"), "to": p.email, "from": "security-noreply@linkedin.com",
		"subject": "Your LinkedIn verification code",
		"text":    "Hi,\n\nUse " + code + " to verify your sign-in to LinkedIn.\n\nThe LinkedIn team",
	}
	return d.relaySigned(ctx, srcEmailGeneric, "/v1/webhooks/email/generic", d.t.emailSecret, msg, right)
}

func (d *driver) relaySigned(ctx context.Context, source, path string, secret []byte, msg any, right bool) webhookCall {
	body, err := json.Marshal(msg)
	if err != nil {
		return webhookCall{source: source, right: right, err: err.Error()}
	}
	ts, sig := inbound.RelaySignature(secret, time.Now(), body)
	hdr := http.Header{
		"Content-Type":               {"application/json"},
		inbound.HeaderRelayTimestamp: {ts},
		inbound.HeaderRelaySignature: {sig},
	}
	status, answer, rt, err := d.send(ctx, false, http.MethodPost, d.t.url+path, body, hdr)
	return webhookOutcome(source, right, status, answer, rt, err)
}

// webhookOutcome reads the answer: the relay's JSON names each message's
// delivery status.
func webhookOutcome(source string, right bool, status int, body []byte, rt roundTrip, err error) webhookCall {
	c := webhookCall{source: source, right: right, sent: rt.start, latency: rt.latency, httpStatus: status}
	if err != nil {
		c.err = err.Error()
		return c
	}
	if status < 200 || status > 299 {
		c.err = fmt.Sprintf("%d %s", status, snippet(body))
		return c
	}
	var answer struct {
		Results []struct {
			Status string `json:"status"`
		} `json:"results"`
	}
	if json.Unmarshal(body, &answer) == nil && len(answer.Results) > 0 {
		c.delivery = answer.Results[0].Status
	}
	return c
}
