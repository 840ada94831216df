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
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/mailauth"
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
	// Forwarder kinds (a device or inbox posting to its own webhook URL,
	// /v1/forwarders/{id}/webhook); their message ids start with the
	// forwarder's id, so two devices never share one.
	SourceSMSGate      = "sms-gate"
	SourceHTTPSMS      = "httpsms"
	SourceSMSForwarder = "smsforwarder"
	SourceToken        = "token"
	SourcePostmark     = "postmark"
	SourceForwardEmail = "forwardemail"
	SourceCloudflare   = "cloudflare"
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
	// FromHeader is a mail's From header when the source posts parsed
	// parts (with RawMIME it is read from the mail).
	FromHeader string
	// Text is the SMS text.
	Text string
	// RawMIME is the full email when the source provides it; otherwise the
	// parsed parts below are set.
	RawMIME  []byte
	Subject  string
	TextBody string
	HTMLBody string
	// SentAt is the message's own time where the source gives one (Telnyx
	// received_at, Vonage message-timestamp, a forwarder app's receive
	// time, the generic endpoint's sent_at); zero otherwise. A mail's Date
	// is read from the mail.
	SentAt time.Time
	// Verdicts are what the receiving mail service itself concluded about
	// a mail, where its webhook says (nil otherwise; SES, SendGrid,
	// Postmark, ForwardEmail), for mailauth.Verify.
	Verdicts *mailauth.Verdicts
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
	// Heartbeat is set by a forwarder's liveness event (SMS Gateway's
	// system:ping and app:started, httpSMS's phone.heartbeat.online).
	Heartbeat bool
	// SIMs are numbers a forwarder device reported for its SIM cards.
	SIMs []string
	// Once is a key the handler must record as used before it delivers
	// anything: a source whose signature covers only a timestamp
	// (SmsForwarder) cannot otherwise tell a replay with another body.
	Once string
}

// Device is the forwarder a per-device webhook call was addressed to.
type Device struct {
	ID     string
	Secret []byte
	// Passphrase opens end-to-end encrypted content (httpSMS); empty when
	// the forwarder was created without one.
	Passphrase []byte
	// Phone (SMS kinds) or Email (email kinds) the forwarder was created
	// with; SIMs the numbers it reported since.
	Phone string
	Email string
	SIMs  []string
	// WebhookURL is the URL the forwarder was given (httpSMS puts it in
	// its token's audience).
	WebhookURL string
}

// numbers are the phone numbers the device is known to receive on.
func (d Device) numbers() []string { return appendUnique([]string{d.Phone}, d.SIMs...) }

// recipient is the number a device's message is attributed to: the number
// the payload names when it is one of the device's own (in E.164, or in a
// national form ending with the same digits), else the forwarder's phone.
// A device's secret thus never reaches a checkpoint of another number.
func (d Device) recipient(reported string) string {
	reported = strings.TrimSpace(reported)
	if reported == "" {
		return d.Phone
	}
	if p, ok := NormalizePhone(reported); ok {
		for _, n := range d.numbers() {
			if n == p {
				return n
			}
		}
	}
	digits := onlyDigits(reported)
	if len(digits) >= 7 {
		for _, n := range d.numbers() {
			if strings.HasSuffix(onlyDigits(n), digits) {
				return n
			}
		}
	}
	return d.Phone
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// deviceMessageID namespaces a source's message id by its forwarder.
func (d Device) messageID(id string) string { return d.ID + "/" + id }

// Source verifies and parses the webhook calls of one provider.
type Source interface {
	// Name is the source name (one of the Source* constants).
	Name() string
	// Parse verifies the request's sender and reads its messages. Errors
	// wrap one of the sentinel errors of this package.
	Parse(ctx context.Context, r Request) (Parsed, error)
}
