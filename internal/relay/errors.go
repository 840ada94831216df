// Package relay is the core of checkpoint-relay: it registers pending
// checkpoints, delivers codes that arrive by webhook or form (claim, solve,
// record, notify the waiting execution), runs the state machine's tasks and
// sends the signed callback that tells the app how a checkpoint ended.
package relay

import "errors"

// Errors the HTTP handlers map to statuses in one place.
var (
	ErrNotFound         = errors.New("checkpoint not found")
	ErrFormTokenUnknown = errors.New("form link not found")
	ErrFormExpired      = errors.New("form link expired")
	ErrFormLocked       = errors.New("too many wrong codes for this checkpoint")
)
