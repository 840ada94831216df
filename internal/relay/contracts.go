package relay

import (
	"context"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// Delivery is one code that reached the relay by a webhook. The webhook
// handler has already verified the sender and extracted the code.
type Delivery struct {
	Channel checkpoint.Channel // sms or email
	// Source names the webhook ("twilio", "vonage", "telnyx", "sms-generic",
	// "ses", "mailgun", "sendgrid", "email-generic"); with MessageID it is
	// the de-duplication key.
	Source    string
	MessageID string
	// Recipients are the normalised addresses the message was sent to, most
	// specific first (E.164 phone numbers; lower-cased emails, the original
	// recipient of a forwarded mail before the forwarding address).
	Recipients []string
	// Code is the extracted code; empty when none was found.
	Code string
	// Service is what the extractor recognised (LINKEDIN, INSTAGRAM, …).
	Service    string
	Confidence float64
	// NoCodeReason is the extractor's reason when Code is empty.
	NoCodeReason string
	// Sender is who sent the message as the source says (a phone number or
	// short code, a mail's From address); "" when it does not say. Only
	// its fingerprint is kept (attribution's untrusted senders).
	Sender string
	// SentAt is the message's own time where the source gives one (zero
	// otherwise); ArrivedAt, when the handler received it (zero: now).
	SentAt    time.Time
	ArrivedAt time.Time
	// AuthenticatedAs is, for a mail, the provider it proved it comes from
	// (package mailauth); AuthDetail says how or why not.
	AuthenticatedAs checkpoint.Provider
	AuthDetail      string
}

// DeliveryStatus says what became of a delivery. Every status is answered
// 2xx to the sender: only a bad signature, a malformed request or a
// failure of the relay itself is not.
type DeliveryStatus string

const (
	// DeliveryAccepted: the code is queued on its checkpoint; the
	// checkpoint's execution submits it.
	DeliveryAccepted DeliveryStatus = "accepted"
	// DeliveryDuplicate: this message id was already accepted.
	DeliveryDuplicate DeliveryStatus = "duplicate"
	// DeliveryUnknownRecipient: no pending checkpoint for any recipient.
	DeliveryUnknownRecipient DeliveryStatus = "unknown_recipient"
	// DeliveryNoCode: the message carried no usable code.
	DeliveryNoCode DeliveryStatus = "no_code"
	// DeliveryLate: the checkpoint had already ended (or had its wrong
	// codes); recorded and ignored.
	DeliveryLate DeliveryStatus = "late"
	// DeliveryCodeReused: this code is already queued or was submitted.
	DeliveryCodeReused DeliveryStatus = "code_reused"
	// DeliveryQueueFull: the checkpoint already holds store.MaxQueuedCodes
	// codes; recorded and ignored.
	DeliveryQueueFull DeliveryStatus = "queue_full"
	// DeliveryIgnored: attribution gave the code to no pending checkpoint
	// (another service's, unauthenticated, stale, an untrusted sender);
	// each refusal is recorded on the checkpoint it concerns.
	DeliveryIgnored DeliveryStatus = "ignored"
	// DeliveryHeld: the code arrived before any checkpoint of its provider
	// was registered for a recipient the relay knows; it is kept sealed
	// for the early window and taken by the next registration.
	DeliveryHeld DeliveryStatus = "held"
)

// DeliveryResult is what Deliver did.
type DeliveryResult struct {
	Status       DeliveryStatus `json:"status"`
	CheckpointID string         `json:"checkpoint_id,omitempty"`
	// CodeID names the queued code (accepted only).
	CodeID string `json:"-"`
}

// Deliverer is what the webhook handlers need of the relay.
type Deliverer interface {
	Deliver(ctx context.Context, d Delivery) (DeliveryResult, error)
}

// FormAction is a button on the hosted form.
type FormAction string

const (
	FormSubmitCode    FormAction = "code"
	FormResend        FormAction = "resend"
	FormTryAnotherWay FormAction = "try_another_way"
	FormApproved      FormAction = "approved"
)

// FormView is what the hosted form shows for a token.
type FormView struct {
	CheckpointID string
	Provider     checkpoint.Provider
	Type         checkpoint.Type
	Status       checkpoint.Status
	ExpiresAt    time.Time
	// Actions the page may offer: code entry, resend (postpress),
	// try another way (postpress), "I approved it in the app" (pollable).
	CanSubmitCode    bool
	CanResend        bool
	CanTryAnotherWay bool
	CanApprove       bool
	// WrongCodesLeft is how many more wrong codes the form accepts.
	WrongCodesLeft int
}

// FormResult is the answer to one form action.
type FormResult struct {
	// Outcome is the provider's answer; empty while a submitted code is
	// still being checked (then CodeID is set).
	Outcome checkpoint.Outcome
	View    FormView
	// Message is a short, user-facing sentence (never the code).
	Message string
	// CodeID names the submitted code in the checkpoint's queue while its
	// answer is not known yet: the page refreshes itself with it
	// (FormCheck) until it is.
	CodeID string
}

// FormService is what the hosted form needs of the relay. Errors are
// ErrFormTokenUnknown (404), ErrFormExpired (410), ErrFormLocked (429:
// too many wrong codes), or infrastructure failures.
type FormService interface {
	FormView(ctx context.Context, token string) (FormView, error)
	FormAct(ctx context.Context, token string, action FormAction, code string) (FormResult, error)
	// FormCheck reports on a code the form submitted earlier (its CodeID):
	// the outcome once the execution has answered it, else CodeID again.
	FormCheck(ctx context.Context, token, codeID string) (FormResult, error)
}
