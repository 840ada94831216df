package relay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/metrics"
	"github.com/checkpoint-relay/checkpoint-relay/internal/publicaddr"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relaysig"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// Callback is the body POSTed to the app's callback_url when a checkpoint
// ends.
type Callback struct {
	// DeliveryID is the same on every attempt of this callback (also in
	// the X-Relay-Delivery-Id header): callbacks are delivered at least
	// once, and an app deduplicates on it.
	DeliveryID   string              `json:"delivery_id"`
	CheckpointID string              `json:"checkpoint_id"`
	AccountID    string              `json:"account_id"`
	API          checkpoint.API      `json:"api"`
	Provider     checkpoint.Provider `json:"provider"`
	Status       checkpoint.Status   `json:"status"`
	Reason       string              `json:"reason,omitempty"`
	At           time.Time           `json:"at"`
}

// Callbacks are signed with the relay's one HMAC scheme (internal/relaysig):
// X-Relay-Timestamp is unix seconds, X-Relay-Signature is "v1=" + hex
// HMAC-SHA256(secret, timestamp + "." + body). An app verifies them as
// inbound.VerifyRelaySignature does. X-Relay-Delivery-Id repeats the
// body's delivery_id (which the signature covers).
const (
	HeaderTimestamp  = relaysig.HeaderTimestamp
	HeaderSignature  = relaysig.HeaderSignature
	HeaderDeliveryID = "X-Relay-Delivery-Id"
)

// SignCallback returns the X-Relay-Signature value of body signed at ts
// (unix seconds), as the relay signs its callbacks.
func SignCallback(secret []byte, ts int64, body []byte) string {
	_, sig := relaysig.Sign(secret, time.Unix(ts, 0), body)
	return sig
}

// CallbackTimeout bounds one callback POST.
const CallbackTimeout = 10 * time.Second

