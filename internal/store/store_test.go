package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

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

func TestClaimSolveRefusesOnceTheCheckpointHadItsWrongCodes(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_l", t0))
	for i := range 2 {
		c := claim("o", fmt.Sprint("code", i), t0)
		c.MaxWrongCodes = 2
		if _, err := s.ClaimSolve(ctx, "cp_l", c); err != nil {
			t.Fatalf("claim %d: %v", i, err)
		}
		// One wrong code by the form, one by SMS: both count.
		if _, err := s.Settle(ctx, "cp_l", "o", store.Outcome{FormWrongCodes: 1 - i, WrongCodes: 1}); err != nil {
			t.Fatal(err)
		}
	}
	c := claim("o", "code9", t0)
	c.MaxWrongCodes = 2
	if _, err := s.ClaimSolve(ctx, "cp_l", c); !errors.Is(err, store.ErrTooManyWrongCodes) {
		t.Fatalf("got %v, want ErrTooManyWrongCodes", err)
	}
	// A claim without a bound (a generated TOTP code) is still accepted.
	if _, err := s.ClaimSolve(ctx, "cp_l", claim("o", "code9", t0)); err != nil {
		t.Fatalf("unbounded claim: %v", err)
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

func TestMarkFinalWaitsForAHeldLease(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_lease", t0))
	if _, err := s.ClaimSolve(ctx, "cp_lease", claim("solver", "code1", t0)); err != nil {
		t.Fatal(err)
	}
	cp, err := s.MarkFinal(ctx, "cp_lease", checkpoint.StatusRestartRequired, "no_code_received", t0.Add(time.Second))
	if !errors.Is(err, store.ErrBusy) || cp.Status != checkpoint.StatusPending || cp.LeaseOwner != "solver" {
		t.Fatalf("MarkFinal during a solve: %v, item %+v; want ErrBusy and the item untouched", err, cp)
	}
	// The solver records its outcome: the lease it still held is honoured.
	if _, err := s.Settle(ctx, "cp_lease", "solver", store.Outcome{WrongCodes: 1}); err != nil {
		t.Fatalf("settle after the refused finish: %v", err)
	}
	if _, err := s.MarkFinal(ctx, "cp_lease", checkpoint.StatusRestartRequired, "no_code_received", t0.Add(2*time.Second)); err != nil {
		t.Fatalf("MarkFinal once the lease is free: %v", err)
	}

	// A lease past its end belongs to a dead solver: it does not block.
	create(t, s, newCP("cp_dead", t0))
	if _, err := s.ClaimSolve(ctx, "cp_dead", claim("dead", "code1", t0)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkFinal(ctx, "cp_dead", checkpoint.StatusFailed, "internal_error", t0.Add(31*time.Second)); err != nil {
		t.Fatalf("MarkFinal after the lease ran out: %v", err)
	}

	// A newer registration supersedes at once, lease or not.
	create(t, s, newCP("cp_sup", t0))
	if _, err := s.ClaimSolve(ctx, "cp_sup", claim("solver", "code1", t0)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkFinal(ctx, "cp_sup", checkpoint.StatusSuperseded, "superseded", t0.Add(time.Second)); err != nil {
		t.Fatalf("supersede during a solve: %v", err)
	}
	if _, err := s.Settle(ctx, "cp_sup", "solver", store.Outcome{Final: checkpoint.Connected}); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("settle after the supersede: %v, want ErrLeaseLost", err)
	}
}

func TestMarkFinalHonoursTheRecordedOutcome(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		recorded checkpoint.Outcome
		asked    checkpoint.Status
		ok       bool
	}{
		{checkpoint.Connected, checkpoint.StatusRestartRequired, false},
		{checkpoint.Connected, checkpoint.StatusFailed, false},
		{checkpoint.Connected, checkpoint.StatusNeedsHuman, false},
		{checkpoint.Connected, checkpoint.StatusConnected, true},
		{checkpoint.Restart, checkpoint.StatusFailed, false},
		{checkpoint.Restart, checkpoint.StatusRestartRequired, true},
		{checkpoint.Rejected, checkpoint.StatusRestartRequired, false},
		{checkpoint.Rejected, checkpoint.StatusFailed, true},
		{"", checkpoint.StatusRestartRequired, true},
	} {
		t.Run(fmt.Sprintf("%s_then_%s", tc.recorded, tc.asked), func(t *testing.T) {
			s := dynalitetest.Store(t)
			create(t, s, newCP("cp_f", t0))
			if tc.recorded != "" {
				if _, err := s.ClaimSolve(ctx, "cp_f", claim("a", "code1", t0)); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Settle(ctx, "cp_f", "a", store.Outcome{Final: tc.recorded}); err != nil {
					t.Fatal(err)
				}
			}
			cp, err := s.MarkFinal(ctx, "cp_f", tc.asked, "why", t0.Add(time.Second))
			switch {
			case tc.ok && (err != nil || cp.Status != tc.asked):
				t.Fatalf("got %v, status %v; want it ended %s", err, cp, tc.asked)
			case !tc.ok && (!errors.Is(err, store.ErrOutcomeRecorded) || cp.Status != checkpoint.StatusPending):
				t.Fatalf("got %v; want ErrOutcomeRecorded and the checkpoint still pending", err)
			}
		})
	}
}

// TestAFinishNeverOverridesASolveThatRacesIt: a code claimed, solved
// (connected) and settled while the state machine finishes the checkpoint
// for want of a code: the conditional writes leave exactly two ends
// possible, a late code (the finish came first) or connected.
func TestAFinishNeverOverridesASolveThatRacesIt(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	for i := range 8 {
		id := fmt.Sprint("cp_fr", i)
		create(t, s, newCP(id, t0))
		var (
			wg      sync.WaitGroup
			claimed bool
			settled error
		)
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := s.ClaimSolve(ctx, id, claim("solver", "code", t0)); err != nil {
				return
			}
			claimed = true
			_, settled = s.Settle(ctx, id, "solver", store.Outcome{Final: checkpoint.Connected})
		}()
		go func() {
			defer wg.Done()
			for range 200 {
				_, err := s.MarkFinal(ctx, id, checkpoint.StatusRestartRequired, "no_code_received", t0.Add(time.Second))
				if !errors.Is(err, store.ErrBusy) {
					return
				}
			}
		}()
		wg.Wait()
		cp, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case claimed && settled != nil:
			t.Fatalf("round %d: the solver lost its lease to the finish: %v", i, settled)
		case claimed && (cp.Status != checkpoint.StatusPending || cp.FinalOutcome != checkpoint.Connected):
			t.Fatalf("round %d: solved connected, item %s/%s", i, cp.Status, cp.FinalOutcome)
		case !claimed && cp.Status != checkpoint.StatusRestartRequired:
			t.Fatalf("round %d: nothing claimed, item %s", i, cp.Status)
		}
	}
}

