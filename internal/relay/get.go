package relay

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// View is the answer to GET /v1/checkpoints/{id}: where a checkpoint
// stands and what happened to it, without any code or secret.
type View struct {
	ID        string              `json:"id"`
	API       checkpoint.API      `json:"api"`
	AccountID string              `json:"account_id"`
	Provider  checkpoint.Provider `json:"provider"`
	Type      checkpoint.Type     `json:"type"`
	Mode      checkpoint.Mode     `json:"mode"`
	Status    checkpoint.Status   `json:"status"`
	// AcceptAnySender is the registration's accept_any_sender.
	AcceptAnySender bool          `json:"accept_any_sender,omitempty"`
	Reason          string        `json:"reason,omitempty"`
	CreatedAt       time.Time     `json:"created_at"`
	ExpiresAt       time.Time     `json:"expires_at"`
	EndedAt         *time.Time    `json:"ended_at,omitempty"`
	Counters        ViewCounters  `json:"counters"`
	Events          []store.Event `json:"events"`
	// EventsDropped counts history lines beyond store.MaxEvents.
	EventsDropped int `json:"events_dropped,omitempty"`
}

// ViewCounters are the checkpoint's own counters.
type ViewCounters struct {
	WrongCodes     int `json:"wrong_codes"`
	FormWrongCodes int `json:"form_wrong_codes"`
	Resends        int `json:"resends"`
	Polls          int `json:"polls"`
}

// Get returns a checkpoint's status and history; ErrNotFound if unknown.
func (s *Service) Get(ctx context.Context, id string) (View, error) {
	cp, err := s.d.Store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return View{}, ErrNotFound
	}
	if err != nil {
		return View{}, err
	}
	events := cp.Events
	if events == nil {
		events = []store.Event{}
	}
	// Events are appended in the order their writes landed; a slow write
	// (the execution_started line of a registration under load) can land
	// after a later event, so the history is shown in time order.
	slices.SortStableFunc(events, func(a, b store.Event) int { return a.At.Compare(b.At) })
	return View{
		ID: cp.ID, API: cp.API, AccountID: cp.AccountID, Provider: cp.Provider, Type: cp.Type, Mode: cp.Mode,
		Status: cp.Status, AcceptAnySender: cp.AcceptAnySender, Reason: cp.Reason, CreatedAt: cp.CreatedAt, ExpiresAt: cp.ExpiresAt, EndedAt: cp.EndedAt,
		Counters: ViewCounters{WrongCodes: cp.WrongCodes, FormWrongCodes: cp.FormWrongCodes, Resends: cp.Resends, Polls: cp.Polls},
		Events:   events, EventsDropped: cp.EventsDropped,
	}, nil
}
