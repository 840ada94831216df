package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strconv"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relaysig"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// Callback is the body POSTed to the app's callback_url when a checkpoint
// ends.
type Callback struct {
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
// inbound.VerifyRelaySignature does.
const (
	HeaderTimestamp = relaysig.HeaderTimestamp
	HeaderSignature = relaysig.HeaderSignature
)

// SignCallback returns the X-Relay-Signature value of body signed at ts
// (unix seconds), as the relay signs its callbacks.
func SignCallback(secret []byte, ts int64, body []byte) string {
	_, sig := relaysig.Sign(secret, time.Unix(ts, 0), body)
	return sig
}

// CallbackTimeout bounds one callback POST.
const CallbackTimeout = 10 * time.Second

// NewCallbackClient is the default callback client: bounded, and never
// following redirects (a redirect could move a signed callback to a host
// the app did not register).
func NewCallbackClient() *http.Client {
	return &http.Client{
		Timeout:       CallbackTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Finish is the finish task: it marks the checkpoint final and POSTs the
// signed callback. It is safe to retry: a checkpoint already ended with
// the same status only has its callback sent (unless one was delivered).
func (s *Service) Finish(ctx context.Context, in FinishInput) (FinishOutput, error) {
	cp, err := s.d.Store.MarkFinal(ctx, in.CheckpointID, in.Status, in.Reason, s.now())
	switch {
	case errors.Is(err, store.ErrNotPending):
		if cp.Status != in.Status {
			// Ended otherwise (superseded): that end had no callback to
			// send from here.
			return FinishOutput{Status: cp.Status, Callback: "skipped"}, nil
		}
	case err != nil:
		return FinishOutput{}, err
	default:
		s.d.Log.Info("checkpoint ended", "checkpoint_id", cp.ID, "status", cp.Status, "reason", in.Reason)
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
		CheckpointID: cp.ID, AccountID: cp.AccountID, API: cp.API, Provider: cp.Provider,
		Status: cp.Status, Reason: reason, At: at,
	})
	if err != nil {
		s.recordEvent(ctx, cp.ID, store.Event{At: s.now(), Kind: store.EventCallback, Detail: err.Error()})
		return FinishOutput{}, TaskError(ErrorCallbackFailed, err.Error())
	}
	s.recordEvent(ctx, cp.ID, store.Event{At: s.now(), Kind: store.EventCallback, Outcome: calledBack})
	return FinishOutput{Status: cp.Status, Callback: "delivered"}, nil
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
	now := s.now()
	ts, sig := strconv.FormatInt(now.Unix(), 10), SignCallback(s.d.CallbackSecret, now.Unix(), body)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, sig)
	resp, err := s.d.CallbackClient.Do(req)
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
		return fmt.Errorf("callback answered %d", resp.StatusCode)
	}
	return nil
}