// NewCallbackClient is the callback client: bounded, never following
// redirects (a redirect could move a signed callback to a host the app did
// not register), never through a proxy, and connecting only to public
// addresses (loopback too when allowLoopback, for the local stack): the
// address a name resolves to is checked when the connection is made, so
// DNS cannot turn a registered name into the metadata endpoint or a VPC
// host.
func NewCallbackClient(allowLoopback bool) *http.Client {
	return &http.Client{
		Timeout: CallbackTimeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           publicaddr.Dialer(allowLoopback).DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: CallbackTimeout,
			MaxIdleConns:          16,
			IdleConnTimeout:       30 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// callbackNotDelivered is what the history and the task error say of a
// callback that got no HTTP answer, whatever the cause: the network's own
// text (connection refused, reset, a TLS error, a refused address) would
// tell whoever reads the status what listens on a host's ports. The
// operator's log has the cause.
const callbackNotDelivered = "callback not delivered: no HTTP answer"

// deliveryID is the callback's id: derived from the checkpoint and its
// end, so every attempt (a retried finish task included) carries the same.
func deliveryID(cp *store.Checkpoint) string {
	sum := sha256.Sum256([]byte("callback:" + cp.ID + ":" + string(cp.Status)))
	return "dlv_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16]))
}

// Finish is the finish task: it marks the checkpoint final and POSTs the
// signed callback. It is safe to retry: a checkpoint already ended with
// the same status only has its callback sent (unless one was delivered).
//
// The end the state machine asks for never overrides the provider: when
// the provider's answer already ended the checkpoint (final_outcome
// connected, restart or rejected), that answer is the end, whatever
// status was asked for (a task that kept failing after recording it).
func (s *Service) Finish(ctx context.Context, in FinishInput) (FinishOutput, error) {
	cp, err := s.markFinal(ctx, in)
	switch {
	case errors.Is(err, store.ErrNotPending):
		if cp.Status != in.Status && cp.Status != recordedEnd(cp) {
			// Ended otherwise (superseded): that end had no callback to
			// send from here.
			return FinishOutput{Status: cp.Status, Callback: "skipped"}, nil
		}
	case err != nil:
		return FinishOutput{}, err
	default:
		// Only the call that ended it: a retried finish finds it ended.
		s.d.Log.Info("checkpoint ended", "checkpoint_id", cp.ID, "status", cp.Status, "reason", cp.Reason)
		if cp.Status == checkpoint.StatusConnected {
			metrics.Connected(ctx, string(cp.API), s.now().Sub(cp.CreatedAt))
		}
	}
	if cp.CallbackURL == "" {
		return FinishOutput{Status: cp.Status, Callback: "none"}, nil
	}
	for _, e := range cp.Events {
		if e.Kind == store.EventCallback && e.Outcome == calledBack {
			return FinishOutput{Status: cp.Status, Callback: "delivered"}, nil
		}
	}
	if len(s.d.CallbackSecret) == 0 {
		// Never send an unsigned callback: the app could not tell it from
		// a forgery.
		return FinishOutput{}, TaskError(ErrorCallbackFailed, "no callback signing secret configured")
	}
	reason := cp.Reason
	if reason == "" {
		reason = in.Reason
	}
	at := s.now()
	if cp.EndedAt != nil {
		at = *cp.EndedAt
	}
	err = s.postCallback(ctx, cp.CallbackURL, Callback{
		DeliveryID: deliveryID(cp), CheckpointID: cp.ID, AccountID: cp.AccountID, API: cp.API, Provider: cp.Provider,
		Status: cp.Status, Reason: reason, At: at,
	})
	if err != nil {
		detail := err.Error()
		var answered callbackStatusError
		if !errors.As(err, &answered) {
			s.d.Log.Warn("callback not delivered", "checkpoint_id", cp.ID, "error", err)
			detail = callbackNotDelivered
		}
		s.recordEvent(ctx, cp.ID, store.Event{At: s.now(), Kind: store.EventCallback, Detail: detail})
		return FinishOutput{}, TaskError(ErrorCallbackFailed, detail)
	}
	// The delivered line is what keeps a retried finish from posting
	// again, so it is appended whatever the history holds (a history-only
	// write stops at store.MaxEvents); once per checkpoint, it stays bounded.
	if _, err := s.d.Store.Record(context.WithoutCancel(ctx), cp.ID, store.Outcome{
		Event: store.Event{At: s.now(), Kind: store.EventCallback, Outcome: calledBack},
	}); err != nil {
		s.d.Log.Warn("record the delivered callback", "checkpoint_id", cp.ID, "error", err)
	}
	return FinishOutput{Status: cp.Status, Callback: "delivered"}, nil
}

// markFinal ends the checkpoint as in asks, or as the provider's recorded
// outcome says; store.MarkFinal's condition makes the guarantee.
func (s *Service) markFinal(ctx context.Context, in FinishInput) (*store.Checkpoint, error) {
	cp, err := s.d.Store.MarkFinal(ctx, in.CheckpointID, in.Status, in.Reason, s.now())
	if !errors.Is(err, store.ErrOutcomeRecorded) {
		return cp, err
	}
	st, ok := cp.FinalOutcome.FinalStatus()
	if !ok {
		return nil, fmt.Errorf("relay: recorded outcome %q ends no checkpoint", cp.FinalOutcome)
	}
	s.d.Log.Info("finish adopts the provider's recorded outcome", "checkpoint_id", cp.ID,
		"asked", in.Status, "asked_reason", in.Reason, "outcome", cp.FinalOutcome)
	return s.d.Store.MarkFinal(ctx, in.CheckpointID, st, endReason(cp.FinalOutcome), s.now())
}

// endReason is the reason the state machine gives the end of each final
// outcome (statemachine/checkpoint.asl.json).
func endReason(o checkpoint.Outcome) string {
	switch o {
	case checkpoint.Connected:
		return "solved"
	case checkpoint.Restart:
		return "session_expired"
	case checkpoint.Rejected:
		return "rejected"
	}
	return ""
}

// recordedEnd is the status the provider's recorded outcome ends cp with,
// "" if none.
func recordedEnd(cp *store.Checkpoint) checkpoint.Status {
	st, _ := cp.FinalOutcome.FinalStatus()
	return st
}

// calledBack marks the history line of a delivered callback.
const calledBack checkpoint.Outcome = "delivered"

func (s *Service) postCallback(ctx context.Context, url string, cb Callback) error {
	body, err := json.Marshal(cb)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("callback request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "checkpoint-relay")
	ts, sig := relaysig.Sign(s.d.CallbackSecret, s.now(), body)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, sig)
	req.Header.Set(HeaderDeliveryID, cb.DeliveryID)
	resp, err := s.callbacks.Do(req)
	if err != nil {
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL error repeats the URL; keep the cause
		}
		return fmt.Errorf("callback: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return callbackStatusError(resp.StatusCode)
	}
	return nil
}

// callbackStatusError is a callback the app's server answered non-2xx: its
// status is the app's own to know, and is recorded.
type callbackStatusError int

func (e callbackStatusError) Error() string { return fmt.Sprintf("callback answered %d", int(e)) }
