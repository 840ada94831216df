package relay

import (
	"context"
	"fmt"

	"github.com/checkpoint-relay/checkpoint-relay/internal/attribution"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// Providers send the code the instant the login call returns, often before
// the app registers the checkpoint. Such a code is held: sealed for the
// early window, only for a recipient the relay knows from an earlier
// checkpoint (an unknown address stores nothing). A registration for that
// recipient then decides each held code again under the attribution rule,
// in arrival order. Holding and registering each look again after their
// own write, so a code and a registration that cross are never both
// missed.

// AttributedEarly marks a code taken from the held early codes.
const AttributedEarly = "early_code"

// holdEarly keeps d's code for recipient.
func (s *Service) holdEarly(ctx context.Context, recipient string, d Delivery, msg attribution.Message) (DeliveryResult, error) {
	key := d.Source + "#" + d.MessageID
	if d.MessageID == "" {
		key = d.Source + "#" + randomString(10)
	}
	e := store.EarlyCode{Recipient: recipient, ArrivedAt: d.ArrivedAt, Key: key, Channel: d.Channel, Source: d.Source,
		MessageID: d.MessageID, Sender: msg.Sender, Service: d.Service, SentAt: d.SentAt,
		AuthenticatedAs: d.AuthenticatedAs, AuthDetail: d.AuthDetail}
	sealed, err := s.d.Sealer.Seal(ctx, []byte(normaliseCode(d.Code)), store.EarlyCodeContext(recipient, key))
	if err != nil {
		return DeliveryResult{}, fmt.Errorf("relay: seal early code: %w", err)
	}
	e.SealedCode = sealed
	if err := s.d.Store.HoldEarlyCode(ctx, e, s.d.EarlyWindow); err != nil {
		return DeliveryResult{}, err
	}
	s.d.Log.InfoContext(ctx, "code held until its registration", "source", d.Source, "channel", d.Channel)
	// A registration that wrote its pointers after this message looked
	// for candidates has looked for early codes before this one was held.
	if err := s.takeEarlyCodes(ctx, recipient); err != nil {
		s.d.Log.WarnContext(ctx, "early codes after holding one", "error", err)
	}
	return DeliveryResult{Status: DeliveryHeld}, nil
}

// takeEarlyCodes offers the recipient's held codes, oldest first, to its
// pending checkpoints under the attribution rule; each code is taken
// (removed) by exactly one caller before it is accepted.
func (s *Service) takeEarlyCodes(ctx context.Context, recipient string) error {
	held, err := s.d.Store.EarlyCodes(ctx, recipient, s.now().Add(-s.d.EarlyWindow))
	if err != nil || len(held) == 0 {
		return err
	}
	cands, err := s.pendingCandidates(ctx, []string{recipient})
	if err != nil {
		return err
	}
	for _, e := range held {
		m := attribution.Message{Channel: e.Channel, Service: e.Service, Sender: e.Sender, SentAt: e.SentAt,
			ArrivedAt: e.ArrivedAt, AuthenticatedAs: e.AuthenticatedAs, AuthDetail: e.AuthDetail}
		dec := attribution.Decide(m, candidatesOf(cands), attribution.Options{EarlyWindow: s.d.EarlyWindow})
		if dec.Target == "" {
			continue // not this recipient's checkpoints' (yet): it waits out its window
		}
		took, err := s.d.Store.TakeEarlyCode(ctx, e)
		if err != nil {
			return err
		}
		if !took {
			continue
		}
		code, err := s.d.Sealer.Open(ctx, e.SealedCode, store.EarlyCodeContext(e.Recipient, e.Key))
		if err != nil {
			return fmt.Errorf("relay: open early code: %w", err)
		}
		s.recordRefusals(ctx, e.Channel, dec.Refused)
		res, err := s.acceptFor(ctx, dec.Target, string(code), CodeMeta{Channel: e.Channel, Source: e.Source,
			MessageID: e.MessageID, Attribution: AttributedEarly}, e.Sender, dec.Fallbacks, nil)
		if err != nil {
			return err
		}
		s.d.Log.InfoContext(ctx, "early code taken", "checkpoint_id", dec.Target, "status", string(res.Status))
	}
	return nil
}

// takeEarlyCodesFor runs takeEarlyCodes for a new checkpoint's
// recipients; a failure leaves the codes held and the registration
// standing.
func (s *Service) takeEarlyCodesFor(ctx context.Context, cp *store.Checkpoint) {
	for _, r := range []string{cp.Phone, cp.Email} {
		if r == "" {
			continue
		}
		if err := s.takeEarlyCodes(ctx, r); err != nil {
			s.d.Log.WarnContext(ctx, "early codes at registration", "checkpoint_id", cp.ID, "error", err)
		}
	}
}
