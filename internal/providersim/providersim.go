// Package providersim is an in-process simulator of the three checkpoint
// APIs the relay calls (postpress, linkup, edges), for demos and end-to-end
// tests. One http.Handler serves every API's routes, answering in the
// documented shapes, and a control API programs each account's behaviour:
// its right code, a chain of checkpoints, an in-app approval after some
// polls, an intent that expires, wrong codes that kill the intent, outages.
//
// An account nobody programmed behaves by the defaults (see Account), so a
// demo works without setup: the right code is DefaultCode ("123456") and an
// in-app validation is approved on the DefaultApproveAfterPolls-th poll.
//
// The simulator never stores a code in clear: it keeps a SHA-256 of the
// right code and counts the codes it received.
package providersim

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// DefaultCode is the right code of every account not programmed otherwise.
const DefaultCode = "123456"

// DefaultAPIKey is the key an API accepts when Config.Keys names none.
const DefaultAPIKey = "sim-key"

// DefaultApproveAfterPolls is the poll that approves an in-app validation
// when an account does not say otherwise: the first polls answer pending.
const DefaultApproveAfterPolls = 3

// MaxSolveDelayMS bounds Account.SolveDelayMS: five minutes, longer than
// any provider deadline of the relay (100 s), so a provider that answers
// too late can be simulated.
const MaxSolveDelayMS = 300000

// maxRequestBytes bounds request bodies: a checkpoint call is a few fields.
const maxRequestBytes = 64 << 10

// Config configures a Simulator.
type Config struct {
	// Keys is the API key each API accepts; an API missing here accepts
	// DefaultAPIKey.
	Keys map[checkpoint.API]string
	// Now is the clock of intent expiry; defaults to time.Now.
	Now func() time.Time
	// TimeScale multiplies every account's ExpireAfterSeconds, so a local
	// stack running its timeline 100 times faster (0.01) expires intents as
	// much sooner. Defaults to 1.
	TimeScale float64
}

// Account programs one account's behaviour. The zero values are the
// defaults, so {"api":"edges","account_id":"x"} is a default account.
type Account struct {
	API       checkpoint.API `json:"api"`
	AccountID string         `json:"account_id"`
	// Code is the right code (default DefaultCode). For a PHONE_REGISTER on
	// postpress, give the form the API expects, e.g. "(+33)0612345678".
	Code string `json:"code,omitempty"`
	// Type is the checkpoint the account starts at (default: 2FA; it only
	// shows in Stats, and TRY_ANOTHER_WAY switches it).
	Type checkpoint.Type `json:"type,omitempty"`
	// Chain lists the checkpoints answered after each right code, in order,
	// before the account connects: ["OTP"] makes the first right code
	// answer a chained OTP checkpoint and the second connect. postpress
	// answers object Checkpoint; linkup answers status checkpoint_required;
	// edges documents no chained answer and ignores Chain.
	Chain []checkpoint.Type `json:"chain,omitempty"`
	// ApproveAfterPolls is the poll (a call without a code, edges and
	// linkup) that finds the in-app validation approved; 0 means
	// DefaultApproveAfterPolls, negative means never (until Approve).
	ApproveAfterPolls int `json:"approve_after_polls,omitempty"`
	// ExpireAfterSeconds kills the intent that long after the account was
	// programmed (or first called); 0 never expires.
	ExpireAfterSeconds float64 `json:"expire_after_seconds,omitempty"`
	// KillAfterWrongCodes kills the intent at that many wrong codes, as
	// LinkedIn does; 0 never.
	KillAfterWrongCodes int `json:"kill_after_wrong_codes,omitempty"`
	// OutageNext answers the next N calls with the API's transient error:
	// postpress 503 errors/service_unavailable, linkup 503, edges 424
	// LK_ERROR.
	OutageNext int `json:"outage_next,omitempty"`
	// ResendUnacknowledged makes postpress resends answer success:false.
	ResendUnacknowledged bool `json:"resend_unacknowledged,omitempty"`
	// SolveDelayMS answers every solve call that many milliseconds after
	// the account took it into account, multiplied by the TimeScale as
	// ExpireAfterSeconds is: the account connects at once, its answer
	// comes late, as a slow provider's does. At most MaxSolveDelayMS.
	SolveDelayMS int `json:"solve_delay_ms,omitempty"`
	// SingleUseIntent makes a code sent after the account connected (by a
	// caller that gave up waiting for the answer and sent it again) answer
	// as a dead intent, as an API whose intent a solve uses up does; a
	// poll still answers connected. Without it a connected account answers
	// connected to anything.
	SingleUseIntent bool `json:"single_use_intent,omitempty"`
	// TOTPSecret (base32, as authenticator apps take it) makes the right
	// code the current authenticator code instead of Code: 6 digits, 30 s,
	// SHA-1, one step of skew either way, as LinkedIn accepts.
	TOTPSecret string `json:"totp_secret,omitempty"`
}

