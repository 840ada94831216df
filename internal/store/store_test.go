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

func TestNewestForRecipient(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	old := newCP("cp_old", t0)
	mid := newCP("cp_mid", t0.Add(time.Second))
	// A created_at whose nanoseconds end in zeros must still sort after
	// an earlier one (fixed-width sort keys).
	newest := newCP("cp_new", t0.Add(time.Second+100*time.Millisecond))
	for _, cp := range []*store.Checkpoint{old, mid, newest} {
		create(t, s, cp)
	}
	check := func(recipient, want string) {
		t.Helper()
		got, err := s.NewestForRecipient(ctx, recipient)
		if err != nil {
			t.Fatalf("%s: %v", recipient, err)
		}
		if got.ID != want {
			t.Fatalf("%s: got %s, want %s", recipient, got.ID, want)
		}
	}
	check("+33612345678", "cp_new")
	check("user@example.com", "cp_new")
	if _, err := s.MarkFinal(ctx, "cp_new", checkpoint.StatusConnected, "", t0); err != nil {
		t.Fatal(err)
	}
	check("+33612345678", "cp_mid") // newest pending wins over a newer ended one
	for _, id := range []string{"cp_mid", "cp_old"} {
		if _, err := s.MarkFinal(ctx, id, checkpoint.StatusFailed, "", t0); err != nil {
			t.Fatal(err)
		}
	}
	check("+33612345678", "cp_new") // none pending: the newest, to record a late code
	if _, err := s.NewestForRecipient(ctx, "+15550000000"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown recipient: got %v", err)
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

func TestMarkMessageSeenOnce(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	for i, want := range []bool{true, false, false} {
		first, err := s.MarkMessageSeen(ctx, "twilio", "SM123", t0)
		if err != nil {
			t.Fatal(err)
		}
		if first != want {
			t.Fatalf("call %d: first=%v, want %v", i, first, want)
		}
	}
	if first, _ := s.MarkMessageSeen(ctx, "vonage", "SM123", t0); !first {
		t.Fatal("same id from another source must count as new")
	}
	if err := s.ForgetMessage(ctx, "twilio", "SM123"); err != nil {
		t.Fatal(err)
	}
	if first, _ := s.MarkMessageSeen(ctx, "twilio", "SM123", t0); !first {
		t.Fatal("a forgotten id still counts as seen")
	}
}

func claim(owner, fp string, now time.Time) store.Claim {
	return store.Claim{Owner: owner, CodeFP: fp, Now: now, LeaseFor: 30 * time.Second}
}

func TestClaimSolve(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_c", t0))

	cp, err := s.ClaimSolve(ctx, "cp_c", claim("a", "code1", t0))
	if err != nil {
		t.Fatal(err)
	}
	if cp.LeaseOwner != "a" || !cp.UsedCode("code1") {
		t.Fatalf("claim not recorded: %+v", cp)
	}
	if _, err := s.ClaimSolve(ctx, "cp_c", claim("b", "code2", t0.Add(time.Second))); !errors.Is(err, store.ErrBusy) {
		t.Fatalf("claim while leased: got %v, want ErrBusy", err)
	}
	if _, err := s.ClaimSolve(ctx, "cp_c", claim("b", "code2", t0.Add(31*time.Second))); err != nil {
		t.Fatalf("claim after lease expiry: %v", err)
	}
	if err := s.ReleaseLease(ctx, "cp_c", "b", "code2"); err != nil {
		t.Fatal(err)
	}
	if cp, _ := s.Get(ctx, "cp_c"); cp.UsedCode("code2") || !cp.UsedCode("code1") || cp.LeaseOwner != "" {
		t.Fatalf("release kept the unsent code or the lease: %+v", cp)
	}
	if _, err := s.ClaimSolve(ctx, "cp_c", claim("c", "code1", t0.Add(32*time.Second))); !errors.Is(err, store.ErrCodeReused) {
		t.Fatalf("code used twice: got %v, want ErrCodeReused", err)
	}
	if _, err := s.ClaimSolve(ctx, "cp_c", claim("c", "", t0.Add(33*time.Second))); err != nil {
		t.Fatalf("claim without code (poll): %v", err)
	}
	if _, err := s.Settle(ctx, "cp_c", "c", store.Outcome{Event: store.Event{At: t0, Kind: store.EventSolve}, Final: checkpoint.Connected}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimSolve(ctx, "cp_c", claim("d", "code3", t0.Add(34*time.Second))); !errors.Is(err, store.ErrNotPending) {
		t.Fatalf("claim after a final outcome: got %v, want ErrNotPending", err)
	}
	if _, err := s.ClaimSolve(ctx, "cp_nope", claim("d", "code3", t0)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claim of missing checkpoint: got %v", err)
	}
}

func TestClaimSolveRefusesOnceTheFormIsLocked(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_l", t0))
	for i := range 2 {
		c := claim("o", fmt.Sprint("code", i), t0)
		c.MaxFormWrongCodes = 2
		if _, err := s.ClaimSolve(ctx, "cp_l", c); err != nil {
			t.Fatalf("claim %d: %v", i, err)
		}
		if _, err := s.Settle(ctx, "cp_l", "o", store.Outcome{FormWrongCodes: 1, WrongCodes: 1}); err != nil {
			t.Fatal(err)
		}
	}
	c := claim("o", "code9", t0)
	c.MaxFormWrongCodes = 2
	if _, err := s.ClaimSolve(ctx, "cp_l", c); !errors.Is(err, store.ErrFormLocked) {
		t.Fatalf("got %v, want ErrFormLocked", err)
	}
	// An SMS code (no form limit) is still accepted.
	if _, err := s.ClaimSolve(ctx, "cp_l", claim("o", "code9", t0)); err != nil {
		t.Fatalf("sms claim on a locked form: %v", err)
	}
}

func TestConcurrentClaimsHaveExactlyOneWinner(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_race", t0))
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half submit the same code, half different ones.
			_, errs[i] = s.ClaimSolve(ctx, "cp_race", claim(fmt.Sprint("owner", i), fmt.Sprint("code", i%2), t0))
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, store.ErrBusy), errors.Is(err, store.ErrCodeReused):
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d claims won, want exactly 1", wins)
	}
}

func TestOutcomeReachesTheExecutionExactlyOnce(t *testing.T) {
	ctx := context.Background()
	result := `{"outcome":"invalid_code"}`
	out := store.Outcome{Event: store.Event{At: t0, Kind: store.EventSolve}, WrongCodes: 1, Result: result}

	t.Run("outcome before token", func(t *testing.T) {
		s := dynalitetest.Store(t)
		create(t, s, newCP("cp_o", t0))
		h, err := s.Settle(ctx, "cp_o", "", out)
		if err != nil {
			t.Fatal(err)
		}
		if !h.Parked || h.TaskToken != "" || h.Checkpoint.WrongCodes != 1 {
			t.Fatalf("handoff %+v: want parked", h)
		}
		got, err := s.StoreTaskToken(ctx, "cp_o", "tok1")
		if err != nil || got != result {
			t.Fatalf("StoreTaskToken = %q, %v; want the parked result", got, err)
		}
		// Taken once: the next await-code stores its token.
		if got, err := s.StoreTaskToken(ctx, "cp_o", "tok2"); err != nil || got != "" {
			t.Fatalf("second StoreTaskToken = %q, %v", got, err)
		}
	})

	t.Run("token before outcome", func(t *testing.T) {
		s := dynalitetest.Store(t)
		create(t, s, newCP("cp_t", t0))
		if got, err := s.StoreTaskToken(ctx, "cp_t", "tok1"); err != nil || got != "" {
			t.Fatalf("StoreTaskToken = %q, %v", got, err)
		}
		h, err := s.Settle(ctx, "cp_t", "", out)
		if err != nil {
			t.Fatal(err)
		}
		if h.TaskToken != "tok1" || h.Parked {
			t.Fatalf("handoff %+v: want token tok1", h)
		}
		cp, _ := s.Get(ctx, "cp_t")
		if cp.TaskToken != "" || cp.Undelivered != "" {
			t.Fatalf("token or result left behind: %+v", cp)
		}
	})

	t.Run("dead token parks the result", func(t *testing.T) {
		s := dynalitetest.Store(t)
		create(t, s, newCP("cp_d", t0))
		_, _ = s.StoreTaskToken(ctx, "cp_d", "dead")
		stale := out
		stale.StaleToken = "dead"
		h, err := s.Settle(ctx, "cp_d", "", stale)
		if err != nil || !h.Parked {
			t.Fatalf("handoff %+v, %v: want parked", h, err)
		}
	})

	t.Run("race", func(t *testing.T) {
		s := dynalitetest.Store(t)
		for i := range 6 {
			id := fmt.Sprint("cp_r", i)
			create(t, s, newCP(id, t0))
			var (
				wg     sync.WaitGroup
				h      store.Handoff
				parked string
				e1, e2 error
			)
			wg.Add(2)
			go func() { defer wg.Done(); h, e1 = s.Settle(ctx, id, "", out) }()
			go func() { defer wg.Done(); parked, e2 = s.StoreTaskToken(ctx, id, "tok") }()
			wg.Wait()
			if e1 != nil || e2 != nil {
				t.Fatal(e1, e2)
			}
			viaToken := h.TaskToken == "tok"
			viaAwait := parked == result
			if viaToken == viaAwait {
				t.Fatalf("round %d: delivered by settle=%v and by await=%v; want exactly one", i, viaToken, viaAwait)
			}
		}
	})
}

func TestSettleRequiresTheLease(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_s", t0))
	if _, err := s.ClaimSolve(ctx, "cp_s", claim("a", "c1", t0)); err != nil {
		t.Fatal(err)
	}
	_, err := s.Settle(ctx, "cp_s", "intruder", store.Outcome{Result: "{}"})
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("got %v, want ErrLeaseLost", err)
	}
	h, err := s.Settle(ctx, "cp_s", "a", store.Outcome{
		NewType: checkpoint.TypeEmail, NewMode: checkpoint.ModeCode, SealedPendingCode: []byte("sealed"), Result: "{}",
	})
	if err != nil {
		t.Fatal(err)
	}
	if h.Checkpoint.LeaseOwner != "" || h.Checkpoint.Type != checkpoint.TypeEmail {
		t.Fatalf("lease kept or type not switched: %+v", h.Checkpoint)
	}
	for i, want := range []string{"sealed", ""} {
		got, err := s.TakePendingCode(ctx, "cp_s")
		if err != nil || string(got) != want {
			t.Fatalf("take %d: %q, %v; want %q", i, got, err, want)
		}
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
