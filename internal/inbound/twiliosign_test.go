package inbound

import (
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
