package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/dynalitetest"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// Resends, from the form or the state machine, share one bound: at most
// max, at least gap apart, each reserved in one conditional write before
// the provider is asked; a resend the provider did not make is given back.
func TestReserveResendBoundsEveryResend(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_r", t0))
	const gap = 30 * time.Second
	// Eight posts at once: one reservation.
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.ReserveResend(ctx, "cp_r", t0, 2, gap); err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			} else if !errors.Is(err, store.ErrResendTooSoon) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d of 8 concurrent resends reserved, want 1", won)
	}
	if _, err := s.ReserveResend(ctx, "cp_r", t0.Add(gap-time.Second), 2, gap); !errors.Is(err, store.ErrResendTooSoon) {
		t.Fatalf("29 s later: %v, want ErrResendTooSoon", err)
	}
	// The provider did not resend: the reservation is given back, and a
	// retry may follow at once.
	prev, err := s.ReserveResend(ctx, "cp_r", t0.Add(gap), 2, gap)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseResend(ctx, "cp_r", prev); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReserveResend(ctx, "cp_r", t0.Add(gap+time.Second), 2, gap); err != nil {
		t.Fatalf("the retry of a given-back resend: %v", err)
	}
	if _, err := s.ReserveResend(ctx, "cp_r", t0.Add(10*gap), 2, gap); !errors.Is(err, store.ErrTooManyResends) {
		t.Fatalf("a third resend: %v, want ErrTooManyResends", err)
	}
	cp, err := s.Get(ctx, "cp_r")
	if err != nil {
		t.Fatal(err)
	}
	if cp.ResendAttempts != 2 || !cp.LastResendAt.Equal(t0.Add(gap+time.Second)) {
		t.Fatalf("attempts %d, last %v", cp.ResendAttempts, cp.LastResendAt)
	}
}

// "Try another way" is accepted into the queue only while nothing is in
// flight (no code queued or being solved), and at most MaxOtherWays times.
func TestAcceptBoundsTryAnotherWay(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_o", t0))
	other := func(id string) store.QueuedCode {
		q := queued(id, "fp-"+id, "")
		q.Channel, q.Source, q.OtherWay = checkpoint.ChannelForm, "form", true
		return q
	}
	if _, _, err := s.Accept(ctx, "cp_o", other("o1"), 3); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Accept(ctx, "cp_o", other("o2"), 3); !errors.Is(err, store.ErrOtherWayInFlight) {
		t.Fatalf("a second while the first is in flight: %v, want ErrOtherWayInFlight", err)
	}
	// A code may still queue behind it; once both are answered, another
	// way may be asked again, up to the bound.
	if _, _, err := s.Accept(ctx, "cp_o", queued("c1", "fp-c1", "SM1"), 3); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := s.ClaimHead(ctx, "cp_o", i, 0, false, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AnswerHead(ctx, "cp_o", i, 1, store.Answer{Outcome: checkpoint.NextCheckpoint, At: t0}, store.Outcome{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 2; i < store.MaxOtherWays+1; i++ {
		if _, _, err := s.Accept(ctx, "cp_o", other(fmt.Sprint("o", i+1)), 3); err != nil {
			t.Fatalf("with nothing in flight: %v", err)
		}
		if _, err := s.ClaimHead(ctx, "cp_o", i, 0, false, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AnswerHead(ctx, "cp_o", i, 1, store.Answer{Outcome: checkpoint.NextCheckpoint, At: t0}, store.Outcome{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Accept(ctx, "cp_o", other("o9"), 3); !errors.Is(err, store.ErrTooManyOtherWays) {
		t.Fatalf("past the bound: %v, want ErrTooManyOtherWays", err)
	}
}
