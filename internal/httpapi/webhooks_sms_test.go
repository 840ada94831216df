package httpapi

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/apigw"
	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
	"github.com/checkpoint-relay/checkpoint-relay/internal/metrics"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
)

const (
	whTwilioToken   = "0123456789abcdef0123456789abcdef"
	whVonageSecret  = "vonage-signature-secret"
	whSMSSecret     = "sms-generic-secret"
	whSMSText       = "482913 is your LinkedIn verification code."
	whTwilioSignURL = "https://relay.example.com/v1/webhooks/sms/twilio"
)

// whTwilioForm is an inbound SMS as Twilio posts it.
func whTwilioForm(sid, text string) url.Values {
	return url.Values{
		"MessageSid": {sid}, "SmsSid": {sid}, "SmsMessageSid": {sid}, "AccountSid": {"AC0123456789abcdef0123456789abcdef"},
		"MessagingServiceSid": {""}, "From": {"+15005550006"}, "To": {"+447700900123"}, "Body": {text},
		"NumMedia": {"0"}, "NumSegments": {"1"}, "SmsStatus": {"received"}, "ApiVersion": {"2010-04-01"},
		"FromCountry": {"US"}, "ToCountry": {"GB"},
	}
}

// whTwilioSign is the X-Twilio-Signature Twilio would send (the signer is
// itself tested against twilio-go's validator in internal/inbound).
func whTwilioSign(u string, form url.Values) string {
	return inbound.TwilioSignature(whTwilioToken, u, form)
}

type whSMSFixture struct {
	h      apigw.Handler
	d      *whDeliverer
	logs   *bytes.Buffer
	telnyx ed25519.PrivateKey
}

