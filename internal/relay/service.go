package relay

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

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
	NewestForRecipient(ctx context.Context, recipient string) (*store.Checkpoint, error)
	GetByFormToken(ctx context.Context, fp string) (*store.Checkpoint, error)
	MarkMessageSeen(ctx context.Context, source, messageID string, now time.Time) (bool, error)
	ForgetMessage(ctx context.Context, source, messageID string) error
	SetExecution(ctx context.Context, id, arn string, at time.Time) error
	RecordEvent(ctx context.Context, id string, e store.Event) error
	ClaimSolve(ctx context.Context, id string, c store.Claim) (*store.Checkpoint, error)
	ReleaseLease(ctx context.Context, id, owner, unsentFP string) error
	Settle(ctx context.Context, id, owner string, o store.Outcome) (store.Handoff, error)
	StoreTaskToken(ctx context.Context, id, token string) (string, error)
	TakeUndelivered(ctx context.Context, id string) (string, error)
	MarkFinal(ctx context.Context, id string, status checkpoint.Status, reason string, at time.Time) (*store.Checkpoint, error)
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
	// Now defaults to time.Now.
	Now func() time.Time
	// Log defaults to slog.Default(). Nothing secret is ever logged.
	Log *slog.Logger

	// LeaseFor bounds one solve's lease (default 30 s: above a provider
	// call's own 12 s timeout, so a live solve never loses it).
	LeaseFor time.Duration
	// BusyWait is how long a code waits for another code's solve to end
	// before answering DeliveryBusy (default 3 s, so a webhook still answers
	// within its sender's timeout).
	BusyWait time.Duration
	// BusyPoll is the pause between two claims while waiting (default 200 ms).
	BusyPoll time.Duration
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
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.LeaseFor == 0 {
		d.LeaseFor = 30 * time.Second
	}
	if d.BusyWait == 0 {
		d.BusyWait = 3 * time.Second
	}
	if d.BusyPoll == 0 {
		d.BusyPoll = 200 * time.Millisecond
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

func resultJSON(r TaskResult) string {
	b, _ := json.Marshal(r) // TaskResult always encodes
	return string(b)
}

// handOff delivers result to the waiting execution if Settle took a task
// token (or await-code holds its own, for an outcome parked before it); a
// dead token (the task timed out meanwhile) sends the result back to be
// parked for the next await-code or the late solve, or to a newer token.
// owner's lease, which Settle kept while the result was on its way, is
// released once the result is delivered or parked.
func (s *Service) handOff(ctx context.Context, id, owner string, h store.Handoff, result TaskResult) error {
	token := h.TaskToken
	for attempt := 0; token != "" && attempt < 3; attempt++ {
		err := s.d.Workflow.Succeed(ctx, token, result)
		if err == nil {
			s.releaseAfterHandOff(ctx, id, owner)
			return nil
		}
		if !errors.Is(err, workflow.ErrTaskGone) {
			// Step Functions kept failing (the SDK has retried). Park the
			// result rather than lose it: the waiting task times out, and
			// the late solve takes it. Should the call have landed after
			// all, the execution sees the outcome twice, which its bounded
			// counters absorb; a lost outcome would cost a whole wait. If
			// it did land, the execution's next await-code may have stored
			// a token already: the write takes that one, and the result
			// goes to it, as after a dead token.
			s.d.Log.Warn("resume execution failed; outcome parked", "checkpoint_id", id, "error", err)
		}
		next, err := s.d.Store.Settle(ctx, id, owner, store.Outcome{Result: resultJSON(result), StaleToken: token})
		if err != nil {
			return err
		}
		token = next.TaskToken
	}
	if token != "" {
		s.releaseAfterHandOff(ctx, id, owner)
	}
	return nil
}

func (s *Service) releaseAfterHandOff(ctx context.Context, id, owner string) {
	if owner == "" {
		return
	}
	// The result is with the execution: a release that fails only leaves
	// the lease to run out.
	if err := s.d.Store.ReleaseLease(ctx, id, owner, ""); err != nil {
		s.d.Log.Warn("release the lease after a hand-off", "checkpoint_id", id, "error", err)
	}
}
