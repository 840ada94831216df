// Package forwarder keeps the relay's forwarders: the devices and inboxes
// (an SMS forwarder app on the user's phone, a mail service's inbound
// webhook) that post codes to a webhook URL of their own, each with its own
// secret, so that a leaked or rotated secret touches one device.
//
// The secret is shown once, at creation or rotation, and stored only
// sealed (secretbox, context store.ForwarderSecretContext): the HMAC and
// JWT kinds need the secret itself to verify a request.
package forwarder

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
	"github.com/checkpoint-relay/checkpoint-relay/internal/metrics"
	"github.com/checkpoint-relay/checkpoint-relay/internal/problem"
	"github.com/checkpoint-relay/checkpoint-relay/internal/secretbox"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// Store is what the service needs of the table.
type Store interface {
	CreateForwarder(ctx context.Context, f *store.Forwarder) error
	GetForwarder(ctx context.Context, id string) (*store.Forwarder, error)
	ListForwarders(ctx context.Context) ([]store.Forwarder, error)
	RotateForwarderSecret(ctx context.Context, id string, sealed []byte, at time.Time) (*store.Forwarder, error)
	DeleteForwarder(ctx context.Context, id string) error
	TouchForwarder(ctx context.Context, id string, c store.ForwarderContact, at time.Time) error
	PutConfirmation(ctx context.Context, c *store.Confirmation) error
	Confirmations(ctx context.Context, address string, now time.Time) ([]store.Confirmation, error)
	MarkMessageSeen(ctx context.Context, source, messageID string, now time.Time) (bool, error)
}

var _ Store = (*store.Store)(nil)

