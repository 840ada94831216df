package httpapi

import (
	"errors"
	"net/http"

	"github.com/checkpoint-relay/checkpoint-relay/internal/problem"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
)

// relayProblem is the one place the relay's errors become HTTP statuses;
// every handler in the package answers a relay error through it. Errors
// it does not know are 500 with a generic detail: their text may quote
// anything and never reaches the client.
func relayProblem(err error) problem.Details {
	var invalid *relay.ValidationError
	switch {
	case errors.As(err, &invalid):
		d := problem.ErrInvalidParams("the request has invalid fields")
		d.Errors = invalid.Fields
		return d
	case errors.Is(err, relay.ErrNotFound):
		return problem.ErrNotFound("no such checkpoint")
	case errors.Is(err, relay.ErrFormTokenUnknown):
		return problem.ErrNotFound("no such form link")
	case errors.Is(err, relay.ErrFormExpired):
		return problem.New(http.StatusGone, "errors/expired", "this link has expired")
	case errors.Is(err, relay.ErrFormLocked):
		return problem.New(http.StatusTooManyRequests, "errors/too_many_attempts", "too many wrong codes")
	case errors.Is(err, relay.ErrIdempotencyConflict):
		return problem.New(http.StatusConflict, "errors/idempotency_conflict",
			"this Idempotency-Key was already used for a different registration")
	}
	return problem.ErrInternal("the relay could not complete the request")
}