// settlesAfterAFailedWrite is a DynamoDB client on which the first
// conditional write that fails is followed, before its caller can read
// the item, by hook: the solve that held the lease settles in between.
type settlesAfterAFailedWrite struct {
	store.DB
	once sync.Once
	hook func()
}

func (d *settlesAfterAFailedWrite) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := d.DB.UpdateItem(ctx, in, opts...)
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		d.once.Do(d.hook)
	}
	return out, err
}

// TestMarkFinalRefusedByALeaseReleasedSinceIsBusy: the refusal's reason is
// read after the write; a lease released in between leaves no visible
// reason, and the answer is still "busy, try again", not a failure.
func TestMarkFinalRefusedByALeaseReleasedSinceIsBusy(t *testing.T) {
	ctx := context.Background()
	client := dynalitetest.Client(dynalitetest.Start(t))
	table := dynalitetest.NewTable(t, client)
	plain := store.New(client, table)
	create(t, plain, newCP("cp_rel", t0))
	if _, err := plain.ClaimSolve(ctx, "cp_rel", claim("solver", "code1", t0)); err != nil {
		t.Fatal(err)
	}
	db := &settlesAfterAFailedWrite{DB: client, hook: func() {
		if _, err := plain.Settle(ctx, "cp_rel", "solver", store.Outcome{WrongCodes: 1}); err != nil {
			t.Errorf("settle: %v", err)
		}
	}}
	s := store.New(db, table)
	if _, err := s.MarkFinal(ctx, "cp_rel", checkpoint.StatusRestartRequired, "no_code_received", t0.Add(time.Second)); !errors.Is(err, store.ErrBusy) {
		t.Fatalf("got %v, want ErrBusy", err)
	}
	if _, err := s.MarkFinal(ctx, "cp_rel", checkpoint.StatusRestartRequired, "no_code_received", t0.Add(time.Second)); err != nil {
		t.Fatalf("the finish after the solve settled: %v", err)
	}
}

