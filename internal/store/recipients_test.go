package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/dynalitetest"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

func ids(cps []*store.Checkpoint) []string {
	var out []string
	for _, cp := range cps {
		out = append(out, cp.ID)
	}
	return out
}

func TestPendingForRecipientHasNoScanWindow(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	old := newCP("cp_old", t0)
	create(t, s, old)
	// Twelve newer checkpoints on the same number, all ended.
	for i := range 12 {
		cp := newCP(fmt.Sprintf("cp_ended%02d", i), t0.Add(time.Duration(i+1)*time.Second))
		create(t, s, cp)
		if _, err := s.MarkFinal(ctx, cp.ID, checkpoint.StatusSuperseded, "test", t0); err != nil {
			t.Fatal(err)
		}
	}
	also := newCP("cp_new", t0.Add(time.Minute))
	also.Email = "other@example.com"
	create(t, s, also)
	for range 2 { // the second lookup reads only the pointers left unmarked
		got, err := s.PendingForRecipient(ctx, "+33612345678")
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids(got)) != "[cp_old cp_new]" {
			t.Fatalf("pending = %v, want the old one past 12 ended ones, and the new one", ids(got))
		}
	}
	got, err := s.PendingForRecipient(ctx, "user@example.com")
	if err != nil || fmt.Sprint(ids(got)) != "[cp_old]" {
		t.Fatalf("by email: %v %v", ids(got), err)
	}
	if got, err := s.PendingForRecipient(ctx, "+15550000000"); err != nil || len(got) != 0 {
		t.Fatalf("unknown recipient: %v %v", ids(got), err)
	}
}

func TestLatestForRecipient(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	if _, err := s.LatestForRecipient(ctx, "+33612345678"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown recipient: %v", err)
	}
	create(t, s, newCP("cp_a", t0))
	// created_at nanoseconds ending in zeros still sort after an earlier
	// one (fixed-width sort keys).
	b := newCP("cp_b", t0.Add(time.Second+100*time.Millisecond))
	create(t, s, b)
	if _, err := s.MarkFinal(ctx, "cp_b", checkpoint.StatusConnected, "solved", t0); err != nil {
		t.Fatal(err)
	}
	got, err := s.LatestForRecipient(ctx, "+33612345678")
	if err != nil || got.ID != "cp_b" {
		t.Fatalf("latest = %v %v, want cp_b whatever its status", got, err)
	}
}

func TestEarlyCodesKeepArrivalOrderAndAreTakenOnce(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	for i, key := range []string{"twilio#SM2", "twilio#SM1", "ses#m3"} {
		e := store.EarlyCode{Recipient: "+33612345678", ArrivedAt: t0.Add(time.Duration(2-i) * time.Second), Key: key,
			SealedCode: []byte{byte(i)}, Channel: checkpoint.ChannelSMS, Source: "twilio", MessageID: key,
			Sender: "fp-sender", Service: "LINKEDIN", SentAt: t0.Add(-time.Second)}
		if err := s.HoldEarlyCode(ctx, e, 10*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	old := store.EarlyCode{Recipient: "+33612345678", ArrivedAt: t0.Add(-11 * time.Minute), Key: "old", SealedCode: []byte{9}}
	if err := s.HoldEarlyCode(ctx, old, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	got, err := s.EarlyCodes(ctx, "+33612345678", t0.Add(-10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range got {
		keys = append(keys, e.Key)
	}
	if fmt.Sprint(keys) != "[ses#m3 twilio#SM1 twilio#SM2]" {
		t.Fatalf("early codes = %v, want arrival order without the one past the window", keys)
	}
	if e := got[1]; e.Service != "LINKEDIN" || e.Sender != "fp-sender" || !e.SentAt.Equal(t0.Add(-time.Second)) || string(e.SealedCode) != "\x01" {
		t.Fatalf("fields lost: %+v", e)
	}
	// Two registrations race for one early code: one takes it.
	var took atomic.Int32
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.TakeEarlyCode(ctx, got[0])
			if err != nil {
				t.Error(err)
			}
			if ok {
				took.Add(1)
			}
		}()
	}
	wg.Wait()
	if took.Load() != 1 {
		t.Fatalf("taken %d times", took.Load())
	}
	if left, _ := s.EarlyCodes(ctx, "+33612345678", t0.Add(-10*time.Minute)); len(left) != 2 {
		t.Fatalf("left %d, want 2", len(left))
	}
}

func TestDistrustedSenderIsTrustedAgainAfterAResend(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_u", t0))
	if err := s.DistrustSender(ctx, "cp_u", "fp-stranger", store.Event{At: t0, Kind: store.EventSolve, Detail: "untrusted"}); err != nil {
		t.Fatal(err)
	}
	cp, _ := s.Get(ctx, "cp_u")
	if fmt.Sprint(cp.UntrustedSenders) != "[fp-stranger]" || !cp.RequestedAt().Equal(t0) {
		t.Fatalf("after distrust: %v %v", cp.UntrustedSenders, cp.RequestedAt())
	}
	at := t0.Add(3 * time.Minute)
	if _, err := s.Record(ctx, "cp_u", store.Outcome{Event: store.Event{At: at, Kind: store.EventResend, Outcome: checkpoint.Resent}, Resends: 1}); err != nil {
		t.Fatal(err)
	}
	cp, _ = s.Get(ctx, "cp_u")
	if len(cp.UntrustedSenders) != 0 || !cp.RequestedAt().Equal(at) {
		t.Fatalf("after resend: %v %v", cp.UntrustedSenders, cp.RequestedAt())
	}
	if err := s.DistrustSender(ctx, "cp_missing", "fp", store.Event{At: t0, Kind: store.EventSolve}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}
