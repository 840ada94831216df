package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// MaxOtherWays bounds the "try another way" requests of a checkpoint: each
// may chain a checkpoint, and the state machine ends a checkpoint after
// relay.MaxChainedCheckpoints of those (a relay test holds the two equal).
const MaxOtherWays = 3

// ReserveResend takes one resend of the checkpoint's bound before the
// provider is asked for it, in one conditional write: the checkpoint is
// pending, fewer than max resends were reserved, and the last was at least
// gap before now. The form's resends and the state machine's share it, so
// neither a held form link nor the two together can keep a phone receiving
// codes. It returns the previous LastResendAt, for ReleaseResend; on
// failure ErrResendTooSoon, ErrTooManyResends, ErrNotPending or
// ErrNotFound.
func (s *Store) ReserveResend(ctx context.Context, id string, now time.Time, max int, gap time.Duration) (time.Time, error) {
	u := newUpdate().Add("resend_attempts", 1).Set("last_resend_at", now).
		If("%s = %s", attr("status"), checkpoint.StatusPending).
		If("attribute_not_exists(%s) OR %s < %s", attr("resend_attempts"), attr("resend_attempts"), max).
		If("attribute_not_exists(%s) OR %s <= %s", attr("last_resend_at"), attr("last_resend_at"), now.Add(-gap))
	old, err := s.exec(ctx, id, u, types.ReturnValueAllOld)
	if err == nil {
		return old.LastResendAt, nil
	}
	_, err = s.failed(ctx, id, err, func(cp *Checkpoint) error {
		switch {
		case cp.Status != checkpoint.StatusPending:
			return ErrNotPending
		case cp.ResendAttempts >= max:
			return ErrTooManyResends
		}
		return ErrResendTooSoon
	})
	return time.Time{}, err
}

// ReleaseResend gives back a reservation whose resend the provider did not
// make (a transient error, a refusal), so a retry may follow at once:
// LastResendAt returns to prev, the time of the last resend made.
func (s *Store) ReleaseResend(ctx context.Context, id string, prev time.Time) error {
	u := newUpdate().Add("resend_attempts", -1)
	if prev.IsZero() {
		u.Remove("last_resend_at")
	} else {
		u.Set("last_resend_at", prev)
	}
	_, err := s.exec(ctx, id, u, types.ReturnValueNone)
	return err
}
