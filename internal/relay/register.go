package relay

import (
	"context"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/nyaruka/phonenumbers"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/problem"
	"github.com/checkpoint-relay/checkpoint-relay/internal/publicaddr"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// RegisterRequest is the body of POST /v1/checkpoints.
type RegisterRequest struct {
	API         checkpoint.API      `json:"api"`
	AccountID   string              `json:"account_id"`
	Provider    checkpoint.Provider `json:"provider"`
	Type        checkpoint.Type     `json:"type"`
	Phone       string              `json:"phone,omitempty"`
	Email       string              `json:"email,omitempty"`
	TOTPSecret  string              `json:"totp_secret,omitempty"`
	CallbackURL string              `json:"callback_url,omitempty"`
	// AcceptAnySender takes codes whose service is not recognised, and
	// mails that do not authenticate, for this checkpoint: for a number or
	// inbox that receives only this account's messages. Another service's
	// recognised code is never taken (package attribution).
	AcceptAnySender bool `json:"accept_any_sender,omitempty"`
	// ExpiresIn is the checkpoint's lifetime in seconds (DefaultExpiresIn
	// when zero).
	ExpiresIn int `json:"expires_in,omitempty"`
	// IdempotencyKey comes from the Idempotency-Key header.
	IdempotencyKey string `json:"-"`
}

// Registration is the answer to a registration.
type Registration struct {
	ID        string            `json:"id"`
	Status    checkpoint.Status `json:"status"`
	FormURL   string            `json:"form_url"`
	ExpiresAt time.Time         `json:"expires_at"`
	// Replayed is true when an earlier registration with the same
	// Idempotency-Key was answered again.
	Replayed bool `json:"-"`
}

// ResendGap is the least time between two resends of a checkpoint.
const ResendGap = 30 * time.Second

// Registration bounds and the state machine's timing.
const (
	DefaultExpiresIn = 15 * 60
	MinExpiresIn     = 60
	MaxExpiresIn     = 60 * 60
	// CodeWaitSeconds is one wait for a code before a resend.
	CodeWaitSeconds = 300
	// PollIntervalSeconds x MaxPolls is the in-app approval window (~5 min).
	PollIntervalSeconds = 8
	MaxPolls            = 37
	// MaxWrongCodes is how many wrong codes, from any channel (the form
	// included), end a checkpoint: the bound of the state machine's
	// "Another code allowed?" (a template test holds the definition to it).
	// No further code is sent to the provider once it is reached, so a
	// leaked form link cannot be used to guess.
	MaxWrongCodes = 3
	// MaxResends bounds the resends of a checkpoint's notification, the
	// form's and the state machine's together (store.ReserveResend), at
	// least ResendGap apart: the bound of the state machine's "Resend
	// allowed?". So a held form link cannot keep a phone receiving codes.
	MaxResends = 2
	// MaxChainedCheckpoints is where the state machine ends a chain of
	// checkpoints; the form's "try another way", which asks for one, has
	// the same bound (store.MaxOtherWays).
	MaxChainedCheckpoints = 3
	// maxIdempotencyKey bounds the header's length.
	maxIdempotencyKey = 255
)

// ValidationError lists what is wrong with a request; httpapi answers it
// as 400 errors/invalid_parameters with the field list.
type ValidationError struct {
	Fields []problem.FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Detail
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

func (e *ValidationError) add(field, detail string) {
	e.Fields = append(e.Fields, problem.FieldError{Field: field, Detail: detail})
}

// ErrIdempotencyConflict: an Idempotency-Key was reused for another
// registration.
var ErrIdempotencyConflict = errors.New("idempotency key already used for a different registration")

// normalised is a validated request.
type normalised struct {
	RegisterRequest
}

// maxPhoneInput bounds the phone number as sent (spaces and punctuation
// allowed) before it is parsed; the stored E.164 form is store.MaxPhone.
const maxPhoneInput = 32

// validate checks and normalises a request: phone to E.164, email to lower
// case, TOTP secret to unpadded upper-case base32. Every field has a
// maximum (store's budget.go); a value past it is refused naming the
// field, and is never parsed.
func (s *Service) validate(req RegisterRequest) (normalised, error) {
	v := &ValidationError{}
	n := normalised{RegisterRequest: req}
	apiOK := false
	if !req.API.Valid() {
		v.add("api", "must be one of postpress, linkup, edges")
	} else if _, err := s.client(req.API); err != nil {
		v.add("api", "not configured on this relay")
	} else {
		apiOK = true
	}
	n.AccountID = strings.TrimSpace(req.AccountID)
	if n.AccountID == "" || len(n.AccountID) > store.MaxAccountID || strings.IndexFunc(n.AccountID, unicode.IsControl) >= 0 {
		v.add("account_id", fmt.Sprintf("required, at most %d bytes, no control characters", store.MaxAccountID))
	}
	switch {
	case !req.Provider.Valid():
		v.add("provider", "must be one of LINKEDIN, INSTAGRAM, TWITTER, MESSENGER")
	case apiOK && !req.API.Supports(req.Provider):
		v.add("provider", string(req.API)+" supports LINKEDIN only")
	}
	switch {
	case !req.Type.Valid():
		v.add("type", "unknown checkpoint type")
	case apiOK && !req.API.SupportsType(req.Type):
		if req.API == checkpoint.APILinkup {
			v.add("type", "linkup reports code_challenge or app_challenge")
		} else {
			v.add("type", "code_challenge and app_challenge are linkup's; "+string(req.API)+" uses the upper-case types")
		}
	}
	if req.Phone != "" {
		if len(req.Phone) > maxPhoneInput {
			v.add("phone", fmt.Sprintf("at most %d characters", maxPhoneInput))
		} else if p, err := phonenumbers.Parse(req.Phone, ""); err != nil || !strings.HasPrefix(strings.TrimSpace(req.Phone), "+") || !phonenumbers.IsValidNumber(p) {
			v.add("phone", "must be a valid phone number in E.164 form, e.g. +33612345678")
		} else {
			n.Phone = phonenumbers.Format(p, phonenumbers.E164)
		}
	}
	if req.Email != "" {
		if len(req.Email) > store.MaxEmail {
			v.add("email", fmt.Sprintf("at most %d bytes", store.MaxEmail))
		} else if a, err := mail.ParseAddress(req.Email); err != nil || a.Address != strings.TrimSpace(req.Email) {
			v.add("email", "must be a bare email address")
		} else {
			n.Email = strings.ToLower(a.Address)
		}
	}
	if req.TOTPSecret != "" {
		secret := strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "=", "").Replace(req.TOTPSecret))
		if len(req.TOTPSecret) > store.MaxTOTPSecret {
			v.add("totp_secret", fmt.Sprintf("at most %d characters", store.MaxTOTPSecret))
		} else if b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret); err != nil || len(b) < 10 {
			v.add("totp_secret", "must be a base32 authenticator secret of at least 80 bits")
		} else {
			n.TOTPSecret = secret
		}
	}
	if req.CallbackURL != "" {
		if len(req.CallbackURL) > store.MaxCallbackURL {
			v.add("callback_url", fmt.Sprintf("at most %d bytes", store.MaxCallbackURL))
		} else if err := checkCallbackURL(req.CallbackURL, s.d.AllowLoopbackCallbacks); err != nil {
			v.add("callback_url", err.Error())
		}
	}
	if n.ExpiresIn == 0 {
		n.ExpiresIn = DefaultExpiresIn
	}
	if n.ExpiresIn < MinExpiresIn || n.ExpiresIn > MaxExpiresIn {
		v.add("expires_in", fmt.Sprintf("must be between %d and %d seconds", MinExpiresIn, MaxExpiresIn))
	}
	if len(req.IdempotencyKey) > maxIdempotencyKey || strings.IndexFunc(req.IdempotencyKey, notPrintableASCII) >= 0 {
		v.add("Idempotency-Key", fmt.Sprintf("at most %d printable ASCII characters", maxIdempotencyKey))
	}
	if len(v.Fields) > 0 {
		return n, v
	}
	return n, nil
}