func newWhSMS(t testing.TB, publicURL string) *whSMSFixture {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &whSMSFixture{d: &whDeliverer{}, logs: &bytes.Buffer{}, telnyx: priv}
	f.h, err = NewSMSWebhookHandler(SMSWebhookConfig{
		Deliverer: f.d, PublicURL: publicURL,
		TwilioAuthToken:       whTwilioToken,
		VonageSignatureSecret: whVonageSecret, VonageSignatureMethod: "sha256",
		TelnyxPublicKey: base64.StdEncoding.EncodeToString(pub),
		GenericSecret:   []byte(whSMSSecret),
		Logger:          whLogger(f.logs),
		Now:             func() time.Time { return whNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *whSMSFixture) telnyxEvent(id, text string) ([]byte, map[string]string) {
	body := `{"data":{"event_type":"message.received","id":"ev-` + id + `","occurred_at":"2026-11-23T09:29:58Z",` +
		`"payload":{"direction":"inbound","id":"` + id + `","from":{"phone_number":"+13125550001"},` +
		`"to":[{"phone_number":"+13125550002"}],"text":` + strconv.Quote(text) + `,"type":"SMS"},"record_type":"event"},"meta":{"attempt":1}}`
	ts := strconv.FormatInt(whNow.Unix(), 10)
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(f.telnyx, []byte(ts+"|"+body)))
	return []byte(body), map[string]string{"Telnyx-Signature-Ed25519": sig, "Telnyx-Timestamp": ts}
}

func whVonageBody(id, text string) []byte {
	p := map[string]string{"msisdn": "447700900001", "to": "447700900000", "messageId": id, "text": text,
		"type": "text", "keyword": "X", "api-key": "abcd1234", "message-timestamp": "2026-11-23 09:29:55",
		"timestamp": strconv.FormatInt(whNow.Unix(), 10), "nonce": "5e8b4b3f-1111-2222-3333-444455556666"}
	sig, _ := inbound.VonageSignature(whVonageSecret, "sha256", p)
	p["sig"] = strings.ToUpper(sig)
	b, _ := json.Marshal(p)
	return b
}

func whGenericSMS(id, text string) ([]byte, map[string]string) {
	body, _ := json.Marshal(map[string]string{"id": id, "to": "+447700900123", "from": "LinkedIn", "text": text})
	ts, sig := inbound.RelaySignature([]byte(whSMSSecret), whNow, body)
	return body, map[string]string{"X-Relay-Timestamp": ts, "X-Relay-Signature": sig}
}

func TestSMSWebhookDeliversEachSource(t *testing.T) {
	f := newWhSMS(t, "https://relay.example.com")
	tw := whTwilioForm("SM11111111111111111111111111111111", whSMSText)
	tnBody, tnHdr := f.telnyxEvent("84cca175-9755-4859-b67f-4730d7f58aa3", whSMSText)
	genBody, genHdr := whGenericSMS("fwd-1", whSMSText)
	tests := []struct {
		name, path, ct string
		body           []byte
		headers        map[string]string
		wantSource     string
		wantID         string
		wantRcpt       string
		wantCT         string
	}{
		{"twilio", "/v1/webhooks/sms/twilio", "application/x-www-form-urlencoded", []byte(tw.Encode()),
			map[string]string{"X-Twilio-Signature": whTwilioSign(whTwilioSignURL, tw)},
			"twilio", "SM11111111111111111111111111111111", "+447700900123", "text/xml"},
		{"vonage", "/v1/webhooks/sms/vonage", "application/json", whVonageBody("0A0000000123ABCD1", whSMSText), nil,
			"vonage", "0A0000000123ABCD1", "+447700900000", "application/json"},
		{"telnyx", "/v1/webhooks/sms/telnyx", "application/json", tnBody, tnHdr,
			"telnyx", "84cca175-9755-4859-b67f-4730d7f58aa3", "+13125550002", "application/json"},
		{"generic", "/v1/webhooks/sms/generic", "application/json", genBody, genHdr,
			"sms-generic", "fwd-1", "+447700900123", "application/json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := len(f.d.calls)
			resp := whCall(t, f.h, whEvent(t, tc.path, tc.ct, tc.body, tc.headers))
			if resp.StatusCode != 200 || resp.Headers["Content-Type"] != tc.wantCT {
				t.Fatalf("answer %d %s %s", resp.StatusCode, resp.Headers["Content-Type"], resp.Body)
			}
			if tc.wantCT == "text/xml" && resp.Body != inbound.TwilioEmptyTwiML {
				t.Errorf("twilio answer %q, want empty TwiML", resp.Body)
			}
			if len(f.d.calls) != n+1 {
				t.Fatalf("Deliver called %d times, want once", len(f.d.calls)-n)
			}
			d := f.d.calls[n]
			if d.Channel != checkpoint.ChannelSMS || d.Source != tc.wantSource || d.MessageID != tc.wantID ||
				len(d.Recipients) != 1 || d.Recipients[0] != tc.wantRcpt || d.Code != "482913" || d.Service != "LINKEDIN" {
				t.Errorf("delivery = %+v", d)
			}
		})
	}
	whNoSecrets(t, f.logs.String(), "482913", whSMSText, whTwilioToken, whVonageSecret, whSMSSecret)
}

func TestSMSWebhookTwilioURLFromRequest(t *testing.T) {
	// No RELAY_PUBLIC_URL: the URL is rebuilt from X-Forwarded-Proto, Host
	// and the path, which is what Twilio called.
	f := newWhSMS(t, "")
	tw := whTwilioForm("SM22222222222222222222222222222222", whSMSText)
	resp := whCall(t, f.h, whEvent(t, "/v1/webhooks/sms/twilio", "application/x-www-form-urlencoded",
		[]byte(tw.Encode()), map[string]string{"X-Twilio-Signature": whTwilioSign(whTwilioSignURL, tw)}))
	if resp.StatusCode != 200 || len(f.d.calls) != 1 {
		t.Fatalf("answer %d %s, deliveries %d", resp.StatusCode, resp.Body, len(f.d.calls))
	}
}

func TestSMSWebhookRefusesWithoutDelivering(t *testing.T) {
	f := newWhSMS(t, "https://relay.example.com")
	tw := whTwilioForm("SM33333333333333333333333333333333", whSMSText)
	genBody, genHdr := whGenericSMS("fwd-2", whSMSText)
	staleTS, staleSig := inbound.RelaySignature([]byte(whSMSSecret), whNow.Add(-time.Hour), genBody)
	tnBody, tnHdr := f.telnyxEvent("tn-2", whSMSText)
	tnHdr["Telnyx-Signature-Ed25519"] = base64.StdEncoding.EncodeToString(make([]byte, 64))
	big := bytes.Repeat([]byte("a"), apigw.MaxBodyBytes+10)
	tests := []struct {
		name, path, ct string
		body           []byte
		headers        map[string]string
		status         int
		problem        string
	}{
		{"twilio forged", "/v1/webhooks/sms/twilio", "application/x-www-form-urlencoded", []byte(tw.Encode()),
			map[string]string{"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}, 401, "errors/invalid_signature"},
		{"twilio unsigned", "/v1/webhooks/sms/twilio", "application/x-www-form-urlencoded", []byte(tw.Encode()), nil, 401, "errors/invalid_signature"},
		{"telnyx forged", "/v1/webhooks/sms/telnyx", "application/json", tnBody, tnHdr, 401, "errors/invalid_signature"},
		{"vonage unsigned", "/v1/webhooks/sms/vonage", "application/json", []byte(`{"messageId":"1","to":"447700900000","text":"1"}`), nil, 401, "errors/invalid_signature"},
		{"generic stale", "/v1/webhooks/sms/generic", "application/json", genBody,
			map[string]string{"X-Relay-Timestamp": staleTS, "X-Relay-Signature": staleSig}, 401, "errors/stale_request"},
		{"generic body changed", "/v1/webhooks/sms/generic", "application/json",
			bytes.Replace(genBody, []byte("482913"), []byte("111111"), 1), genHdr, 401, "errors/invalid_signature"},
		{"oversize", "/v1/webhooks/sms/generic", "application/json", big, genHdr, 413, "errors/content_too_large"},
		{"unknown source", "/v1/webhooks/sms/plivo", "application/json", genBody, genHdr, 404, "errors/not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := whCall(t, f.h, whEvent(t, tc.path, tc.ct, tc.body, tc.headers))
			if resp.StatusCode != tc.status || whProblemType(t, resp) != tc.problem {
				t.Errorf("answer %d %s, want %d %s", resp.StatusCode, resp.Body, tc.status, tc.problem)
			}
		})
	}
	if len(f.d.calls) != 0 {
		t.Errorf("Deliver called %d times for refused requests", len(f.d.calls))
	}
}

func TestSMSWebhookDeliveryStatuses(t *testing.T) {
	// A retry of the same message id reaches the relay again with the same
	// id (the relay answers duplicate); a message without a code is
	// delivered with an empty code and the extractor's reason; an unknown
	// recipient is acknowledged; only a relay failure is a 5xx.
	f := newWhSMS(t, "")
	first, hdr := whGenericSMS("fwd-dup", whSMSText)
	ev := whEvent(t, "/v1/webhooks/sms/generic", "application/json", first, hdr)
	for i, want := range []string{"accepted", "duplicate"} {
		resp := whCall(t, f.h, ev)
		if got := whStatuses(t, resp); resp.StatusCode != 200 || len(got) != 1 || got[0] != want {
			t.Fatalf("delivery %d: %d %v, want %s", i, resp.StatusCode, got, want)
		}
	}
	if f.d.calls[0].MessageID != "fwd-dup" || f.d.calls[1].MessageID != "fwd-dup" {
		t.Errorf("message ids %q, %q", f.d.calls[0].MessageID, f.d.calls[1].MessageID)
	}

	noCode, hdr := whGenericSMS("fwd-nocode", "See you at the station at noon!")
	resp := whCall(t, f.h, whEvent(t, "/v1/webhooks/sms/generic", "application/json", noCode, hdr))
	last := f.d.calls[len(f.d.calls)-1]
	if got := whStatuses(t, resp); resp.StatusCode != 200 || got[0] != "no_code" || last.Code != "" || last.NoCodeReason == "" {
		t.Errorf("no code: %d %v, delivery %+v", resp.StatusCode, got, last)
	}

	f.d.status = relay.DeliveryUnknownRecipient
	var emf bytes.Buffer
	defer metrics.SetDefault(metrics.SetDefault(metrics.New(&emf, nil)))
	unknown, hdr := whGenericSMS("fwd-unknown", whSMSText)
	resp = whCall(t, f.h, whEvent(t, "/v1/webhooks/sms/generic", "application/json", unknown, hdr))
	if got := whStatuses(t, resp); resp.StatusCode != 200 || got[0] != "unknown_recipient" {
		t.Errorf("unknown recipient: %d %v", resp.StatusCode, got)
	}
	for _, want := range []string{`"CodesReceived":1`, `"Source":"generic"`, `"CodesRefused":1`, `"Reason":"unknown_recipient"`} {
		if !strings.Contains(emf.String(), want) {
			t.Errorf("unknown recipient: no %s in the metric records:\n%s", want, emf.String())
		}
	}

	f.d.status = relay.DeliveryQueueFull
	full, hdr := whGenericSMS("fwd-full", whSMSText)
	resp = whCall(t, f.h, whEvent(t, "/v1/webhooks/sms/generic", "application/json", full, hdr))
	if got := whStatuses(t, resp); resp.StatusCode != 200 || got[0] != "queue_full" {
		t.Errorf("a full queue answered %d %v, want 200: a retry would only be refused again", resp.StatusCode, got)
	}
	f.d.status = ""

	f.d.err = errStoreDown
	failing, hdr := whGenericSMS("fwd-fail", whSMSText)
	resp = whCall(t, f.h, whEvent(t, "/v1/webhooks/sms/generic", "application/json", failing, hdr))
	if resp.StatusCode != 500 {
		t.Errorf("relay failure answered %d, want 500 so the sender retries", resp.StatusCode)
	}
	whNoSecrets(t, f.logs.String(), "482913", whSMSText, whSMSSecret)
}

func TestSMSWebhookSourceWithoutSecretIsDisabled(t *testing.T) {
	d := &whDeliverer{}
	h, err := NewSMSWebhookHandler(SMSWebhookConfig{Deliverer: d, Logger: whLogger(&bytes.Buffer{})})
	if err != nil {
		t.Fatal(err)
	}
	body, hdr := whGenericSMS("fwd-3", whSMSText)
	resp := whCall(t, h, whEvent(t, "/v1/webhooks/sms/generic", "application/json", body, hdr))
	if resp.StatusCode != 404 || len(d.calls) != 0 {
		t.Errorf("answer %d, deliveries %d; want 404 and none", resp.StatusCode, len(d.calls))
	}
	if _, err := NewSMSWebhookHandler(SMSWebhookConfig{}); err == nil {
		t.Error("built a handler without a Deliverer")
	}
}

// The generic endpoints take the scheme the relay signs its callbacks
// with: a body signed by relay.SignCallback is accepted as is.
func TestSMSWebhookGenericAcceptsTheCallbackScheme(t *testing.T) {
	f := newWhSMS(t, "")
	body := []byte(`{"id":"fwd-cb","to":"+447700900123","text":"` + whSMSText + `"}`)
	sig := relay.SignCallback([]byte(whSMSSecret), whNow.Unix(), body)
	resp := whCall(t, f.h, whEvent(t, "/v1/webhooks/sms/generic", "application/json", body, map[string]string{
		relay.HeaderTimestamp: strconv.FormatInt(whNow.Unix(), 10), relay.HeaderSignature: sig}))
	if resp.StatusCode != 200 || len(f.d.calls) != 1 {
		t.Fatalf("answer %d %s", resp.StatusCode, resp.Body)
	}
}