// defaultAccount is how an account nobody programmed behaves.
var defaultAccount = Account{Code: DefaultCode, Type: checkpoint.Type2FA, ApproveAfterPolls: DefaultApproveAfterPolls}

// State is where a simulated account's intent stands.
type State string

const (
	StatePending   State = "pending"
	StateConnected State = "connected"
	// StateExpired: the intent outlived ExpireAfterSeconds.
	StateExpired State = "expired"
	// StateKilled: too many wrong codes killed the intent.
	StateKilled State = "killed"
)

// Stats counts what one account was sent. Codes are counted, never kept.
type Stats struct {
	API       checkpoint.API `json:"api"`
	AccountID string         `json:"account_id"`
	State     State          `json:"state"`
	// Checkpoint is the account's current checkpoint type.
	Checkpoint checkpoint.Type `json:"checkpoint"`
	// SolveCalls counts every authenticated call to the solve endpoint,
	// polls and outages included.
	SolveCalls    int `json:"solve_calls"`
	ResendCalls   int `json:"resend_calls"`
	Polls         int `json:"polls"`
	CodesReceived int `json:"codes_received"`
	WrongCodes    int `json:"wrong_codes"`
	OutagesServed int `json:"outages_served"`
	// CreditsConsumed counts linkup calls: each one costs a credit.
	CreditsConsumed int `json:"credits_consumed,omitempty"`
	// AuthFailures counts calls refused for a missing or wrong API key.
	AuthFailures int `json:"auth_failures,omitempty"`
}

// account is an Account's live state.
type account struct {
	spec     Account
	codeHash [sha256.Size]byte
	totp     string
	started  time.Time
	chainPos int
	approved bool
	stats    Stats
}

// Simulator serves the three APIs. It is safe for concurrent use.
type Simulator struct {
	keys      map[checkpoint.API]string
	now       func() time.Time
	timeScale float64
	mux       *http.ServeMux

	mu       sync.Mutex
	accounts map[string]*account
}

var _ http.Handler = (*Simulator)(nil)

