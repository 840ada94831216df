package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// The code queue. A code handler accepts a code by appending it to its
// checkpoint's queue (Accept); the checkpoint's execution, the only caller
// of the provider, claims the head (ClaimHead), submits it, and answers it
// (AnswerHead) or hands it back after a transient answer (RequeueHead).
// Each step is one conditional UpdateItem on the checkpoint item, so the
// queue needs no transaction: the item is the unit of consistency.

// MaxQueuedCodes bounds a checkpoint's queue, answered codes included, so
// the item stays far below DynamoDB's 400 KB (an entry is a few hundred
// bytes). The state machine tries at most 3 wrong codes and 3 chained
// checkpoints, so a person never comes near it; a sender flooding one
// checkpoint with distinct codes does, and is refused (ErrQueueFull).
const MaxQueuedCodes = 12

// CodeState is where a queued code stands.
type CodeState string

const (
	// CodeQueued: accepted, not yet claimed (or handed back after a
	// transient answer).
	CodeQueued CodeState = "queued"
	// CodeClaimed: a solve attempt took it and may have sent it; no answer
	// is recorded. An attempt that finds its head claimed knows the last
	// attempt died or timed out after claiming.
	CodeClaimed CodeState = "claimed"
	// CodeAnswered: the provider's answer (or the relay's verdict) is
	// recorded in Outcome.
	CodeAnswered CodeState = "answered"
)

// QueuedCode is one accepted code: sealed, with what the relay knows of
// where it came from. It never holds the code in clear.
type QueuedCode struct {
	// ID names the entry within its checkpoint (random), so a form can
	// ask for the outcome of the code it sent.
	ID string `dynamodbav:"id"`
	// FP is the code's keyed fingerprint (secretbox), unique per
	// checkpoint.
	FP string `dynamodbav:"fp"`
	// Sealed is the code sealed with QueuedCodeContext(checkpoint id);
	// removed once the code is answered.
	Sealed    []byte             `dynamodbav:"sealed,omitempty"`
	Channel   checkpoint.Channel `dynamodbav:"channel"`
	Source    string             `dynamodbav:"source,omitempty"`
	MessageID string             `dynamodbav:"message_id,omitempty"`
	ArrivedAt time.Time          `dynamodbav:"arrived_at"`
	// Attribution says how the code was matched to this checkpoint (for
	// example "recipient": the message's recipient is the checkpoint's).
	Attribution string `dynamodbav:"attribution,omitempty"`
	// Sender is the fingerprint of who sent the code (attribution's
	// untrusted senders); "" for the form.
	Sender string `dynamodbav:"sender,omitempty"`
	// Fallbacks are the other candidate checkpoints (same provider, same
	// recipient) the code is offered to, in order, should it be wrong
	// here; WrongOn those it was already wrong on.
	Fallbacks []string `dynamodbav:"fallbacks,omitempty"`
	WrongOn   []string `dynamodbav:"wrong_on,omitempty"`

	// OtherWay marks postpress's TRY_ANOTHER_WAY, asked from the form:
	// Accept takes one only while nothing is in flight, and at most
	// MaxOtherWays per checkpoint.
	OtherWay bool `dynamodbav:"other_way,omitempty"`

	State CodeState `dynamodbav:"state"`
	// Claims counts the solve attempts that claimed it.
	Claims int `dynamodbav:"claims"`
	// Resubmitted: an attempt found it claimed but unanswered (the last
	// attempt died or got no answer) and sent it once more. It is never
	// sent a third time.
	Resubmitted bool               `dynamodbav:"resubmitted,omitempty"`
	ClaimedAt   *time.Time         `dynamodbav:"claimed_at,omitempty"`
	AnsweredAt  *time.Time         `dynamodbav:"answered_at,omitempty"`
	Outcome     checkpoint.Outcome `dynamodbav:"outcome,omitempty"`
	ErrorType   string             `dynamodbav:"error_type,omitempty"`
	// Reason qualifies an outcome the relay could not take at face value
	// (ambiguous_after_timeout).
	Reason string `dynamodbav:"reason,omitempty"`
}

// SawMessage reports whether a webhook message's code was accepted here.
func (c *Checkpoint) SawMessage(source, messageID string) bool {
	return messageID != "" && contains(c.MessageIDs, MessageKey(source, messageID))
}

// Head returns the first code not yet answered and its index, or nil.
func (c *Checkpoint) Head() (*QueuedCode, int) {
	if c.QueueHead < 0 || c.QueueHead >= len(c.Queue) {
		return nil, c.QueueHead
	}
	return &c.Queue[c.QueueHead], c.QueueHead
}

// QueuedCodeByID returns the entry with this id, or nil.
func (c *Checkpoint) QueuedCodeByID(id string) *QueuedCode {
	for i := range c.Queue {
		if c.Queue[i].ID == id {
			return &c.Queue[i]
		}
	}
	return nil
}

