package relay

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/checkpoint-relay/checkpoint-relay/internal/attribution"
	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// Every webhook message goes through Deliver, the one place package
// attribution's rule is applied: the recipient's pending checkpoints are
// the candidates (all of them: no scan window), the rule picks the one the
// code belongs to and its fallbacks, and every candidate it refuses gets a
// history line saying why (never the code). A code that beat its
// registration is held (early.go); a wrong code is offered on to the next
// candidate, and a sender whose code was right for none is distrusted
// (solve.go).

// Deliver handles one message that arrived by webhook.
func (s *Service) Deliver(ctx context.Context, d Delivery) (DeliveryResult, error) {
	if d.ArrivedAt.IsZero() {
		d.ArrivedAt = s.now()
	}
	cands, err := s.pendingCandidates(ctx, d.Recipients)
	if err != nil {
		return DeliveryResult{}, err
	}
	sender, err := s.senderFingerprint(ctx, d.Source, d.Sender)
	if err != nil {
		return DeliveryResult{}, err
	}
	msg := messageOf(d, sender)
	dec := attribution.Decide(msg, candidatesOf(cands), attribution.Options{EarlyWindow: s.d.EarlyWindow})
	s.recordRefusals(ctx, d.Channel, dec.Refused)
	switch {
	case dec.Target != "" && d.Code == "":
		s.recordEvent(ctx, dec.Target, store.Event{At: s.now(), Kind: store.EventNoCode, Channel: d.Channel, Detail: d.NoCodeReason})
		return DeliveryResult{Status: DeliveryNoCode, CheckpointID: dec.Target}, nil
	case dec.Target != "":
		return s.acceptFor(ctx, dec.Target, d.Code, CodeMeta{Channel: d.Channel, Source: d.Source, MessageID: d.MessageID,
			Attribution: AttributedByRecipient}, sender, dec.Fallbacks, nil)
	}
	latest, recipient, err := s.latestCheckpoint(ctx, d.Recipients)
	if err != nil {
		return DeliveryResult{}, err
	}
	switch {
	case latest == nil:
		s.d.Log.InfoContext(ctx, "delivery for an unknown recipient", "source", d.Source, "channel", d.Channel, "recipients", len(d.Recipients))
		return DeliveryResult{Status: DeliveryUnknownRecipient}, nil
	case latest.SawMessage(d.Source, d.MessageID):
		// The sender's retry of a message whose code was accepted.
		return DeliveryResult{Status: DeliveryDuplicate, CheckpointID: latest.ID}, nil
	case dec.Hold && d.Code != "":
		if latest.Status != checkpoint.StatusPending {
			s.recordLate(ctx, latest.ID, d.Channel, "checkpoint already settled; held for a new registration")
		}
		return s.holdEarly(ctx, recipient, d, msg)
	case len(dec.Refused) > 0:
		return DeliveryResult{Status: DeliveryIgnored, CheckpointID: dec.Refused[0].CheckpointID}, nil
	}
	detail := "checkpoint already settled"
	if d.Code == "" {
		detail += "; no code"
	}
	s.recordLate(ctx, latest.ID, d.Channel, detail)
	return DeliveryResult{Status: DeliveryLate, CheckpointID: latest.ID}, nil
}

// acceptFor seals code for checkpoint id and accepts it there, with the
// candidates to offer it to should it be wrong.
func (s *Service) acceptFor(ctx context.Context, id, code string, m CodeMeta, sender string, fallbacks, wrongOn []string) (DeliveryResult, error) {
	q, err := s.SealCode(ctx, id, code, m)
	if err != nil {
		return DeliveryResult{}, err
	}
	if len(fallbacks) > MaxFallbacks {
		fallbacks = fallbacks[:MaxFallbacks]
	}
	q.Sender, q.Fallbacks, q.WrongOn = sender, fallbacks, wrongOn
	return s.Accept(ctx, id, q)
}

// pendingCandidates are the pending checkpoints of any of the recipients,
// once each.
func (s *Service) pendingCandidates(ctx context.Context, recipients []string) ([]*store.Checkpoint, error) {
	var out []*store.Checkpoint
	seen := map[string]bool{}
	for _, r := range recipients {
		cps, err := s.d.Store.PendingForRecipient(ctx, r)
		if err != nil {
			return nil, err
		}
		for _, cp := range cps {
			if !seen[cp.ID] && cp.FinalOutcome == "" {
				seen[cp.ID] = true
				out = append(out, cp)
			}
		}
	}
	return out, nil
}

// latestCheckpoint is the newest checkpoint of the first recipient the
// relay knows, and that recipient; nil when it knows none.
func (s *Service) latestCheckpoint(ctx context.Context, recipients []string) (*store.Checkpoint, string, error) {
	for _, r := range recipients {
		cp, err := s.d.Store.LatestForRecipient(ctx, r)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		return cp, r, nil
	}
	return nil, "", nil
}

func candidatesOf(cps []*store.Checkpoint) []attribution.Candidate {
	out := make([]attribution.Candidate, 0, len(cps))
	for _, cp := range cps {
		out = append(out, attribution.Candidate{ID: cp.ID, Provider: cp.Provider, AcceptAnySender: cp.AcceptAnySender,
			RequestedAt: cp.RequestedAt(), Untrusted: cp.UntrustedSenders})
	}
	return out
}

func messageOf(d Delivery, sender string) attribution.Message {
	return attribution.Message{Channel: d.Channel, Service: d.Service, Sender: sender, SentAt: d.SentAt,
		ArrivedAt: d.ArrivedAt, AuthenticatedAs: d.AuthenticatedAs, AuthDetail: d.AuthDetail}
}

