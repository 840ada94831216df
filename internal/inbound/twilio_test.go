package inbound_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"testing"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
)

// twilioSign computes X-Twilio-Signature as Twilio documents it, without
// twilio-go: base64(HMAC-SHA1(token, url + each key+value, keys sorted)).
func twilioSign(token, u string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := u
	for _, k := range keys {
		s += k + form.Get(k)
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// twilioInbound is an inbound SMS webhook's parameters as Twilio sends them.
func twilioInbound() url.Values {
	return url.Values{
		"ToCountry": {"GB"}, "ToState": {""}, "SmsMessageSid": {"SM1f0e8ae6ade43cb3c0ce4525424e404f"},
		"NumMedia": {"0"}, "ToCity": {""}, "FromZip": {""}, "SmsSid": {"SM1f0e8ae6ade43cb3c0ce4525424e404f"},
		"FromState": {""}, "SmsStatus": {"received"}, "FromCity": {""},
		"Body": {"Your LinkedIn verification code is 482913."}, "FromCountry": {"US"},
		"To": {"+447700900123"}, "ToZip": {""}, "NumSegments": {"1"},
		"MessageSid": {"SM1f0e8ae6ade43cb3c0ce4525424e404f"}, "AccountSid": {"AC0123456789abcdef0123456789abcdef"},
		"From": {"+15005550006"}, "ApiVersion": {"2010-04-01"},
	}
}

func TestTwilio(t *testing.T) {
	const token = "12345678901234567890123456789012"
	const signedURL = "https://relay.example.com/v1/webhooks/sms/twilio"
	form := twilioInbound()
	body := []byte(form.Encode())
	good := twilioSign(token, signedURL, form)
	changed := twilioInbound()
	changed.Set("Body", "Your LinkedIn verification code is 999999.")

	tests := []struct {
		name  string
		url   string
		sig   string
		token string
		body  []byte
		want  error
	}{
		{"signed by Twilio", signedURL, good, token, body, nil},
		{"signed URL with default port", "https://relay.example.com:443/v1/webhooks/sms/twilio", good, token, body, nil},
		{"other URL", "https://relay.example.com/v1/webhooks/sms/vonage", good, token, body, inbound.ErrSignature},
		{"forged signature", signedURL, twilioSign("another-token", signedURL, form), token, body, inbound.ErrSignature},
		{"missing signature", signedURL, "", token, body, inbound.ErrSignature},
		{"body changed", signedURL, good, token, []byte(changed.Encode()), inbound.ErrSignature},
		{"no auth token configured", signedURL, good, "", body, inbound.ErrNotConfigured},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := header("Content-Type", "application/x-www-form-urlencoded")
			if tc.sig != "" {
				h.Set("X-Twilio-Signature", tc.sig)
			}
			p, err := inbound.Twilio{AuthToken: tc.token}.Parse(context.Background(),
				inbound.Request{Method: "POST", URL: tc.url, Header: h, Body: tc.body, Now: now})
			wantErr(t, err, tc.want)
			if err != nil {
				return
			}
			if p.Reply.ContentType != "text/xml" || p.Reply.Body != inbound.TwilioEmptyTwiML {
				t.Errorf("reply = %+v, want empty TwiML", p.Reply)
			}
			if len(p.Messages) != 1 {
				t.Fatalf("messages = %d, want 1", len(p.Messages))
			}
			m := p.Messages[0]
			if m.Source != "twilio" || m.MessageID != "SM1f0e8ae6ade43cb3c0ce4525424e404f" ||
				m.Channel != checkpoint.ChannelSMS || m.From != "+15005550006" ||
				m.Text != "Your LinkedIn verification code is 482913." || !equal(m.Recipients, []string{"+447700900123"}) {
				t.Errorf("message = %+v", m)
			}
		})
	}
}

func TestTwilioRequiresMessageSid(t *testing.T) {
	const token, u = "tok", "https://relay.example.com/v1/webhooks/sms/twilio"
	form := url.Values{"To": {"+447700900123"}, "Body": {"hi"}}
	h := header("Content-Type", "application/x-www-form-urlencoded", "X-Twilio-Signature", twilioSign(token, u, form))
	_, err := inbound.Twilio{AuthToken: token}.Parse(context.Background(),
		inbound.Request{Method: "POST", URL: u, Header: h, Body: []byte(form.Encode()), Now: now})
	wantErr(t, err, inbound.ErrMalformed)
}