// Service creates, lists, rotates and revokes forwarders, and opens a
// forwarder's secret for its webhook.
type Service struct {
	Store  Store
	Sealer secretbox.Sealer
	// PublicURL is RELAY_PUBLIC_URL, the base of the webhook URLs.
	PublicURL string
	Now       func() time.Time
	Log       *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// CreateRequest is the body of POST /v1/forwarders.
type CreateRequest struct {
	Kind  string `json:"kind"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
	// HeartbeatSeconds overrides the kind's expected heartbeat interval
	// (0: the kind's default; -1: none expected).
	HeartbeatSeconds int `json:"heartbeat_seconds,omitempty"`
	// Passphrase is httpSMS's end-to-end encryption passphrase, when the
	// app encrypts messages; it is kept sealed and never shown.
	Passphrase string `json:"passphrase,omitempty"`
}

// Created is the answer to a creation or a rotation: the only time the
// secret is shown.
type Created struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	WebhookURL string `json:"webhook_url"`
	Secret     string `json:"secret"`
}

// View is a forwarder as GET /v1/forwarders shows it (never the secret).
type View struct {
	ID               string     `json:"id"`
	Kind             string     `json:"kind"`
	Phone            string     `json:"phone,omitempty"`
	Email            string     `json:"email,omitempty"`
	Name             string     `json:"name,omitempty"`
	WebhookURL       string     `json:"webhook_url"`
	CreatedAt        time.Time  `json:"created_at"`
	RotatedAt        *time.Time `json:"rotated_at,omitempty"`
	HeartbeatSeconds int        `json:"heartbeat_seconds,omitempty"`
	LastMessageAt    *time.Time `json:"last_message_at"`
	LastHeartbeatAt  *time.Time `json:"last_heartbeat_at"`
	SIMNumbers       []string   `json:"sim_numbers,omitempty"`
	// Silent is true when the forwarder has not been heard from for longer
	// than twice its expected heartbeat.
	Silent bool `json:"silent"`
}

// Errors the HTTP layer maps (see Problem).
var (
	ErrNotFound = errors.New("forwarder: not found")
)

// ValidationError lists what is wrong with a creation request.
type ValidationError struct{ Fields []problem.FieldError }

func (e *ValidationError) Error() string { return "forwarder: invalid request" }

// Problem maps the service's errors to problem details.
func Problem(err error) problem.Details {
	var v *ValidationError
	switch {
	case errors.As(err, &v):
		d := problem.ErrInvalidParams("the forwarder has invalid fields")
		d.Errors = v.Fields
		return d
	case errors.Is(err, ErrNotFound):
		return problem.ErrNotFound("no such forwarder")
	}
	return problem.ErrInternal("the forwarder could not be stored; retry later")
}

// ValidID reports whether id has the shape of a forwarder id ("fw_" and
// 26 lower-case base32 characters), so malformed ids never reach the table.
func ValidID(id string) bool {
	if len(id) != 3+26 || !strings.HasPrefix(id, "fw_") {
		return false
	}
	for _, r := range id[3:] {
		if (r < 'a' || r > 'z') && (r < '2' || r > '7') {
			return false
		}
	}
	return true
}

func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return "fw_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// newSecret is 256 random bits, URL-safe base64 (43 characters): usable as
// an HMAC key, a JWT key, a basic-auth password and a query token alike.
func newSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// WebhookURL is a forwarder's webhook URL.
func (s *Service) WebhookURL(id string) string {
	return strings.TrimRight(s.PublicURL, "/") + "/v1/forwarders/" + id + "/webhook"
}

// Create validates and stores a new forwarder and returns its secret.
func (s *Service) Create(ctx context.Context, req CreateRequest) (Created, error) {
	k, ok := KindOf(req.Kind)
	var fields []problem.FieldError
	bad := func(field, detail string) { fields = append(fields, problem.FieldError{Field: field, Detail: detail}) }
	if !ok {
		bad("kind", "must be one of "+strings.Join(KindNames(), ", "))
	}
	phone, email := "", ""
	switch {
	case !ok:
	case k.Channel == ChannelSMS:
		if req.Email != "" {
			bad("email", "an SMS forwarder has a phone, not an email")
		}
		p, valid := inbound.NormalizePhone(req.Phone)
		if !valid || !strings.HasPrefix(strings.TrimSpace(req.Phone), "+") {
			bad("phone", "must be the device's number in E.164 (+14155550100)")
		}
		phone = p
	default:
		if req.Phone != "" {
			bad("phone", "an email forwarder has an email, not a phone")
		}
		a, err := mail.ParseAddress(req.Email)
		if err != nil || a.Name != "" || len(req.Email) > 254 {
			bad("email", "must be the forwarded inbox's address (user@example.com)")
		} else {
			email = strings.ToLower(a.Address)
		}
	}
	if req.Passphrase != "" && (!ok || k.Name != inbound.SourceHTTPSMS) {
		bad("passphrase", "only an httpsms forwarder has a passphrase")
	}
	if len(req.Passphrase) > 256 {
		bad("passphrase", "at most 256 characters")
	}
	if len(req.Name) > 100 {
		bad("name", "at most 100 characters")
	}
	hb := req.HeartbeatSeconds
	switch {
	case hb == 0 && ok:
		hb = int(k.Heartbeat / time.Second)
	case hb < 0:
		hb = 0
	case hb < 60 || hb > 7*24*3600:
		bad("heartbeat_seconds", "between 60 and 604800, or -1 for none")
	}
	if len(fields) > 0 {
		return Created{}, &ValidationError{Fields: fields}
	}
	id, secret := newID(), newSecret()
	sealed, err := s.Sealer.Seal(ctx, []byte(secret), store.ForwarderSecretContext(id))
	if err != nil {
		return Created{}, fmt.Errorf("seal forwarder secret: %w", err)
	}
	f := &store.Forwarder{ID: id, Kind: k.Name, Phone: phone, Email: email, Name: req.Name,
		SealedSecret: sealed, CreatedAt: s.now().UTC(), HeartbeatSeconds: hb}
	if req.Passphrase != "" {
		if f.SealedPassphrase, err = s.Sealer.Seal(ctx, []byte(req.Passphrase), store.ForwarderPassphraseContext(id)); err != nil {
			return Created{}, fmt.Errorf("seal forwarder passphrase: %w", err)
		}
	}
	if err := s.Store.CreateForwarder(ctx, f); err != nil {
		return Created{}, err
	}
	s.log().InfoContext(ctx, "forwarder created", "forwarder_id", id, "kind", k.Name)
	return Created{ID: id, Kind: k.Name, WebhookURL: s.WebhookURL(id), Secret: secret}, nil
}

// Rotate issues a new secret; the old one verifies nothing from then on.
func (s *Service) Rotate(ctx context.Context, id string) (Created, error) {
	if !ValidID(id) {
		return Created{}, ErrNotFound
	}
	secret := newSecret()
	sealed, err := s.Sealer.Seal(ctx, []byte(secret), store.ForwarderSecretContext(id))
	if err != nil {
		return Created{}, fmt.Errorf("seal forwarder secret: %w", err)
	}
	f, err := s.Store.RotateForwarderSecret(ctx, id, sealed, s.now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return Created{}, ErrNotFound
	}
	if err != nil {
		return Created{}, err
	}
	s.log().InfoContext(ctx, "forwarder secret rotated", "forwarder_id", id, "kind", f.Kind)
	return Created{ID: id, Kind: f.Kind, WebhookURL: s.WebhookURL(id), Secret: secret}, nil
}

// Delete revokes a forwarder.
func (s *Service) Delete(ctx context.Context, id string) error {
	if !ValidID(id) {
		return ErrNotFound
	}
	err := s.Store.DeleteForwarder(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	if err == nil {
		s.log().InfoContext(ctx, "forwarder revoked", "forwarder_id", id)
	}
	return err
}

// Get returns one forwarder's view.
func (s *Service) Get(ctx context.Context, id string) (View, error) {
	if !ValidID(id) {
		return View{}, ErrNotFound
	}
	f, err := s.Store.GetForwarder(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return View{}, ErrNotFound
	}
	if err != nil {
		return View{}, err
	}
	return s.view(f, s.now()), nil
}

// List returns every forwarder's view.
func (s *Service) List(ctx context.Context) ([]View, error) {
	all, err := s.Store.ListForwarders(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	views := make([]View, 0, len(all))
	for i := range all {
		views = append(views, s.view(&all[i], now))
	}
	return views, nil
}

func (s *Service) view(f *store.Forwarder, now time.Time) View {
	v := View{ID: f.ID, Kind: f.Kind, Phone: f.Phone, Email: f.Email, Name: f.Name,
		WebhookURL: s.WebhookURL(f.ID), CreatedAt: f.CreatedAt, HeartbeatSeconds: f.HeartbeatSeconds,
		LastMessageAt: f.LastMessageAt, LastHeartbeatAt: f.LastHeartbeatAt, SIMNumbers: f.SIMs,
		Silent: Silent(f, now)}
	if !f.RotatedAt.IsZero() {
		r := f.RotatedAt
		v.RotatedAt = &r
	}
	return v
}

// Silent reports whether f has not been heard from (a heartbeat, a
// message, or its creation) for more than twice its expected heartbeat
// interval: one missed beat is tolerated, since a phone may sleep.
func Silent(f *store.Forwarder, now time.Time) bool {
	if f.HeartbeatSeconds <= 0 {
		return false
	}
	last := f.CreatedAt
	for _, t := range []*time.Time{f.LastHeartbeatAt, f.LastMessageAt} {
		if t != nil && t.After(last) {
			last = *t
		}
	}
	return now.Sub(last) > 2*time.Duration(f.HeartbeatSeconds)*time.Second
}

// ReportSilent records one ForwardersSilent metric (CloudWatch embedded
// metric format, by kind) and one warning line per silent forwarder, so an
// alarm can fire before a checkpoint needs the device. It answers how many
// were silent.
func (s *Service) ReportSilent(ctx context.Context) (int, error) {
	all, err := s.Store.ListForwarders(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	n := 0
	for i := range all {
		f := &all[i]
		if !Silent(f, now) {
			continue
		}
		n++
		last := f.CreatedAt
		if f.LastHeartbeatAt != nil && f.LastHeartbeatAt.After(last) {
			last = *f.LastHeartbeatAt
		}
		if f.LastMessageAt != nil && f.LastMessageAt.After(last) {
			last = *f.LastMessageAt
		}
		metrics.ForwarderSilent(ctx, f.Kind)
		s.log().WarnContext(ctx, "forwarder silent",
			"forwarder_id", f.ID, "kind", f.Kind, "silent_seconds", int(now.Sub(last).Seconds()),
			"heartbeat_seconds", f.HeartbeatSeconds)
	}
	return n, nil
}

// Device is a forwarder opened for its webhook: its kind and its secret.
type Device struct {
	Kind   Kind
	Device inbound.Device
}

// Open reads a forwarder and opens its secret. ErrNotFound for an unknown
// or revoked forwarder.
func (s *Service) Open(ctx context.Context, id string) (Device, error) {
	if !ValidID(id) {
		return Device{}, ErrNotFound
	}
	f, err := s.Store.GetForwarder(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Device{}, ErrNotFound
	}
	if err != nil {
		return Device{}, err
	}
	k, ok := KindOf(f.Kind)
	if !ok {
		return Device{}, fmt.Errorf("forwarder %s: unknown kind %q", id, f.Kind)
	}
	secret, err := s.Sealer.Open(ctx, f.SealedSecret, store.ForwarderSecretContext(id))
	if err != nil {
		return Device{}, fmt.Errorf("open forwarder secret: %w", err)
	}
	d := inbound.Device{ID: f.ID, Secret: secret, Phone: f.Phone, Email: f.Email,
		SIMs: f.SIMs, WebhookURL: s.WebhookURL(id)}
	if len(f.SealedPassphrase) > 0 {
		if d.Passphrase, err = s.Sealer.Open(ctx, f.SealedPassphrase, store.ForwarderPassphraseContext(id)); err != nil {
			return Device{}, fmt.Errorf("open forwarder passphrase: %w", err)
		}
	}
	return Device{Kind: k, Device: d}, nil
}

// Touch records what a verified webhook call told of its device: a
// message, a heartbeat, SIM numbers. A forwarder deleted meanwhile is not
// recreated.
func (s *Service) Touch(ctx context.Context, id string, c store.ForwarderContact) error {
	err := s.Store.TouchForwarder(ctx, id, c, s.now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// UseOnce records a one-time key (a signature that covers only its
// timestamp) and reports whether it was new.
func (s *Service) UseOnce(ctx context.Context, key string) (bool, error) {
	return s.Store.MarkMessageSeen(ctx, "once", key, s.now().UTC())
}

// Confirmation is a mailbox's forwarding-address confirmation as the API
// shows it.
type Confirmation struct {
	Provider   string    `json:"provider"`
	Code       string    `json:"code,omitempty"`
	Link       string    `json:"link,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
}

type sealedConfirmation struct {
	Code string `json:"code,omitempty"`
	Link string `json:"link,omitempty"`
}

// SaveConfirmation keeps a forwarding confirmation sealed for a day, under
// the address of the mailbox that asked to forward (lower-cased).
func (s *Service) SaveConfirmation(ctx context.Context, address, messageID string, c Confirmation) error {
	address = strings.ToLower(strings.TrimSpace(address))
	plain, err := json.Marshal(sealedConfirmation{Code: c.Code, Link: c.Link})
	if err != nil {
		return err
	}
	sealed, err := s.Sealer.Seal(ctx, plain, store.ConfirmationContext(address))
	if err != nil {
		return fmt.Errorf("seal confirmation: %w", err)
	}
	at := c.ReceivedAt
	if at.IsZero() {
		at = s.now().UTC()
	}
	return s.Store.PutConfirmation(ctx, &store.Confirmation{Address: address, Provider: c.Provider,
		MessageID: messageID, ReceivedAt: at, Sealed: sealed})
}

// Confirmations returns the address's confirmations of the last day,
// newest first.
func (s *Service) Confirmations(ctx context.Context, address string) ([]Confirmation, error) {
	address = strings.ToLower(strings.TrimSpace(address))
	list, err := s.Store.Confirmations(ctx, address, s.now())
	if err != nil {
		return nil, err
	}
	out := make([]Confirmation, 0, len(list))
	for _, c := range list {
		plain, err := s.Sealer.Open(ctx, c.Sealed, store.ConfirmationContext(address))
		if err != nil {
			return nil, fmt.Errorf("open confirmation: %w", err)
		}
		var sc sealedConfirmation
		if err := json.Unmarshal(plain, &sc); err != nil {
			return nil, fmt.Errorf("decode confirmation: %w", err)
		}
		out = append(out, Confirmation{Provider: c.Provider, Code: sc.Code, Link: sc.Link, ReceivedAt: c.ReceivedAt})
	}
	return out, nil
}
