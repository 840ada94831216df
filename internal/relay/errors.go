// Package relay is the core of checkpoint-relay: it registers pending
// checkpoints, accepts codes that arrive by webhook or form into their
// checkpoint's queue (and wakes its execution), runs the state machine's
// tasks, which alone call the provider, and sends the signed callback that
// tells the app how a checkpoint ended.
package relay

import "errors"

// Errors the HTTP handlers map to statuses in one place.
var (
	ErrNotFound         = errors.New("checkpoint not found")
	ErrFormTokenUnknown = errors.New("form link not found")
	ErrFormExpired      = errors.New("form link expired")
	ErrFormLocked       = errors.New("too many wrong codes for this checkpoint")
)
