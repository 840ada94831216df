// Package store keeps the relay's state in one DynamoDB table. Every state
// change is a single-item conditional write (dynalite, the local DynamoDB,
// has no transactions), so the conditions carry the guarantees: a code is
// accepted into its checkpoint's queue at most once (by fingerprint and by
// message id), the execution claims and answers the queue's head one code
// at a time, and a code after the end changes nothing.
//
// Items (see ARCHITECTURE.md):
//
//	checkpoint         CP#<id>                         CP
//	recipient pointer  RCPT#<+E164 or lowered email>   <created_at, fixed width>#<id>
//	account pointer    ACCT#<api>#<account_id>         ACCT
//	form token         FORM#<hex HMAC of token>        FORM
//
// The store never sees a code, a TOTP secret or a form token in clear: it
// receives them sealed or fingerprinted by secretbox.
package store

import (
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// Checkpoint is the checkpoint item.
type Checkpoint struct {
	ID          string              `dynamodbav:"id"`
	API         checkpoint.API      `dynamodbav:"api"`
	AccountID   string              `dynamodbav:"account_id"`
	Provider    checkpoint.Provider `dynamodbav:"provider"`
	Type        checkpoint.Type     `dynamodbav:"type"`
	Mode        checkpoint.Mode     `dynamodbav:"mode"`
	Phone       string              `dynamodbav:"phone,omitempty"`
	Email       string              `dynamodbav:"email,omitempty"`
	CallbackURL string              `dynamodbav:"callback_url,omitempty"`
	// SealedTOTPSecret is the authenticator secret sealed by secretbox with
	// the context TOTPContext(id).
	SealedTOTPSecret []byte `dynamodbav:"totp_secret,omitempty"`
	// SealedFormToken lets a replayed registration answer the same form
	// link; lookups go through FormTokenFP.
	SealedFormToken []byte `dynamodbav:"form_token,omitempty"`
	FormTokenFP     string `dynamodbav:"form_token_fp,omitempty"`
	// IdempotencyFP is the fingerprint of the registration's
	// Idempotency-Key, when one was sent.
	IdempotencyFP string `dynamodbav:"idempotency_fp,omitempty"`

	// AcceptAnySender is the registration's accept_any_sender: the
	// recipient receives only this account's messages, so a code whose
	// service is not recognised, or a mail that does not authenticate, is
	// taken all the same (package attribution).
	AcceptAnySender bool `dynamodbav:"accept_any_sender,omitempty"`
	// CodeRequestedAt is the last code request after the registration (a
	// resend); zero until one. See RequestedAt.
	CodeRequestedAt time.Time `dynamodbav:"code_requested_at,omitempty"`
	// UntrustedSenders are the fingerprints of senders whose code was wrong
	// here (and right for no other candidate) since the last code request.
	UntrustedSenders []string `dynamodbav:"untrusted_senders,stringset,omitempty"`

	Status    checkpoint.Status `dynamodbav:"status"`
	Reason    string            `dynamodbav:"reason,omitempty"`
	CreatedAt time.Time         `dynamodbav:"created_at"`
	ExpiresAt time.Time         `dynamodbav:"expires_at"`
	EndedAt   *time.Time        `dynamodbav:"ended_at,omitempty"`
	// FinalOutcome is set by the first outcome that ends the checkpoint
	// (connected, restart, rejected); from then on no code is claimed,
	// although Status stays pending until the finish task runs.
	FinalOutcome checkpoint.Outcome `dynamodbav:"final_outcome,omitempty"`

	ExecutionARN string `dynamodbav:"execution_arn,omitempty"`
	// TaskToken is the token of the await-code task now waiting; the
	// first code accepted takes it (and wakes the execution with it).
	TaskToken string `dynamodbav:"task_token,omitempty"`

	// Queue holds the codes accepted for this checkpoint, in arrival
	// order; the entries before QueueHead are answered. Queued counts the
	// entries not answered yet (QueueHead and after). At most
	// MaxQueuedCodes entries, answered ones included (see queue.go).
	Queue     []QueuedCode `dynamodbav:"queue,omitempty"`
	QueueHead int          `dynamodbav:"queue_head"`
	Queued    int          `dynamodbav:"queued"`
	// MessageIDs are the "<source>#<message id>" of every webhook message
	// whose code was accepted: a sender's retry is a duplicate.
	MessageIDs []string `dynamodbav:"msg_ids,stringset,omitempty"`

	WrongCodes     int `dynamodbav:"wrong_codes"`
	FormWrongCodes int `dynamodbav:"form_wrong_codes"`
	Resends        int `dynamodbav:"resends"`
	// ResendAttempts and LastResendAt hold the one resend bound the form
	// and the state machine share (ReserveResend): resends reserved and
	// not given back, and when the last one was.
	ResendAttempts int       `dynamodbav:"resend_attempts,omitempty"`
	LastResendAt   time.Time `dynamodbav:"last_resend_at,omitempty"`
	// OtherWays counts the "try another way" requests accepted (at most
	// MaxOtherWays).
	OtherWays int   `dynamodbav:"other_ways,omitempty"`
	Polls     int   `dynamodbav:"polls"`
	TOTPStep  int64 `dynamodbav:"totp_step,omitempty"`
	// CodeFPs are the fingerprints of every code queued or submitted
	// (TOTP codes included).
	CodeFPs []string `dynamodbav:"code_fps,stringset,omitempty"`

	Events        []Event `dynamodbav:"events"`
	EventsDropped int     `dynamodbav:"events_dropped,omitempty"`
	Version       int64   `dynamodbav:"version"`
}

// RequestedAt is the checkpoint's last code request: its registration or
// its last resend.
func (c *Checkpoint) RequestedAt() time.Time {
	if c.CodeRequestedAt.After(c.CreatedAt) {
		return c.CodeRequestedAt
	}
	return c.CreatedAt
}

// UsedCode reports whether a code with this fingerprint was queued or
// submitted.
func (c *Checkpoint) UsedCode(fp string) bool {
	for _, f := range c.CodeFPs {
		if f == fp {
			return true
		}
	}
	return false
}

// Event is one line of a checkpoint's history. It never holds a code.
type Event struct {
	At      time.Time          `dynamodbav:"at" json:"at"`
	Kind    EventKind          `dynamodbav:"kind" json:"kind"`
	Channel checkpoint.Channel `dynamodbav:"channel,omitempty" json:"channel,omitempty"`
	Outcome checkpoint.Outcome `dynamodbav:"outcome,omitempty" json:"outcome,omitempty"`
	Detail  string             `dynamodbav:"detail,omitempty" json:"detail,omitempty"`
}

// EventKind names what happened.
type EventKind string

const (
	EventRegistered   EventKind = "registered"
	EventCodeReceived EventKind = "code_received"
	// EventSolveRetry: a queued code met a transient provider answer (or
	// no answer) and waits for the next attempt.
	EventSolveRetry EventKind = "solve_retry"
	EventNoCode     EventKind = "no_code"
	EventSolve      EventKind = "solve"
	EventResend     EventKind = "resend"
	EventPoll       EventKind = "poll"
	EventFinished   EventKind = "finished"
	EventCallback   EventKind = "callback"
	EventLateCode   EventKind = "late_code"
	EventCodeReused EventKind = "code_reused"
	EventSuperseded EventKind = "superseded"
	EventExecution  EventKind = "execution_started"
	// EventAttribution: what attribution decided about a code for this
	// checkpoint when it did not simply take it (refused with a reason,
	// held as early, offered on to the next candidate); never the code.
	EventAttribution EventKind = "attribution"
)

// MaxEvents bounds the history. Writes that change state always append
// (they are bounded by the state machine's own counters); writes that only
// add history (late codes, messages without a code, pending polls) stop
// appending once the list is full and count what they dropped.
const MaxEvents = 100

// TOTPContext is the sealing context of a checkpoint's TOTP secret, so a
// sealed secret cannot be moved to another item.
func TOTPContext(id string) string { return "totp_secret:" + id }

// QueuedCodeContext is the sealing context of a queued code.
func QueuedCodeContext(id string) string { return "queued_code:" + id }

// FormTokenContext is the sealing context of the form token.
func FormTokenContext(id string) string { return "form_token:" + id }