func notPrintableASCII(r rune) bool { return r < 0x20 || r > 0x7e }

// checkCallbackURL allows https to public hosts, and, when allowLoopback
// (the local stack and its demos), http or https to loopback. A callback
// carries the account's fate and a signature, neither of which should
// cross a network in clear; and a callback URL must not aim the relay at
// the metadata endpoints, the Lambda runtime API on loopback or the VPC
// (publicaddr; the callback client checks the resolved address again when
// it connects).
func checkCallbackURL(raw string, allowLoopback bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return errors.New("must be an absolute URL without credentials")
	}
	switch u.Scheme {
	case "https", "http":
	default:
		return errors.New("must be https")
	}
	if err := publicaddr.CheckHost(u.Host, allowLoopback); err != nil {
		return errors.New("must be a public host: " + strings.TrimPrefix(err.Error(), publicaddr.ErrNotPublic.Error()+": "))
	}
	// Past the check above, a host that is not public is loopback, allowed
	// locally: the one place plain http may go.
	if u.Scheme == "http" && publicaddr.CheckHost(u.Host, false) == nil {
		if !allowLoopback {
			return errors.New("must be https")
		}
		return errors.New("must be https (http is allowed only to loopback)")
	}
	return nil
}

// Register registers a pending checkpoint and starts its execution.
//
// Idempotency: with an Idempotency-Key, the checkpoint id is derived from a
// keyed fingerprint of (api, account_id, key), so a retried registration
// finds the checkpoint the first attempt created, answers the same id and
// form link (Replayed), and re-runs only the idempotent steps a crash may
// have left undone (pointers, supersede, StartExecution by name). Without
// the key each call registers a new checkpoint, which supersedes the
// previous pending one of the account.
func (s *Service) Register(ctx context.Context, req RegisterRequest) (Registration, error) {
	n, err := s.validate(req)
	if err != nil {
		return Registration{}, err
	}
	now := s.now()
	cp := &store.Checkpoint{
		API: n.API, AccountID: n.AccountID, Provider: n.Provider, Type: n.Type,
		Mode:  checkpoint.ModeFor(n.API, n.Type, n.TOTPSecret != ""),
		Phone: n.Phone, Email: n.Email, CallbackURL: n.CallbackURL, AcceptAnySender: n.AcceptAnySender,
		Status: checkpoint.StatusPending, CreatedAt: now, ExpiresAt: now.Add(time.Duration(float64(n.ExpiresIn) * s.d.TimeScale * float64(time.Second))),
	}
	cp.ID = "cp_" + randomString(16)
	if n.IdempotencyKey != "" {
		fp, err := s.d.Sealer.Fingerprint(ctx, "idempotency:"+string(n.API)+":"+n.AccountID+":"+n.IdempotencyKey)
		if err != nil {
			return Registration{}, err
		}
		raw, _ := hex.DecodeString(fp)
		cp.ID = "cp_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:16]))
		cp.IdempotencyFP = fp
	}
	token := randomString(20) // 160 bits
	if cp.FormTokenFP, err = s.formFingerprint(ctx, token); err != nil {
		return Registration{}, err
	}
	if cp.SealedFormToken, err = s.d.Sealer.Seal(ctx, []byte(token), store.FormTokenContext(cp.ID)); err != nil {
		return Registration{}, err
	}
	if n.TOTPSecret != "" {
		if cp.SealedTOTPSecret, err = s.d.Sealer.Seal(ctx, []byte(n.TOTPSecret), store.TOTPContext(cp.ID)); err != nil {
			return Registration{}, err
		}
	}

	replayed := false
	err = s.d.Store.Create(ctx, cp)
	if errors.Is(err, store.ErrExists) && cp.IdempotencyFP != "" {
		if cp, token, err = s.replay(ctx, cp); err != nil {
			return Registration{}, err
		}
		replayed = true
	} else if err != nil {
		return Registration{}, fmt.Errorf("relay: create checkpoint: %w", err)
	}

	if cp.Status == checkpoint.StatusPending {
		err := s.supersedePrevious(ctx, cp)
		if err == nil && cp.ExecutionARN == "" {
			err = s.startExecution(ctx, cp)
		}
		if err != nil {
			if !replayed {
				s.abandon(ctx, cp)
			}
			return Registration{}, err
		}
	}
	if cp.Status == checkpoint.StatusPending {
		s.takeEarlyCodesFor(ctx, cp)
	}
	s.d.Log.Info("checkpoint registered", "checkpoint_id", cp.ID, "api", cp.API, "type", cp.Type, "mode", cp.Mode, "replayed", replayed)
	return Registration{
		ID: cp.ID, Status: cp.Status, FormURL: s.d.PublicURL + "/c/" + token, ExpiresAt: cp.ExpiresAt, Replayed: replayed,
	}, nil
}

