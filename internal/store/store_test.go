package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/dynalitetest"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

var t0 = time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)

func newCP(id string, created time.Time) *store.Checkpoint {
	return &store.Checkpoint{
		ID: id, API: checkpoint.APIPostpress, AccountID: "acc-" + id, Provider: checkpoint.ProviderLinkedIn,
		Type: checkpoint.Type2FA, Mode: checkpoint.ModeCode, Phone: "+33612345678", Email: "user@example.com",
		Status: checkpoint.StatusPending, CreatedAt: created, ExpiresAt: created.Add(15 * time.Minute),
		FormTokenFP: "fp-" + id, SealedTOTPSecret: []byte{1, 2, 3},
	}
}

func create(t *testing.T, s *store.Store, cp *store.Checkpoint) {
	t.Helper()
	if err := s.Create(context.Background(), cp); err != nil {
		t.Fatal(err)
	}
}

func TestCreateStoresItemOnceAndGetReadsItBack(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_a", t0))
	if err := s.Create(ctx, newCP("cp_a", t0)); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second create: got %v, want ErrExists", err)
	}
	got, err := s.Get(ctx, "cp_a")
	if err != nil {
		t.Fatal(err)
	}
	if got.AccountID != "acc-cp_a" || got.Status != checkpoint.StatusPending || !got.CreatedAt.Equal(t0) ||
		string(got.SealedTOTPSecret) != "\x01\x02\x03" || got.Version != 1 {
		t.Fatalf("round trip lost fields: %+v", got)
	}
	if len(got.Events) != 1 || got.Events[0].Kind != store.EventRegistered {
		t.Fatalf("events = %+v, want one registered", got.Events)
	}
	if _, err := s.Get(ctx, "cp_missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing: got %v", err)
	}
}

func TestGetByFormToken(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_f", t0))
	got, err := s.GetByFormToken(ctx, "fp-cp_f")
	if err != nil || got.ID != "cp_f" {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := s.GetByFormToken(ctx, "fp-other"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown token: got %v", err)
	}
}

func TestSwapAccountPointerReturnsThePreviousCheckpoint(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	exp := t0.Add(time.Hour)
	for _, step := range []struct{ id, wantPrev string }{
		{"cp_1", ""}, {"cp_2", "cp_1"}, {"cp_2", ""}, {"cp_3", "cp_2"},
	} {
		prev, err := s.SwapAccountPointer(ctx, checkpoint.APIEdges, "acc", step.id, exp)
		if err != nil {
			t.Fatal(err)
		}
		if prev != step.wantPrev {
			t.Fatalf("swap to %s: prev %q, want %q", step.id, prev, step.wantPrev)
		}
	}
	// Another API's account of the same id is another account.
	if prev, _ := s.SwapAccountPointer(ctx, checkpoint.APILinkup, "acc", "cp_9", exp); prev != "" {
		t.Fatalf("linkup account saw edges checkpoint %q", prev)
	}
}

func TestMarkFinalOnlyOnce(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_m", t0))
	_, _ = s.StoreTaskToken(ctx, "cp_m", "tok")
	cp, err := s.MarkFinal(ctx, "cp_m", checkpoint.StatusConnected, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Status != checkpoint.StatusConnected || cp.TaskToken != "" || cp.EndedAt == nil {
		t.Fatalf("final item %+v", cp)
	}
	cp, err = s.MarkFinal(ctx, "cp_m", checkpoint.StatusFailed, "late", t0)
	if !errors.Is(err, store.ErrNotPending) || cp.Status != checkpoint.StatusConnected {
		t.Fatalf("second MarkFinal: %v, status %s", err, cp.Status)
	}
	if _, err := s.StoreTaskToken(ctx, "cp_m", "tok2"); !errors.Is(err, store.ErrNotPending) {
		t.Fatalf("token on an ended checkpoint: %v", err)
	}
}

func TestRecordEventStopsAtTheBound(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_e", t0))
	for range store.MaxEvents + 3 {
		if err := s.RecordEvent(ctx, "cp_e", store.Event{At: t0, Kind: store.EventLateCode}); err != nil {
			t.Fatal(err)
		}
	}
	cp, _ := s.Get(ctx, "cp_e")
	if len(cp.Events) != store.MaxEvents || cp.EventsDropped != 4 {
		t.Fatalf("events %d dropped %d; want %d and 4", len(cp.Events), cp.EventsDropped, store.MaxEvents)
	}
	if err := s.RecordEvent(ctx, "cp_none", store.Event{At: t0, Kind: store.EventLateCode}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("event on a missing checkpoint: %v", err)
	}
}
