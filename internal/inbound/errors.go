package inbound

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error a parser returns wraps exactly one of them so
// the HTTP layer maps it to a status in one place (StatusOf).
var (
	// ErrSignature: the signature (or credentials) is missing or wrong.
	ErrSignature = errors.New("invalid signature")
	// ErrStale: the signed timestamp is outside the replay window, or a
	// one-time token was seen before.
	ErrStale = errors.New("stale or replayed request")
	// ErrTopic: a correctly signed SNS message for a topic that is not ours.
	ErrTopic = errors.New("unexpected topic")
	// ErrMalformed: the body cannot be read as the source documents it.
	ErrMalformed = errors.New("malformed request")
	// ErrTooLarge: the body (or the mail it points to) exceeds the limit.
	ErrTooLarge = errors.New("content too large")
	// ErrNotConfigured: the source's secret is not set, so nothing it sends
	// can be trusted.
	ErrNotConfigured = errors.New("source not configured")
	// ErrUpstream: reading something the request points to (SNS signing
	// certificate, S3 object) failed; the sender should retry.
	ErrUpstream = errors.New("upstream read failed")
)

// malformed wraps ErrMalformed with a detail that never quotes the body.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

func badSignature(detail string) error {
	return fmt.Errorf("%w: %s", ErrSignature, detail)
}

func stale(detail string) error {
	return fmt.Errorf("%w: %s", ErrStale, detail)
}