// ReasonRegistrationFailed ends a checkpoint whose registration answered
// an error.
const ReasonRegistrationFailed = "registration_failed"

// abandon ends a checkpoint this registration created and then failed to
// set going, since the app was answered an error and will not wait for
// it: nothing stays pending, and an execution that did start (its ARN
// recorded, or StartExecution's answer lost) ends at its first task,
// which finds the checkpoint ended, or at once when its ARN is known. A
// retry with the same Idempotency-Key answers this failed checkpoint; the
// app registers the login attempt again under a new key.
func (s *Service) abandon(ctx context.Context, cp *store.Checkpoint) {
	ctx = context.WithoutCancel(ctx)
	if _, err := s.d.Store.MarkFinal(ctx, cp.ID, checkpoint.StatusFailed, ReasonRegistrationFailed, s.now()); err != nil &&
		!errors.Is(err, store.ErrNotPending) {
		s.d.Log.Error("end a checkpoint whose registration failed", "checkpoint_id", cp.ID, "error", err)
	}
	if cp.ExecutionARN != "" {
		if err := s.d.Workflow.Stop(ctx, cp.ExecutionARN, ErrorRegistrationFailed, ReasonRegistrationFailed); err != nil {
			s.d.Log.Warn("stop the execution of a failed registration", "checkpoint_id", cp.ID, "error", err)
		}
	}
}