// New returns a Simulator with no programmed accounts.
func New(cfg Config) *Simulator {
	s := &Simulator{
		keys:      map[checkpoint.API]string{},
		now:       cfg.Now,
		timeScale: cfg.TimeScale,
		accounts:  map[string]*account{},
	}
	for _, api := range checkpoint.APIs {
		s.keys[api] = DefaultAPIKey
		if k := cfg.Keys[api]; k != "" {
			s.keys[api] = k
		}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.timeScale <= 0 {
		s.timeScale = 1
	}
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// SetAccount programs an account, starting a fresh intent: counters, chain
// position and approval are reset.
func (s *Simulator) SetAccount(a Account) error {
	if !a.API.Valid() {
		return fmt.Errorf("unknown api %q", a.API)
	}
	if a.AccountID == "" {
		return errors.New("account_id is required")
	}
	if a.OutageNext < 0 || a.KillAfterWrongCodes < 0 || a.ExpireAfterSeconds < 0 || a.SolveDelayMS < 0 {
		return errors.New("outage_next, kill_after_wrong_codes, expire_after_seconds and solve_delay_ms must not be negative")
	}
	if a.SolveDelayMS > MaxSolveDelayMS {
		return fmt.Errorf("solve_delay_ms must be at most %d", MaxSolveDelayMS)
	}
	if a.TOTPSecret != "" {
		if _, err := totp.GenerateCode(a.TOTPSecret, time.Now()); err != nil {
			return fmt.Errorf("totp_secret is not a base32 secret: %w", err)
		}
	}
	for _, t := range a.Chain {
		if t == "" {
			return errors.New("chain holds an empty checkpoint type")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[accountKey(a.API, a.AccountID)] = s.newAccount(a)
	return nil
}

// Login starts a new login of the account, as an app's call that stopped
// at a checkpoint does on the real API: the intent starts again (pending,
// counters, chain position, approval and expiry reset), so the right code
// is needed again, while what was programmed (code, chain, outages,
// delays) stays. A non-empty totpSecret becomes the account's
// authenticator secret: the user shared with the app the secret the
// provider knows. The local stack calls it for every registration.
func (s *Simulator) Login(api checkpoint.API, accountID, totpSecret string) error {
	if !api.Valid() {
		return fmt.Errorf("unknown api %q", api)
	}
	if accountID == "" {
		return errors.New("account_id is required")
	}
	if totpSecret != "" {
		if _, err := totp.GenerateCode(totpSecret, time.Now()); err != nil {
			return fmt.Errorf("totp_secret is not a base32 secret: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := accountKey(api, accountID)
	spec := defaultAccount
	spec.API, spec.AccountID = api, accountID
	acc := s.newAccount(spec)
	if old, ok := s.accounts[key]; ok {
		acc.spec, acc.codeHash, acc.totp = old.spec, old.codeHash, old.totp
		acc.stats.Checkpoint = old.spec.Type
	}
	if totpSecret != "" {
		acc.totp = totpSecret
	}
	s.accounts[key] = acc
	return nil
}

// Reset forgets every account, programmed or not.
func (s *Simulator) Reset() {
	s.mu.Lock()
	s.accounts = map[string]*account{}
	s.mu.Unlock()
}

// Approve marks an in-app validation approved: the next poll connects.
func (s *Simulator) Approve(api checkpoint.API, accountID string) (Stats, error) {
	if !api.Valid() || accountID == "" {
		return Stats{}, errors.New("unknown account")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	acc := s.lookup(api, accountID)
	acc.approved = true
	return acc.stats, nil
}

// Stats returns what an account was sent, and whether the simulator knows
// the account (programmed, or called at least once).
func (s *Simulator) Stats(api checkpoint.API, accountID string) (Stats, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acc, ok := s.accounts[accountKey(api, accountID)]
	if !ok {
		return Stats{}, false
	}
	s.refresh(acc)
	return acc.stats, true
}

// AllStats returns every known account's Stats, ordered by API then id.
func (s *Simulator) AllStats() []Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Stats, 0, len(s.accounts))
	for _, acc := range s.accounts {
		s.refresh(acc)
		out = append(out, acc.stats)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].API != out[j].API {
			return out[i].API < out[j].API
		}
		return out[i].AccountID < out[j].AccountID
	})
	return out
}

func accountKey(api checkpoint.API, id string) string { return string(api) + "\x00" + id }

// newAccount fills the defaults of a and starts its intent now.
func (s *Simulator) newAccount(a Account) *account {
	if a.Code == "" {
		a.Code = DefaultCode
	}
	if a.Type == "" {
		a.Type = defaultAccount.Type
	}
	if a.ApproveAfterPolls == 0 {
		a.ApproveAfterPolls = DefaultApproveAfterPolls
	}
	a.Chain = append([]checkpoint.Type(nil), a.Chain...)
	if a.API == checkpoint.APIEdges {
		a.Chain = nil // edges documents no chained answer
	}
	acc := &account{
		spec:     a,
		codeHash: sha256.Sum256([]byte(a.Code)),
		started:  s.now(),
		stats:    Stats{API: a.API, AccountID: a.AccountID, State: StatePending, Checkpoint: a.Type},
	}
	// Only the hash is kept; the TOTP secret moves out of the spec so that
	// nothing that copies the spec carries it.
	acc.spec.Code = ""
	acc.totp, acc.spec.TOTPSecret = a.TOTPSecret, ""
	return acc
}

// lookup returns the account, creating a default one on first use. The
// caller holds s.mu.
func (s *Simulator) lookup(api checkpoint.API, id string) *account {
	key := accountKey(api, id)
	acc, ok := s.accounts[key]
	if !ok {
		d := defaultAccount
		d.API, d.AccountID = api, id
		acc = s.newAccount(d)
		s.accounts[key] = acc
	}
	s.refresh(acc)
	return acc
}

// refresh moves a pending intent past its expiry to StateExpired.
func (s *Simulator) refresh(acc *account) {
	if acc.stats.State != StatePending || acc.spec.ExpireAfterSeconds <= 0 {
		return
	}
	life := time.Duration(acc.spec.ExpireAfterSeconds * s.timeScale * float64(time.Second))
	if !s.now().Before(acc.started.Add(life)) {
		acc.stats.State = StateExpired
	}
}

// verdict is what an account makes of one solve call, before any API
// shapes it into an answer.
type verdict int

const (
	vConnected verdict = iota
	vChained           // right code, the chain continues: see acc.stats.Checkpoint
	vSwitched          // TRY_ANOTHER_WAY switched the checkpoint type
	vWrongCode
	vPending
	vExpired // the intent expired (or was killed)
	vOutage
)

// solve applies one call to the account. The caller holds s.mu.
func (s *Simulator) solve(acc *account, code string, tryAnotherWay bool) verdict {
	st := &acc.stats
	st.SolveCalls++
	if acc.spec.API == checkpoint.APILinkup {
		st.CreditsConsumed++
	}
	if acc.spec.OutageNext > 0 {
		acc.spec.OutageNext--
		st.OutagesServed++
		return vOutage
	}
	switch st.State {
	case StateExpired, StateKilled:
		return vExpired
	case StateConnected:
		if code != "" && acc.spec.SingleUseIntent {
			return vExpired
		}
		return vConnected
	}
	if code == "" {
		st.Polls++
		if acc.approved || (acc.spec.ApproveAfterPolls > 0 && st.Polls >= acc.spec.ApproveAfterPolls) {
			st.State = StateConnected
			return vConnected
		}
		return vPending
	}
	st.CodesReceived++
	if tryAnotherWay {
		st.Checkpoint = checkpoint.Type2FA
		return vSwitched
	}
	if !s.rightCode(acc, code) {
		st.WrongCodes++
		if acc.spec.KillAfterWrongCodes > 0 && st.WrongCodes >= acc.spec.KillAfterWrongCodes {
			st.State = StateKilled
		}
		return vWrongCode
	}
	if acc.chainPos < len(acc.spec.Chain) {
		st.Checkpoint = acc.spec.Chain[acc.chainPos]
		acc.chainPos++
		return vChained
	}
	st.State = StateConnected
	return vConnected
}

// solveDelay is how late the account answers a solve call, in the
// simulator's time scale. The caller holds s.mu.
func (s *Simulator) solveDelay(acc *account) time.Duration {
	return time.Duration(float64(acc.spec.SolveDelayMS) * s.timeScale * float64(time.Millisecond))
}

// pause waits d, or until the caller gives up.
func pause(r *http.Request, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// rightCode reports whether code solves the account's checkpoint.
func (s *Simulator) rightCode(acc *account, code string) bool {
	if acc.totp != "" {
		ok, err := totp.ValidateCustom(code, acc.totp, s.now(), totp.ValidateOpts{
			Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
		})
		return err == nil && ok
	}
	sum := sha256.Sum256([]byte(code))
	return subtle.ConstantTimeCompare(sum[:], acc.codeHash[:]) == 1
}
