package inbound

import (
	"context"
	"net/url"

	"github.com/twilio/twilio-go/client"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// TwilioEmptyTwiML is the answer to an inbound SMS webhook: a TwiML document
// with no verbs, so Twilio sends no reply SMS.
const TwilioEmptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// Twilio verifies Twilio's inbound SMS webhook (form-encoded POST signed with
// X-Twilio-Signature: HMAC-SHA1 of the URL plus the sorted parameters, keyed
// with the account's auth token) using twilio-go's own request validator.
type Twilio struct {
	AuthToken string
}

// Name implements Source.
func (Twilio) Name() string { return SourceTwilio }

// Parse implements Source. r.URL must be the URL configured in the Twilio
// console, exactly as Twilio called it.
func (t Twilio) Parse(_ context.Context, r Request) (Parsed, error) {
	if t.AuthToken == "" {
		return Parsed{}, ErrNotConfigured
	}
	sig := r.Header.Get("X-Twilio-Signature")
	if sig == "" {
		return Parsed{}, badSignature("missing X-Twilio-Signature")
	}
	v := client.NewRequestValidator(t.AuthToken)
	if !v.ValidateBody(r.URL, r.Body, sig) {
		return Parsed{}, badSignature("X-Twilio-Signature does not match")
	}
	// twilio-go checked the signature over the body read as a URL-encoded
	// form, which is what Twilio sends; read exactly that, whatever the
	// Content-Type claims, so the fields used are the fields signed.
	form, err := url.ParseQuery(string(r.Body))
	if err != nil {
		return Parsed{}, malformed("body is not a URL-encoded form")
	}
	reply := Reply{ContentType: "text/xml", Body: TwilioEmptyTwiML}
	sid := form.Get("MessageSid")
	if sid == "" {
		sid = form.Get("SmsSid")
	}
	if sid == "" || form.Get("To") == "" {
		return Parsed{}, malformed("MessageSid and To are required")
	}
	rcpt := phoneRecipients(form.Get("To"))
	if len(rcpt) == 0 {
		return Parsed{}, malformed("To is not a phone number")
	}
	return Parsed{
		Reply: reply,
		Messages: []Message{{
			Source:     SourceTwilio,
			MessageID:  sid,
			Channel:    checkpoint.ChannelSMS,
			Recipients: rcpt,
			From:       senderPhone(form.Get("From")),
			Text:       form.Get("Body"),
		}},
	}, nil
}