// senderFingerprint keys a sender for the untrusted-sender rule without
// keeping who it is: a keyed fingerprint of the normalised sender, or of
// the source when the source does not say who sent the message.
func (s *Service) senderFingerprint(ctx context.Context, source, sender string) (string, error) {
	key := "sender:" + strings.ToLower(strings.TrimSpace(sender))
	if strings.TrimSpace(sender) == "" {
		key = "sender-unknown:" + source
	}
	fp, err := s.d.Sealer.Fingerprint(ctx, key)
	if err != nil {
		return "", fmt.Errorf("relay: sender fingerprint: %w", err)
	}
	return fp, nil
}

// recordRefusals writes each refusal in its checkpoint's history and a
// log line with its reason (the webhook counts the message itself, by its
// status, in the CodesRefused metric).
func (s *Service) recordRefusals(ctx context.Context, ch checkpoint.Channel, refused []attribution.Refusal) {
	for _, r := range refused {
		detail := string(r.Reason)
		if r.Detail != "" {
			detail += ": " + r.Detail
		}
		s.recordEvent(ctx, r.CheckpointID, store.Event{At: s.now(), Kind: store.EventAttribution, Channel: ch, Detail: detail})
		s.d.Log.InfoContext(ctx, "code not attributed", "checkpoint_id", r.CheckpointID, "channel", ch, "reason", string(r.Reason))
	}
}

// MaxFallbacks bounds the candidates a code is offered on to, so a queue
// entry stays small however many checkpoints share a recipient.
const MaxFallbacks = 5

// offerOn handles a code that was wrong on checkpoint id: it is offered to
// the next of its fallbacks that takes it (the same provider's other
// pending checkpoints of its recipient, each at most once); when none
// does, its sender's code was right for no candidate, and the sender is
// distrusted on every checkpoint the code was wrong on, until their next
// code request.
func (s *Service) offerOn(ctx context.Context, id string, head *store.QueuedCode, code string) {
	ctx = context.WithoutCancel(ctx)
	wrongOn := append(append([]string(nil), head.WrongOn...), id)
	for i, next := range head.Fallbacks {
		res, err := s.acceptFor(ctx, next, code, CodeMeta{Channel: head.Channel, Source: head.Source,
			MessageID: head.MessageID, Attribution: "fallback"}, head.Sender, head.Fallbacks[i+1:], wrongOn)
		if err != nil {
			s.d.Log.WarnContext(ctx, "offer a wrong code to the next candidate", "checkpoint_id", next, "error", err)
			continue
		}
		if res.Status == DeliveryAccepted {
			s.recordEvent(ctx, id, store.Event{At: s.now(), Kind: store.EventAttribution, Channel: head.Channel,
				Detail: "wrong here; offered to the next candidate " + next})
			return
		}
	}
	if head.Sender == "" {
		return
	}
	for _, cp := range wrongOn {
		ev := store.Event{At: s.now(), Kind: store.EventAttribution, Channel: head.Channel,
			Detail: string(attribution.ReasonUntrusted) + ": its code was wrong here and right for no other candidate"}
		if err := s.d.Store.DistrustSender(ctx, cp, head.Sender, ev); err != nil {
			s.d.Log.WarnContext(ctx, "distrust a sender", "checkpoint_id", cp, "error", err)
		}
	}
}

// skipUntrusted answers, without submitting them, the queued codes at the
// head of cp's queue whose sender is untrusted there (their sender's code
// was wrong since the last code request, including codes queued before
// that was known). It returns the checkpoint as it then stands.
func (s *Service) skipUntrusted(ctx context.Context, cp *store.Checkpoint) (*store.Checkpoint, error) {
	for {
		head, i := cp.Head()
		if head == nil || head.State != store.CodeQueued || head.Sender == "" || !contains(cp.UntrustedSenders, head.Sender) {
			return cp, nil
		}
		next, err := s.d.Store.SkipHead(ctx, cp.ID, i, head.Claims, string(attribution.ReasonUntrusted), store.Event{
			At: s.now(), Kind: store.EventAttribution, Channel: head.Channel,
			Detail: string(attribution.ReasonUntrusted) + ": recorded, not submitted"})
		if err != nil {
			return nil, err
		}
		s.d.Log.InfoContext(ctx, "code not attributed", "checkpoint_id", cp.ID, "channel", head.Channel,
			"reason", string(attribution.ReasonUntrusted))
		cp = next
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// passOnQueued offers the codes still queued on a checkpoint that has just
// ended to their fallbacks: on a number shared by two accounts, the other
// account's code may have reached this queue first.
func (s *Service) passOnQueued(ctx context.Context, cp *store.Checkpoint) {
	if cp == nil {
		return
	}
	for _, q := range cp.Queue[min(max(cp.QueueHead, 0), len(cp.Queue)):] {
		if q.State != store.CodeQueued || len(q.Fallbacks) == 0 {
			continue
		}
		code, err := s.d.Sealer.Open(ctx, q.Sealed, store.QueuedCodeContext(cp.ID))
		if err != nil {
			s.d.Log.WarnContext(ctx, "open a queued code to pass it on", "checkpoint_id", cp.ID, "error", err)
			continue
		}
		for i, next := range q.Fallbacks {
			res, err := s.acceptFor(ctx, next, string(code), CodeMeta{Channel: q.Channel, Source: q.Source,
				MessageID: q.MessageID, Attribution: "fallback"}, q.Sender, q.Fallbacks[i+1:], q.WrongOn)
			if err == nil && res.Status == DeliveryAccepted {
				s.recordEvent(ctx, cp.ID, store.Event{At: s.now(), Kind: store.EventAttribution, Channel: q.Channel,
					Detail: "still queued at the end; offered to the next candidate " + next})
				break
			}
		}
	}
}
