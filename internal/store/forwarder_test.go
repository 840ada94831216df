package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/dynalitetest"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

func TestForwarderLifecycle(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	f := &store.Forwarder{ID: "fw_b", Kind: "sms-gate", Phone: "+14155550111", SealedSecret: []byte{1}, CreatedAt: t0, HeartbeatSeconds: 3600}
	if err := s.CreateForwarder(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateForwarder(ctx, f); !errors.Is(err, store.ErrForwarderExists) {
		t.Fatalf("second create: %v", err)
	}
	if err := s.CreateForwarder(ctx, &store.Forwarder{ID: "fw_a", Kind: "postmark", Email: "a@example.com", SealedSecret: []byte{2}, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchForwarder(ctx, "fw_b", store.ForwarderContact{Heartbeat: true, SIMs: []string{"+14155550112"}}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchForwarder(ctx, "fw_b", store.ForwarderContact{Message: true}, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetForwarder(ctx, "fw_b")
	if err != nil {
		t.Fatal(err)
	}
	if got.LastHeartbeatAt == nil || !got.LastHeartbeatAt.Equal(t0.Add(time.Minute)) || got.LastMessageAt == nil ||
		!got.LastMessageAt.Equal(t0.Add(2*time.Minute)) || len(got.SIMs) != 1 || got.Version != 3 {
		t.Fatalf("after touches: %+v", got)
	}
	rot, err := s.RotateForwarderSecret(ctx, "fw_b", []byte{9}, t0.Add(time.Hour))
	if err != nil || string(rot.SealedSecret) != "\x09" || !rot.RotatedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("rotate: %+v %v", rot, err)
	}
	list, err := s.ListForwarders(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "fw_a" || list[1].ID != "fw_b" {
		t.Fatalf("list: %+v %v", list, err)
	}
	if err := s.DeleteForwarder(ctx, "fw_b"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteForwarder(ctx, "fw_b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	// A late webhook never recreates a revoked forwarder.
	if err := s.TouchForwarder(ctx, "fw_b", store.ForwarderContact{Message: true}, t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("touch after delete: %v", err)
	}
	if _, err := s.RotateForwarderSecret(ctx, "fw_b", []byte{1}, t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rotate after delete: %v", err)
	}
	if _, err := s.GetForwarder(ctx, "fw_b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
}

func TestConfirmationsKeptADay(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	for i, at := range []time.Time{t0.Add(-25 * time.Hour), t0.Add(-time.Hour), t0.Add(-time.Minute)} {
		c := &store.Confirmation{Address: "alice@gmail.com", Provider: "gmail", MessageID: string(rune('a' + i)), ReceivedAt: at, Sealed: []byte{byte(i)}}
		if err := s.PutConfirmation(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.Confirmations(ctx, "alice@gmail.com", t0)
	if err != nil || len(list) != 2 || list[0].MessageID != "c" || list[1].MessageID != "b" {
		t.Fatalf("confirmations: %+v %v", list, err)
	}
	if list, _ := s.Confirmations(ctx, "bob@gmail.com", t0); len(list) != 0 {
		t.Fatalf("another address: %+v", list)
	}
}
