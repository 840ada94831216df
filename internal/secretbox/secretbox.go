// Package secretbox seals the few secrets the relay must keep (TOTP
// secrets, a code whose solve is to be retried, the form token for a
// replayed registration) and fingerprints what it only needs to recognise
// (codes already submitted, form tokens).
//
// A sealed value is bound to a context string (the checkpoint id and the
// field), so it cannot be copied onto another item and opened there.
// Fingerprints are keyed HMAC-SHA256: a plain hash of a 6-digit code is
// reversed by trying the million candidates.
package secretbox

import (
	"context"
	"errors"
)

// Sealer seals, opens and fingerprints.
type Sealer interface {
	// Seal encrypts plaintext bound to context.
	Seal(ctx context.Context, plaintext []byte, context string) ([]byte, error)
	// Open decrypts a sealed value; it fails if the value was sealed with
	// another key or another context, or was altered.
	Open(ctx context.Context, sealed []byte, context string) ([]byte, error)
	// Fingerprint returns the lower-case hex HMAC-SHA256 of value under
	// the fingerprint key. Callers put the purpose and the checkpoint id in
	// value so equal codes of two checkpoints do not share a fingerprint.
	Fingerprint(ctx context.Context, value string) (string, error)
}

// ErrOpen is returned for a sealed value that does not open.
var ErrOpen = errors.New("secretbox: sealed value does not open")

// Format bytes, first in every sealed value, so a value sealed by one
// implementation is refused (not misread) by the other.
const (
	formatLocal byte = 1
	formatKMS   byte = 2
)

// fingerprintInfo derives the fingerprint key from the sealer's root key.
const fingerprintInfo = "checkpoint-relay fingerprint v1"
