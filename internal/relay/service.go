package relay

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/attribution"
	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
	"github.com/checkpoint-relay/checkpoint-relay/internal/secretbox"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
	"github.com/checkpoint-relay/checkpoint-relay/internal/workflow"
)

// Store is the part of store.Store the relay uses.
type Store interface {
	Create(ctx context.Context, cp *store.Checkpoint) error
	PutPointers(ctx context.Context, cp *store.Checkpoint) error
	SwapAccountPointer(ctx context.Context, api checkpoint.API, accountID, id string, expires time.Time) (string, error)
	Get(ctx context.Context, id string) (*store.Checkpoint, error)
	PendingForRecipient(ctx context.Context, recipient string) ([]*store.Checkpoint, error)
	LatestForRecipient(ctx context.Context, recipient string) (*store.Checkpoint, error)
	HoldEarlyCode(ctx context.Context, e store.EarlyCode, keepFor time.Duration) error
	EarlyCodes(ctx context.Context, recipient string, since time.Time) ([]store.EarlyCode, error)
	TakeEarlyCode(ctx context.Context, e store.EarlyCode) (bool, error)
	DistrustSender(ctx context.Context, id, senderFP string, e store.Event) error
	SkipHead(ctx context.Context, id string, i, claims int, reason string, e store.Event) (*store.Checkpoint, error)
	GetByFormToken(ctx context.Context, fp string) (*store.Checkpoint, error)
	SetExecution(ctx context.Context, id, arn string, at time.Time) error
	RecordEvent(ctx context.Context, id string, e store.Event) error
	Record(ctx context.Context, id string, o store.Outcome) (*store.Checkpoint, error)
	UseCode(ctx context.Context, id, fp string, step int64) error
	Accept(ctx context.Context, id string, q store.QueuedCode, maxWrongCodes int) (store.Accepted, *store.Checkpoint, error)
	StoreTaskToken(ctx context.Context, id, token string) (bool, error)
	TakeTaskToken(ctx context.Context, id string) (string, error)
	ClaimHead(ctx context.Context, id string, i, claims int, resubmit bool, now time.Time) (*store.Checkpoint, error)
	AnswerHead(ctx context.Context, id string, i, claims int, a store.Answer, o store.Outcome) (*store.Checkpoint, error)
	RequeueHead(ctx context.Context, id string, i, claims int, e store.Event) error
	MarkFinal(ctx context.Context, id string, status checkpoint.Status, reason string, at time.Time) (*store.Checkpoint, error)
	ReserveResend(ctx context.Context, id string, now time.Time, max int, gap time.Duration) (time.Time, error)
	ReleaseResend(ctx context.Context, id string, prev time.Time) error
}

var _ Store = (*store.Store)(nil)

// Deps are the Service's collaborators and settings.
type Deps struct {
	Store    Store
	Workflow workflow.Workflow
	// Providers holds a client per configured API; registering for an API
	// without one is refused.
	Providers map[checkpoint.API]providerapi.Client
	Sealer    secretbox.Sealer
	// PublicURL is the relay's public base URL; form links are
	// PublicURL + "/c/" + token.
	PublicURL string
	// CallbackSecret signs the app callbacks (X-Relay-Signature).
	CallbackSecret []byte
	// AllowLoopbackCallbacks accepts callback URLs to loopback, plain http
	// included, for the local stack and its demos; in AWS a callback goes
	// over https to a public address only.
	AllowLoopbackCallbacks bool
	// TimeScale is the local stack's time scale (RELAY_TIME_SCALE): a
	// checkpoint lives expires_in times it, so its expires_at and the form
	// show the lifetime the scaled state machine really gives it. Zero
	// means 1, as in AWS.
	TimeScale float64
	// Now defaults to time.Now.
	Now func() time.Time
	// Log defaults to slog.Default(). Nothing secret is ever logged.
	Log *slog.Logger

	// FormWait bounds how long the form waits for the answer to a code it
	// submitted before it shows "Checking your code…" (default 10 s: well
	// inside API Gateway's 30 s and the form function's timeout).
	FormWait time.Duration
	// EarlyWindow is how long a code may precede the code request it
	// answers (attribution.DefaultEarlyWindow when zero): a code that beat
	// its registration is kept sealed that long.
	EarlyWindow time.Duration
	// FormPoll is the pause between two reads while the form waits
	// (default 250 ms).
	FormPoll time.Duration
}

// Service is the relay core.
type Service struct {
	d Deps
	// callbacks posts the callbacks (NewCallbackClient).
	callbacks *http.Client
}

var (
	_ Deliverer   = (*Service)(nil)
	_ FormService = (*Service)(nil)
)

// New checks deps and fills defaults.
func New(d Deps) (*Service, error) {
	switch {
	case d.Store == nil:
		return nil, errors.New("relay: no store")
	case d.Sealer == nil:
		return nil, errors.New("relay: no sealer")
	case d.Workflow == nil:
		return nil, errors.New("relay: no workflow")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.TimeScale <= 0 || d.TimeScale > 1 {
		d.TimeScale = 1
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.EarlyWindow <= 0 {
		d.EarlyWindow = attribution.DefaultEarlyWindow
	}
	if d.FormWait == 0 {
		d.FormWait = 10 * time.Second
	}
	if d.FormPoll == 0 {
		d.FormPoll = 250 * time.Millisecond
	}
	d.PublicURL = strings.TrimRight(d.PublicURL, "/")
	return &Service{d: d, callbacks: NewCallbackClient(d.AllowLoopbackCallbacks)}, nil
}

func (s *Service) now() time.Time { return s.d.Now().UTC() }

func (s *Service) client(api checkpoint.API) (providerapi.Client, error) {
	c, ok := s.d.Providers[api]
	if !ok || c == nil {
		return nil, fmt.Errorf("relay: no client configured for api %s", api)
	}
	return c, nil
}

// randomString returns n random bytes as lower-case unpadded base32.
func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// codeFingerprint keys a code to its checkpoint: the same code on two
// checkpoints has two fingerprints.
func (s *Service) codeFingerprint(ctx context.Context, id, code string) (string, error) {
	return s.d.Sealer.Fingerprint(ctx, "code:"+id+":"+code)
}

func (s *Service) formFingerprint(ctx context.Context, token string) (string, error) {
	return s.d.Sealer.Fingerprint(ctx, "form:"+token)
}