// replay loads the checkpoint an earlier attempt created under the same
// Idempotency-Key, checks it is the same registration, and recovers its
// form token.
func (s *Service) replay(ctx context.Context, attempt *store.Checkpoint) (*store.Checkpoint, string, error) {
	cp, err := s.d.Store.Get(ctx, attempt.ID)
	if err != nil {
		return nil, "", fmt.Errorf("relay: load replayed checkpoint: %w", err)
	}
	if cp.IdempotencyFP != attempt.IdempotencyFP || cp.Provider != attempt.Provider || cp.Type != attempt.Type ||
		cp.Phone != attempt.Phone || cp.Email != attempt.Email || cp.CallbackURL != attempt.CallbackURL {
		return nil, "", ErrIdempotencyConflict
	}
	token, err := s.d.Sealer.Open(ctx, cp.SealedFormToken, store.FormTokenContext(cp.ID))
	if err != nil {
		return nil, "", fmt.Errorf("relay: open form token: %w", err)
	}
	if err := s.d.Store.PutPointers(ctx, cp); err != nil {
		return nil, "", err
	}
	return cp, string(token), nil
}

// supersedePrevious ends the account's previous pending checkpoint, if
// any, and stops its execution: the app registered a new login attempt,
// so the old one's codes must not be submitted any more.
func (s *Service) supersedePrevious(ctx context.Context, cp *store.Checkpoint) error {
	prev, err := s.d.Store.SwapAccountPointer(ctx, cp.API, cp.AccountID, cp.ID, cp.ExpiresAt)
	if err != nil || prev == "" {
		return err
	}
	old, err := s.d.Store.MarkFinal(ctx, prev, checkpoint.StatusSuperseded, "superseded by "+cp.ID, s.now())
	if errors.Is(err, store.ErrNotPending) || errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("relay: supersede %s: %w", prev, err)
	}
	s.d.Log.Info("checkpoint superseded", "checkpoint_id", prev, "by", cp.ID)
	if old.ExecutionARN != "" {
		if err := s.d.Workflow.Stop(ctx, old.ExecutionARN, ErrorSuperseded, "superseded by "+cp.ID); err != nil {
			// The old execution's next task finds its checkpoint ended
			// and fails with Relay.CheckpointEnded: not worth failing the
			// new registration for.
			s.d.Log.Warn("stop superseded execution", "checkpoint_id", prev, "error", err)
		}
	}
	return nil
}

// executionInput is the state machine input of a checkpoint. Its
// durations are unscaled seconds (the local runner scales them itself), so
// the lifetime is read back without the time scale.
func (s *Service) executionInput(cp *store.Checkpoint) ExecutionInput {
	wait := CodeWaitSeconds
	if life := int(math.Round(cp.ExpiresAt.Sub(cp.CreatedAt).Seconds() / s.d.TimeScale)); life < wait {
		wait = life
	}
	return ExecutionInput{
		CheckpointID: cp.ID, API: cp.API, Type: cp.Type, Mode: cp.Mode,
		CanResend:       cp.API.CanResend(cp.Provider),
		CodeWaitSeconds: wait, PollIntervalSeconds: PollIntervalSeconds, MaxPolls: MaxPolls,
	}
}

func (s *Service) startExecution(ctx context.Context, cp *store.Checkpoint) error {
	arn, err := s.d.Workflow.Start(ctx, cp.ID, s.executionInput(cp))
	if err != nil {
		return fmt.Errorf("relay: start execution: %w", err)
	}
	cp.ExecutionARN = arn
	return s.d.Store.SetExecution(ctx, cp.ID, arn, s.now())
}

// ValidID reports whether id has the shape of a checkpoint id, so a
// malformed one is answered 404 without a table read.
func ValidID(id string) bool {
	if len(id) != 3+26 || !strings.HasPrefix(id, "cp_") {
		return false
	}
	for _, r := range id[3:] {
		if !(r >= 'a' && r <= 'z') && !(r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}
