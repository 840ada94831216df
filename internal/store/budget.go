package store

import (
	"fmt"
	"unicode/utf8"
)

// The checkpoint item's size budget, in one place.
//
// DynamoDB refuses an item over 400 KB, and a checkpoint item that reached
// it would refuse every later write: a code's outcome, the execution's
// ARN, the end. So every value that comes from outside has a maximum
// (relay.Register answers 400 naming the field past it, and Create refuses
// what slipped through before writing anything), and every list that grows
// is bounded. TestCheckpointItemAtEveryMaximumFits writes an item with
// every field and list at its maximum and checks it stays well under the
// limit.
const (
	// MaxItemBytes is DynamoDB's item size limit.
	MaxItemBytes = 400 << 10
	// MaxAccountID bounds the API's account id (bytes).
	MaxAccountID = 256
	// MaxPhone is an E.164 number: "+" and at most 15 digits.
	MaxPhone = 16
	// MaxEmail is RFC 5321's bound on a forward path (bytes).
	MaxEmail = 254
	// MaxCallbackURL is the common practical URL bound (bytes).
	MaxCallbackURL = 2048
	// MaxTOTPSecret bounds the base32 authenticator secret as sent
	// (characters, spaces included): 640 bits, above any authenticator's.
	MaxTOTPSecret = 128
	// MaxSealed bounds one sealed value (a TOTP secret, a code, a form
	// token): a KMS ciphertext blob of MaxTOTPSecret bytes is about 300.
	MaxSealed = 1024
	// MaxEventDetail bounds one history line's detail; AppendEvent clips.
	MaxEventDetail = 512
	// MaxReason bounds a checkpoint's end reason; MarkFinal clips.
	MaxReason = 256
	// MaxStateEvents bounds the history lines written by state changes,
	// which always append (MaxEvents bounds the history-only ones): the
	// state machine's counters bound them (3 wrong codes, 2 resends, 37
	// polls, 3 chained checkpoints, their retries), well below this.
	MaxStateEvents = 200
	// MaxCodeFingerprints bounds code_fps: the wrong codes, TOTP steps and
	// the right code of at most 3 chained checkpoints.
	MaxCodeFingerprints = 64
	// MaxMessageKey bounds a queued code's message id and de-duplication
	// key (longer ones are kept as a hash) and its attribution note.
	MaxMessageKey = 128
)

// checkBudget refuses a checkpoint whose registration values exceed the
// budget, before anything is written.
func (c *Checkpoint) checkBudget() error {
	for _, f := range []struct {
		name  string
		n     int
		limit int
	}{
		{"account_id", len(c.AccountID), MaxAccountID},
		{"phone", len(c.Phone), MaxPhone},
		{"email", len(c.Email), MaxEmail},
		{"callback_url", len(c.CallbackURL), MaxCallbackURL},
		{"totp_secret", len(c.SealedTOTPSecret), MaxSealed},
		{"form_token", len(c.SealedFormToken), MaxSealed},
	} {
		if f.n > f.limit {
			return fmt.Errorf("%w: %s is %d bytes, at most %d", ErrTooLarge, f.name, f.n, f.limit)
		}
	}
	return nil
}

// clipText bounds s to n bytes on a rune boundary.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
