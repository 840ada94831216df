package relay

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
	"github.com/checkpoint-relay/checkpoint-relay/internal/workflow"
)

// A code handler (every webhook, the form) never calls the provider: it
// accepts the code into its checkpoint's queue and wakes the checkpoint's
// execution, which submits it (solve.go). Accepting is one conditional
// write, so the sender is answered in milliseconds, and a code accepted is
// durable: whatever dies afterwards, the execution finds it.

// CodeMeta is what the relay knows of where a code came from.
type CodeMeta struct {
	Channel   checkpoint.Channel
	Source    string
	MessageID string
	// Attribution says how the code was matched to its checkpoint:
	// AttributedByRecipient, AttributedByForm, or a decision of the
	// attribution rules.
	Attribution string
}

// How a code was matched to its checkpoint.
const (
	// AttributedByRecipient: the message's recipient is the checkpoint's
	// phone number or email address.
	AttributedByRecipient = "recipient"
	// AttributedByForm: typed into the checkpoint's own form link.
	AttributedByForm = "form"
)

// SealCode prepares a code for checkpoint id's queue: separators removed,
// fingerprinted and sealed for that checkpoint only (another checkpoint's
// queue needs its own SealCode).
func (s *Service) SealCode(ctx context.Context, id, code string, m CodeMeta) (store.QueuedCode, error) {
	code = normaliseCode(code)
	fp, err := s.codeFingerprint(ctx, id, code)
	if err != nil {
		return store.QueuedCode{}, err
	}
	sealed, err := s.d.Sealer.Seal(ctx, []byte(code), store.QueuedCodeContext(id))
	if err != nil {
		return store.QueuedCode{}, fmt.Errorf("relay: seal code: %w", err)
	}
	return store.QueuedCode{
		ID: randomString(10), FP: fp, Sealed: sealed,
		Channel: m.Channel, Source: m.Source, MessageID: m.MessageID,
		ArrivedAt: s.now(), Attribution: m.Attribution,
	}, nil
}

// Accept appends a sealed code (SealCode) to the queue of the checkpoint
// it was decided for, and, if the execution is waiting, wakes it. It
// never calls the provider. A refusal is a status, not an error:
// duplicate (the message was accepted before), code_reused, late (the
// checkpoint ended or had its wrong codes), queue_full. An error means
// nothing was queued; the sender should retry.
func (s *Service) Accept(ctx context.Context, id string, q store.QueuedCode) (DeliveryResult, error) {
	a, _, err := s.d.Store.Accept(ctx, id, q, MaxWrongCodes)
	res := DeliveryResult{CheckpointID: id}
	switch {
	case errors.Is(err, store.ErrDuplicateMessage):
		res.Status = DeliveryDuplicate
		return res, nil
	case errors.Is(err, store.ErrCodeReused):
		s.recordEvent(ctx, id, store.Event{At: s.now(), Kind: store.EventCodeReused, Channel: q.Channel})
		res.Status = DeliveryCodeReused
		return res, nil
	case errors.Is(err, store.ErrNotPending):
		s.recordLate(ctx, id, q.Channel, "checkpoint already settled")
		res.Status = DeliveryLate
		return res, nil
	case errors.Is(err, store.ErrTooManyWrongCodes):
		// The state machine is ending the checkpoint: the code is as late
		// as one after its end.
		s.recordLate(ctx, id, q.Channel, "too many wrong codes already")
		res.Status = DeliveryLate
		return res, nil
	case errors.Is(err, store.ErrQueueFull):
		s.recordLate(ctx, id, q.Channel, "the code queue is full")
		res.Status = DeliveryQueueFull
		return res, nil
	case err != nil:
		return DeliveryResult{}, err
	}
	if a.TaskToken != "" {
		s.wake(ctx, id, a.TaskToken, OutcomeCodeQueued)
	}
	res.Status, res.CodeID = DeliveryAccepted, q.ID
	return res, nil
}

// wake ends the execution's wait with a token the caller took off the
// item. A token that is no longer waiting (the wait timed out meanwhile)
// is not a failure: the execution is already on its way to the queue. Nor
// is a Step Functions failure, once the SDK has retried: the code is
// queued, and the wait's own timeout leads the execution to it.
func (s *Service) wake(ctx context.Context, id, token string, why checkpoint.Outcome) {
	err := s.d.Workflow.Succeed(context.WithoutCancel(ctx), token, TaskResult{Outcome: why})
	switch {
	case err == nil:
	case errors.Is(err, workflow.ErrTaskGone):
		s.d.Log.Info("the wait had already ended", "checkpoint_id", id)
	default:
		s.d.Log.Warn("could not wake the execution; its wait's timeout will", "checkpoint_id", id, "error", err)
	}
}

func (s *Service) recordEvent(ctx context.Context, id string, e store.Event) {
	if err := s.d.Store.RecordEvent(ctx, id, e); err != nil {
		s.d.Log.Warn("record event", "checkpoint_id", id, "kind", e.Kind, "error", err)
	}
}

func (s *Service) recordLate(ctx context.Context, id string, ch checkpoint.Channel, detail string) {
	s.recordEvent(ctx, id, store.Event{At: s.now(), Kind: store.EventLateCode, Channel: ch, Detail: detail})
}

// normaliseCode drops the separators users and extractors put inside a
// code ("123 456", "123-456"). Letters keep their case: the provider
// decides whether case matters in an alphanumeric code.
func normaliseCode(code string) string {
	return strings.NewReplacer(" ", "", "-", "", "\u00a0", "", "\t", "").Replace(strings.TrimSpace(code))
}
