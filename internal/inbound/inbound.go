// Package inbound turns the webhooks that carry codes into messages: one
// parser per source (Twilio, Vonage, Telnyx and a generic SMS endpoint; SES
// through SNS, Mailgun, SendGrid and a generic email endpoint), each of which
// first proves who sent the request and only then reads it.
//
// A parser never extracts the code and never touches the store: it answers
// who the message was for (normalised recipients, most specific first), its
// provider id (the de-duplication key) and its content.
package inbound

import (
	"context"
	"net/http"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// Source names, used in de-duplication keys (MSG#<source>#<id>): they must
// never change once deployed.
const (
	SourceTwilio       = "twilio"
	SourceVonage       = "vonage"
	SourceTelnyx       = "telnyx"
	SourceSMSGeneric   = "sms-generic"
	SourceSES          = "ses"
	SourceMailgun      = "mailgun"
	SourceSendGrid     = "sendgrid"
	SourceEmailGeneric = "email-generic"
)

// Request is one webhook call as the parsers need it.
type Request struct {
	Method string
	// URL is the full URL as the sender addressed it (scheme, host, path,
	// query). Twilio signs it; SendGrid's secret path token is read from it.
	URL    string
	Header http.Header
	Body   []byte
	// Now is the time replay windows are measured against.
	Now time.Time
}

// Message is one inbound SMS or email.
type Message struct {
	Source    string
	MessageID string
	Channel   checkpoint.Channel
	// Recipients are normalised: E.164 phone numbers, lower-cased email
	// addresses; most specific first (the original recipient of a forwarded
	// mail before the forwarding address, "user+tag@x" before "user@x").
	Recipients []string
	// From is the sender as the provider gave it (normalised to E.164 when
	// it is a phone number); informational only.
	From string
	// Text is the SMS text.
	Text string
	// RawMIME is the full email when the source provides it; otherwise the
	// parsed parts below are set.
	RawMIME  []byte
	Subject  string
	TextBody string
	HTMLBody string
}

// Reply is what the sender expects in the body of a 2xx answer. The zero
// value lets the handler answer its own JSON.
type Reply struct {
	ContentType string
	Body        string
}

// SNSSubscription is a subscription (or unsubscription) confirmation that
// SNS sent; SubscribeURL has already been checked to point at SNS.
type SNSSubscription struct {
	Type         string
	TopicARN     string
	SubscribeURL string
}

// Parsed is what one webhook call carried.
type Parsed struct {
	Messages []Message
	// Skipped says why a verified request carries no message to deliver
	// (a concatenated SMS part, an event that is not an inbound message, a
	// mail SES marked as spam); it is acknowledged with a 2xx all the same.
	Skipped string
	Reply   Reply
	// Confirm is set for an SNS SubscriptionConfirmation: the handler
	// confirms it with SNS.Confirm.
	Confirm *SNSSubscription
}

// Source verifies and parses the webhook calls of one provider.
type Source interface {
	// Name is the source name (one of the Source* constants).
	Name() string
	// Parse verifies the request's sender and reads its messages. Errors
	// wrap one of the sentinel errors of this package.
	Parse(ctx context.Context, r Request) (Parsed, error)
}