// TestTheLeaseCoversTheHandOff: a result on its way to the execution
// (its token taken, not yet sent) keeps the solve lease, so a finish
// waits for it; parking the result after a dead token releases it.
func TestTheLeaseCoversTheHandOff(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_h", t0))
	if _, err := s.StoreTaskToken(ctx, "cp_h", "tok"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimSolve(ctx, "cp_h", claim("solver", "code1", t0)); err != nil {
		t.Fatal(err)
	}
	out := store.Outcome{Event: store.Event{At: t0, Kind: store.EventSolve}, NewType: checkpoint.TypeEmail, Result: `{"outcome":"next_checkpoint"}`}
	h, err := s.Settle(ctx, "cp_h", "solver", out)
	if err != nil || h.TaskToken != "tok" || h.Checkpoint.LeaseOwner != "solver" {
		t.Fatalf("settle %+v, %v; want the token taken and the lease kept", h, err)
	}
	if _, err := s.MarkFinal(ctx, "cp_h", checkpoint.StatusRestartRequired, "no_code_received", t0.Add(time.Second)); !errors.Is(err, store.ErrBusy) {
		t.Fatalf("finish while the result is on its way: %v, want ErrBusy", err)
	}
	// The token was dead (the wait had timed out): the result is parked
	// and the lease released, in one write.
	h, err = s.Settle(ctx, "cp_h", "solver", store.Outcome{Result: out.Result, StaleToken: "tok"})
	if err != nil || !h.Parked || h.Checkpoint.LeaseOwner != "" {
		t.Fatalf("park %+v, %v; want parked and the lease free", h, err)
	}
	if got, err := s.TakeUndelivered(ctx, "cp_h"); err != nil || got != out.Result {
		t.Fatalf("parked %q, %v", got, err)
	}
}

// TestMarkFinalOfTheRecordedEndRefusedByALeaseReleasedSinceIsBusy: a
// finish that asks for the very end the provider's answer recorded, refused
// only because that answer's hand-off still held the lease, is busy (try
// again), not ErrOutcomeRecorded: the recorded outcome does not end the
// checkpoint otherwise.
func TestMarkFinalOfTheRecordedEndRefusedByALeaseReleasedSinceIsBusy(t *testing.T) {
	ctx := context.Background()
	client := dynalitetest.Client(dynalitetest.Start(t))
	table := dynalitetest.NewTable(t, client)
	plain := store.New(client, table)
	create(t, plain, newCP("cp_relc", t0))
	if _, err := plain.StoreTaskToken(ctx, "cp_relc", "tok"); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.ClaimSolve(ctx, "cp_relc", claim("solver", "code1", t0)); err != nil {
		t.Fatal(err)
	}
	// The token is taken and the lease kept while the result is on its way.
	if h, err := plain.Settle(ctx, "cp_relc", "solver", store.Outcome{Final: checkpoint.Connected, Result: `{"outcome":"connected"}`}); err != nil || h.TaskToken != "tok" {
		t.Fatalf("settle %+v, %v", h, err)
	}
	db := &settlesAfterAFailedWrite{DB: client, hook: func() {
		if err := plain.ReleaseLease(ctx, "cp_relc", "solver", ""); err != nil {
			t.Errorf("release: %v", err)
		}
	}}
	s := store.New(db, table)
	if _, err := s.MarkFinal(ctx, "cp_relc", checkpoint.StatusConnected, "solved", t0.Add(time.Second)); !errors.Is(err, store.ErrBusy) {
		t.Fatalf("got %v, want ErrBusy", err)
	}
	cp, err := s.MarkFinal(ctx, "cp_relc", checkpoint.StatusConnected, "solved", t0.Add(time.Second))
	if err != nil || cp.Status != checkpoint.StatusConnected {
		t.Fatalf("the finish after the hand-off: %v, %v", cp, err)
	}
}

// failsReadsAfterAWrite is a DynamoDB client whose reads fail once armed,
// as a throttled GetItem does.
type failsReadsAfterAWrite struct {
	store.DB
	mu    sync.Mutex
	armed bool
}

func (d *failsReadsAfterAWrite) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := d.DB.UpdateItem(ctx, in, opts...)
	if err == nil {
		d.mu.Lock()
		d.armed = true
		d.mu.Unlock()
	}
	return out, err
}

func (d *failsReadsAfterAWrite) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	d.mu.Lock()
	armed := d.armed
	d.mu.Unlock()
	if armed {
		return nil, errors.New("throttled")
	}
	return d.DB.GetItem(ctx, in, opts...)
}

// TestSettleHandsOverATakenTokenEvenIfTheItemCannotBeReadBack: once the
// write has taken the task token off the item, nobody else can send the
// result: a read that fails after it must not swallow the token.
func TestSettleHandsOverATakenTokenEvenIfTheItemCannotBeReadBack(t *testing.T) {
	ctx := context.Background()
	client := dynalitetest.Client(dynalitetest.Start(t))
	table := dynalitetest.NewTable(t, client)
	plain := store.New(client, table)
	create(t, plain, newCP("cp_rb", t0))
	if _, err := plain.StoreTaskToken(ctx, "cp_rb", "tok"); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.ClaimSolve(ctx, "cp_rb", claim("solver", "code1", t0)); err != nil {
		t.Fatal(err)
	}
	s := store.New(&failsReadsAfterAWrite{DB: client}, table)
	h, err := s.Settle(ctx, "cp_rb", "solver", store.Outcome{WrongCodes: 1, Result: `{"outcome":"invalid_code"}`})
	if err != nil || h.TaskToken != "tok" {
		t.Fatalf("settle %+v, %v; want the token handed over", h, err)
	}
	if cp, err := plain.Get(ctx, "cp_rb"); err != nil || cp.TaskToken != "" || cp.WrongCodes != 1 {
		t.Fatalf("item %+v, %v", cp, err)
	}
}
