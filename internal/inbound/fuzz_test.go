package inbound

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The fuzz targets sign whatever body they are given, so the fuzzer gets
// past the signature check and into the parsers, where a malformed webhook
// must end in one of the package's errors, never a panic, and a parsed
// message must be well formed.

var fuzzNow = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

// checkParsed holds what every parser promises of its result.
func checkParsed(t *testing.T, p Parsed, err error) {
	t.Helper()
	if err != nil {
		for _, sentinel := range []error{ErrSignature, ErrStale, ErrTopic, ErrMalformed, ErrTooLarge, ErrNotConfigured, ErrUpstream} {
			if errors.Is(err, sentinel) {
				return
			}
		}
		t.Fatalf("error wraps no sentinel of the package: %v", err)
	}
	for _, m := range p.Messages {
		if m.Source == "" || m.MessageID == "" {
			t.Fatalf("message without source or id: %+v", m)
		}
		for _, r := range m.Recipients {
			if r == "" || r != strings.TrimSpace(r) {
				t.Fatalf("recipient %q is not normalised", r)
			}
		}
	}
}

// relaySignedJSON is the headers of a JSON body signed with the relay's
// HMAC scheme, as the generic endpoints expect.
func relaySignedJSON(secret, body []byte) http.Header {
	ts, sig := RelaySignature(secret, fuzzNow, body)
	h := http.Header{}
	h.Set(HeaderRelayTimestamp, ts)
	h.Set(HeaderRelaySignature, sig)
	h.Set("Content-Type", "application/json")
	return h
}

func FuzzSMSGeneric(f *testing.F) {
	f.Add([]byte(`{"id":"m1","to":"+33612345678","from":"LinkedIn","text":"Your code is 804706"}`))
	f.Add([]byte(`{"id":"m2","to":["+33612345678","447700900123"],"text":""}`))
	f.Add([]byte(`{"to":null}`))
	f.Add([]byte(`[]`))
	secret := []byte("fuzz-secret")
	src := SMSGeneric{Secret: secret}
	f.Fuzz(func(t *testing.T, body []byte) {
		h := relaySignedJSON(secret, body)
		p, err := src.Parse(context.Background(), Request{Method: "POST", URL: "https://r.example/v1/webhooks/sms/generic", Header: h, Body: body, Now: fuzzNow})
		checkParsed(t, p, err)
	})
}

func FuzzEmailGeneric(f *testing.F) {
	f.Add([]byte(`{"id":"<a@b>","to":"Jane <jane+li@example.com>","subject":"PIN","text":"code: 804706"}`))
	f.Add([]byte(`{"id":"x","raw":"To: a@b.c\r\nSubject: s\r\n\r\n123456"}`))
	f.Add([]byte(`{"raw_base64":"!!"}`))
	secret := []byte("fuzz-secret")
	src := EmailGeneric{Secret: secret}
	f.Fuzz(func(t *testing.T, body []byte) {
		h := relaySignedJSON(secret, body)
		p, err := src.Parse(context.Background(), Request{Method: "POST", URL: "https://r.example/v1/webhooks/email/generic", Header: h, Body: body, Now: fuzzNow})
		checkParsed(t, p, err)
	})
}

func FuzzTwilio(f *testing.F) {
	f.Add("SM1", "+33612345678", "+15005550006", "Your LinkedIn verification code is 804706.")
	f.Add("", "", "", "")
	f.Add("SM2", "not a number", "x", "\x00\xff")
	const token = "12345678901234567890123456789012"
	const target = "https://r.example/v1/webhooks/sms/twilio"
	src := Twilio{AuthToken: token}
	f.Fuzz(func(t *testing.T, sid, to, from, text string) {
		form := url.Values{"MessageSid": {sid}, "To": {to}, "From": {from}, "Body": {text}}
		h := http.Header{}
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		h.Set("X-Twilio-Signature", TwilioSignature(token, target, form))
		p, err := src.Parse(context.Background(), Request{Method: "POST", URL: target, Header: h, Body: []byte(form.Encode()), Now: fuzzNow})
		checkParsed(t, p, err)
	})
}

func FuzzSendGrid(f *testing.F) {
	f.Add("multipart/form-data; boundary=b", []byte("--b\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\njane@example.com\r\n--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\ncode 804706\r\n--b--\r\n"))
	f.Add("multipart/form-data; boundary=b", []byte("--b\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nTo: a@b.c\r\n\r\nx\r\n--b--\r\n"))
	f.Add("text/plain", []byte("hello"))
	src := SendGrid{Token: "tok"}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		h := http.Header{}
		h.Set("Content-Type", contentType)
		p, err := src.Parse(context.Background(), Request{Method: "POST", URL: "https://r.example/v1/webhooks/email/sendgrid?token=tok", Header: h, Body: body, Now: fuzzNow})
		checkParsed(t, p, err)
	})
}
