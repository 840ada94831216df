package localstack

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// registrationRoute is the route whose requests the simulator takes for
// new logins.
const registrationRoute = "POST /v1/checkpoints"

// maxLoginPeek bounds how much of a registration is read here; the
// registration handler applies its own bounds to the same bytes.
const maxLoginPeek = 1 << 20

// simulatedLogins tells the simulator of every registration for an
// account it answers for, before the registration runs: an app registers a
// checkpoint just after its login call stopped at one, so on the real API
// the account's checkpoint is a fresh one, the right code is needed again,
// and the TOTP secret the user shared is the one the provider knows.
// Without this a demo account connected once stays connected, and any
// code would "solve" its next checkpoint. A retried registration (an
// Idempotency-Key already answered 201) is the same login, not a new one.
type simulatedLogins struct {
	stack *Stack
	next  http.Handler

	mu       sync.Mutex
	answered map[string]bool // Idempotency-Keys answered 201
}

func (l *simulatedLogins) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	body, err := io.ReadAll(io.LimitReader(r.Body, maxLoginPeek))
	if err != nil {
		body = nil
	}
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	l.mu.Lock()
	replay := key != "" && l.answered[key]
	l.mu.Unlock()
	if !replay && l.authorized(r) {
		var reg struct {
			API        checkpoint.API `json:"api"`
			AccountID  string         `json:"account_id"`
			TOTPSecret string         `json:"totp_secret"`
		}
		if json.Unmarshal(body, &reg) == nil && slices.Contains(l.stack.Simulated, reg.API) && reg.AccountID != "" {
			// A secret the simulator refuses is refused by the
			// registration too; nothing to add here.
			_ = l.stack.Simulator.Login(reg.API, reg.AccountID, reg.TOTPSecret)
		}
	}
	sw := &statusWriter{ResponseWriter: w}
	l.next.ServeHTTP(sw, r)
	if key != "" && sw.status == http.StatusCreated {
		l.mu.Lock()
		l.answered[key] = true
		l.mu.Unlock()
	}
}

// authorized reports whether the request carries the relay API key: a
// request the relay refuses must not change the simulator either.
func (l *simulatedLogins) authorized(r *http.Request) bool {
	want := "Bearer " + l.stack.RelayAPIKey
	return subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) == 1
}

// statusWriter records the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