// MessageKey is the de-duplication key of a webhook message: source and
// id, or, for an id too long to keep, their SHA-256 (the sender chooses
// the id, and the item's budget does not let it grow the set at will).
func MessageKey(source, messageID string) string {
	k := source + "#" + messageID
	if len(k) <= MaxMessageKey {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return source + "#sha256:" + hex.EncodeToString(sum[:])
}

// Accepted is what Accept did.
type Accepted struct {
	// TaskToken is the token of the execution's wait, taken off the item
	// by this write ("" when the execution is not waiting): the caller, and
	// no one else, wakes the execution with it.
	TaskToken string
}

// Accept appends a sealed code to the queue of a pending checkpoint and
// takes the task token, in one conditional write: the checkpoint is
// pending with no final outcome, has had fewer than maxWrongCodes wrong
// codes, holds fewer than MaxQueuedCodes codes, and has never seen the
// code's fingerprint nor (when q.MessageID is set) the message. On
// failure it returns the item and ErrNotPending, ErrDuplicateMessage,
// ErrCodeReused, ErrTooManyWrongCodes or ErrQueueFull.
func (s *Store) Accept(ctx context.Context, id string, q QueuedCode, maxWrongCodes int) (Accepted, *Checkpoint, error) {
	q.State, q.Claims = CodeQueued, 0
	q.Attribution = clipText(q.Attribution, MaxMessageKey)
	u := newUpdate()
	u.set = append(u.set, fmt.Sprintf("%s = list_append(if_not_exists(%s, %s), %s)",
		u.n("queue"), u.n("queue"), u.v([]QueuedCode{}), u.v([]QueuedCode{q})))
	u.Add("queued", 1).AddToSet("code_fps", q.FP).Remove("task_token").
		AppendEvent(Event{At: q.ArrivedAt, Kind: EventCodeReceived, Channel: q.Channel}).
		If("%s = %s", attr("status"), checkpoint.StatusPending).
		If("attribute_not_exists(%s)", attr("final_outcome")).
		If("%s < %s", attr("wrong_codes"), maxWrongCodes).
		If("NOT contains(%s, %s)", attr("code_fps"), q.FP).
		If("attribute_not_exists(%s) OR size(%s) < %s", attr("queue"), attr("queue"), MaxQueuedCodes)
	if q.OtherWay {
		u.Add("other_ways", 1).
			If("%s = %s", attr("queued"), 0).
			If("attribute_not_exists(%s) OR %s < %s", attr("other_ways"), attr("other_ways"), MaxOtherWays)
	}
	msg := ""
	if q.MessageID != "" {
		msg = MessageKey(q.Source, q.MessageID)
		q.MessageID = clipText(q.MessageID, MaxMessageKey)
		u.AddToSet("msg_ids", msg).If("NOT contains(%s, %s)", attr("msg_ids"), msg)
	}
	old, err := s.exec(ctx, id, u, types.ReturnValueAllOld)
	if err == nil {
		return Accepted{TaskToken: old.TaskToken}, nil, nil
	}
	cp, err := s.failed(ctx, id, err, func(cp *Checkpoint) error {
		switch {
		case msg != "" && contains(cp.MessageIDs, msg):
			return ErrDuplicateMessage
		case cp.Status != checkpoint.StatusPending || cp.FinalOutcome != "":
			return ErrNotPending
		case cp.UsedCode(q.FP):
			return ErrCodeReused
		case cp.WrongCodes >= maxWrongCodes:
			return ErrTooManyWrongCodes
		case len(cp.Queue) >= MaxQueuedCodes:
			return ErrQueueFull
		case q.OtherWay && cp.OtherWays >= MaxOtherWays:
			return ErrTooManyOtherWays
		case q.OtherWay && cp.Queued > 0:
			return ErrOtherWayInFlight
		}
		return fmt.Errorf("store: accept on %s: condition failed", id)
	})
	return Accepted{}, cp, err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// StoreTaskToken stores the token of a waiting task (a code wait, a poll
// interval, the TOTP step wait) unless a code is queued: then it stores
// nothing and reports queued, and the caller resumes the execution at
// once. Accept takes the token in the same way, so a code is never left
// queued behind a wait that nobody will end early.
func (s *Store) StoreTaskToken(ctx context.Context, id, token string) (queued bool, err error) {
	u := newUpdate().Set("task_token", token).
		If("%s = %s", attr("status"), checkpoint.StatusPending).
		If("%s = %s", attr("queued"), 0)
	_, err = s.exec(ctx, id, u, types.ReturnValueNone)
	if err == nil {
		return false, nil
	}
	cp, err := s.failed(ctx, id, err, func(cp *Checkpoint) error {
		if cp.Status != checkpoint.StatusPending {
			return ErrNotPending
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return cp.Queued > 0, nil
}

// TakeTaskToken removes and returns the stored task token, "" if none:
// whoever takes it wakes the execution (the form's "I approved it").
func (s *Store) TakeTaskToken(ctx context.Context, id string) (string, error) {
	u := newUpdate().Remove("task_token").
		If("attribute_exists(%s)", attr("task_token")).
		If("%s = %s", attr("status"), checkpoint.StatusPending)
	old, err := s.exec(ctx, id, u, types.ReturnValueAllOld)
	if err == nil {
		return old.TaskToken, nil
	}
	if _, err := s.failed(ctx, id, err, func(*Checkpoint) error { return nil }); err != nil {
		return "", err
	}
	return "", nil
}

// ClaimHead marks the queue's head (index i, with the claims count the
// caller read) claimed by one more attempt, just before it is sent, and
// drops any stored task token (the execution is running a task, so a
// stored token is a dead one). resubmit marks a claim of a head already
// claimed (Resubmitted). It returns the item after the write, or
// ErrQueueMoved when the head is not as read.
func (s *Store) ClaimHead(ctx context.Context, id string, i, claims int, resubmit bool, now time.Time) (*Checkpoint, error) {
	u := newUpdate()
	u.SetPath(u.elem("queue", i, "state"), CodeClaimed).
		SetPath(u.elem("queue", i, "claims"), claims+1).
		SetPath(u.elem("queue", i, "claimed_at"), now).
		Remove("task_token")
	if resubmit {
		u.SetPath(u.elem("queue", i, "resubmitted"), true)
	}
	headIs(u, i, claims)
	cp, err := s.exec(ctx, id, u, types.ReturnValueAllNew)
	if err == nil {
		return cp, nil
	}
	return s.failed(ctx, id, err, headMoved)
}

// headIs conditions a write on the queue's head being entry i with claims
// attempts, on a pending checkpoint.
func headIs(u *update, i, claims int) {
	u.If("%s = %s", attr("status"), checkpoint.StatusPending).
		If("%s = %s", attr("queue_head"), i).
		If("%s = %s", u.elem("queue", i, "claims"), claims)
}

func headMoved(cp *Checkpoint) error {
	if cp.Status != checkpoint.StatusPending {
		return ErrNotPending
	}
	return ErrQueueMoved
}

// Answer is the verdict on the queue's head.
type Answer struct {
	Outcome   checkpoint.Outcome
	ErrorType string
	Reason    string
	At        time.Time
}

// AnswerHead records the answer to the claimed head (index i, claimed
// claims times), moves the head on, drops the sealed code, and applies o
// (the solve line, counters, a final outcome), in one write. It returns
// the item after it, or ErrQueueMoved.
func (s *Store) AnswerHead(ctx context.Context, id string, i, claims int, a Answer, o Outcome) (*Checkpoint, error) {
	u := newUpdate()
	u.SetPath(u.elem("queue", i, "state"), CodeAnswered).
		SetPath(u.elem("queue", i, "outcome"), a.Outcome).
		SetPath(u.elem("queue", i, "answered_at"), a.At).
		RemovePath(u.elem("queue", i, "sealed"))
	if a.ErrorType != "" {
		u.SetPath(u.elem("queue", i, "error_type"), a.ErrorType)
	}
	if a.Reason != "" {
		u.SetPath(u.elem("queue", i, "reason"), a.Reason)
	}
	u.Set("queue_head", i+1).Add("queued", -1)
	o.apply(u)
	headIs(u, i, claims)
	u.If("%s = %s", u.elem("queue", i, "state"), CodeClaimed)
	cp, err := s.exec(ctx, id, u, types.ReturnValueAllNew)
	if err == nil {
		return cp, nil
	}
	return s.failed(ctx, id, err, headMoved)
}

// SkipHead answers the queue's head (index i, claims as read, not
// claimed) without submitting it: attribution refused it (reason, e.g.
// untrusted_sender) after it was queued. The event goes in the history.
func (s *Store) SkipHead(ctx context.Context, id string, i, claims int, reason string, e Event) (*Checkpoint, error) {
	u := newUpdate()
	u.SetPath(u.elem("queue", i, "state"), CodeAnswered).
		SetPath(u.elem("queue", i, "reason"), reason).
		SetPath(u.elem("queue", i, "answered_at"), e.At).
		RemovePath(u.elem("queue", i, "sealed"))
	u.Set("queue_head", i+1).Add("queued", -1).AppendEvent(e)
	headIs(u, i, claims)
	u.If("%s = %s", u.elem("queue", i, "state"), CodeQueued)
	cp, err := s.exec(ctx, id, u, types.ReturnValueAllNew)
	if err == nil {
		return cp, nil
	}
	return s.failed(ctx, id, err, headMoved)
}

// RequeueHead hands the claimed head back to the queue after an answer
// that says the provider did not take it (a transient error), with a
// history line; the next attempt claims it afresh.
func (s *Store) RequeueHead(ctx context.Context, id string, i, claims int, e Event) error {
	u := newUpdate()
	u.SetPath(u.elem("queue", i, "state"), CodeQueued).AppendEvent(e)
	headIs(u, i, claims)
	_, err := s.exec(ctx, id, u, types.ReturnValueNone)
	if err == nil {
		return nil
	}
	_, err = s.failed(ctx, id, err, headMoved)
	return err
}
