// Package providerapi calls the checkpoint endpoints of the three unified
// APIs (postpress, linkup, edges) and reduces every answer to one
// checkpoint.Outcome.
//
// Clients never retry on their own: a retry belongs to the state machine, so
// a code is never submitted twice by accident.
package providerapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// SolveRequest asks an API to solve a checkpoint. An empty Code polls an
// in-app validation (edges, linkup app_challenge); postpress refuses that.
type SolveRequest struct {
	AccountID string
	Provider  checkpoint.Provider
	// Type is the checkpoint type as registered; linkup uses it to know
	// whether a code is expected (code_challenge) or not (app_challenge).
	Type checkpoint.Type
	Code string
}

// ResendRequest asks an API to resend the checkpoint notification.
type ResendRequest struct {
	AccountID string
	Provider  checkpoint.Provider
}

// NextCheckpoint is a chained checkpoint the API answered with.
type NextCheckpoint struct {
	Type     checkpoint.Type `json:"type"`
	Platform string          `json:"platform,omitempty"`
}

// Result is one API answer reduced to the relay's vocabulary. Its JSON form
// is what the operator CLI prints and what the state machine carries.
type Result struct {
	Outcome         checkpoint.Outcome `json:"outcome"`
	HTTPStatus      int                `json:"http_status,omitempty"`
	ErrorType       string             `json:"error_type,omitempty"`
	Detail          string             `json:"detail,omitempty"`
	AccountID       string             `json:"account_id,omitempty"`
	NextCheckpoint  *NextCheckpoint    `json:"next_checkpoint,omitempty"`
	CreditsConsumed *int               `json:"credits_consumed,omitempty"`
}

// Client is one API's checkpoint endpoints.
type Client interface {
	// API names the API this client calls.
	API() checkpoint.API
	// Solve submits a code (or polls, with an empty code). Transport
	// failures are a Result with Outcome Retry, not an error; an error means
	// the request was refused before anything was sent (ErrUnsupported, or
	// invalid input).
	Solve(ctx context.Context, req SolveRequest) (Result, error)
	// Resend asks for the checkpoint notification again; the same error
	// rules as Solve.
	Resend(ctx context.Context, req ResendRequest) (Result, error)
}

// ErrUnsupported is returned, before any request is made, for a call the API
// does not offer (postpress resend for TWITTER, postpress polling, resend on
// linkup or edges).
var ErrUnsupported = errors.New("not supported by this API")

// Config configures one client.
type Config struct {
	// BaseURL is the API's root, e.g. https://api.postpress.ai.
	BaseURL string
	// APIKey is sent in the API's key header. It is never logged.
	APIKey string
	// HTTPClient defaults to a client with Timeout.
	HTTPClient *http.Client
	// Timeout bounds each call when the context has no earlier deadline.
	// Defaults to DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout is the per-call deadline when none is configured: long
// enough for a provider that is slow to log in, short enough that a webhook
// still answers inside the SMS provider's own timeout (Twilio: 15 s).
const DefaultTimeout = 12 * time.Second

// MaxResponseBytes bounds every response body read from an API.
const MaxResponseBytes = 256 << 10
