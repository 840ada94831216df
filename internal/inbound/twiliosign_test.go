package inbound

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/twilio/twilio-go/client"
)

func TestTwilioSignatureIsWhatTwilioGoValidates(t *testing.T) {
	const token, target = "12345678901234567890123456789012", "https://relay.example.com/v1/webhooks/sms/twilio"
	params := url.Values{"MessageSid": {"SM1"}, "To": {"+33612345678"}, "From": {"+15005550006"}, "Body": {"Your code is 804706"}}
	sig := TwilioSignature(token, target, params)
	v := client.NewRequestValidator(token)
	flat := map[string]string{}
	for k := range params {
		flat[k] = params.Get(k)
	}
	if !v.Validate(target, flat, sig) {
		t.Fatal("twilio-go does not accept the signature")
	}
	if v.Validate(target+"?x=1", flat, sig) {
		t.Fatal("the signature does not cover the URL")
	}
	flat["Body"] = "Your code is 000000"
	if v.Validate(target, flat, sig) {
		t.Fatal("the signature does not cover the parameters")
	}
}

// The fields read are the fields signed: twilio-go validates the body as a
// URL-encoded form, so the parser reads it as one whatever the
// Content-Type says.
func TestTwilioReadsTheFormItValidated(t *testing.T) {
	const token, target = "12345678901234567890123456789012", "https://relay.example.com/v1/webhooks/sms/twilio"
	params := url.Values{"MessageSid": {"SMsigned"}, "To": {"+33612345678"}, "Body": {"Your code is 804706"}}
	h := http.Header{}
	h.Set("Content-Type", "multipart/form-data; boundary=x")
	h.Set("X-Twilio-Signature", TwilioSignature(token, target, params))
	p, err := Twilio{AuthToken: token}.Parse(context.Background(), Request{Method: "POST", URL: target, Header: h, Body: []byte(params.Encode())})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Messages) != 1 || p.Messages[0].MessageID != "SMsigned" || p.Messages[0].Text != "Your code is 804706" {
		t.Fatalf("parsed %+v", p.Messages)
	}
}
