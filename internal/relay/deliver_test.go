package relay

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

func sms(msgID, code string, to ...string) Delivery {
	if len(to) == 0 {
		to = []string{"+33612345678"}
	}
	return Delivery{Channel: checkpoint.ChannelSMS, Source: "twilio", MessageID: msgID, Recipients: to, Code: code}
}

func hasEvent(cp *store.Checkpoint, kind store.EventKind) bool {
	for _, e := range cp.Events {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

func TestDeliverSolvesAndResumesTheWaitingExecution(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.postpress.answer("123456", checkpoint.Connected)
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	if err := h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "tok1"}); err != nil {
		t.Fatal(err)
	}
	res, err := h.svc.Deliver(ctx, sms("m1", "123 456"))
	if err != nil {
		t.Fatal(err)
	}
	if res != (DeliveryResult{Status: DeliverySolved, CheckpointID: r.ID, Outcome: checkpoint.Connected}) {
		t.Fatalf("result %+v", res)
	}
	if got := h.postpress.calls(); len(got) != 1 || got[0] != "123456" {
		t.Fatalf("provider saw %v", got)
	}
	sent := h.wf.sent("tok1")
	if len(sent) != 1 || sent[0].Outcome != checkpoint.Connected || sent[0].Mode != checkpoint.ModeCode {
		t.Fatalf("execution resumed with %+v", sent)
	}
	cp := h.item(t, r.ID)
	if cp.FinalOutcome != checkpoint.Connected || cp.TaskToken != "" || cp.LeaseOwner != "" || cp.Status != checkpoint.StatusPending {
		t.Fatalf("item after solve: final %q token %q lease %q status %s", cp.FinalOutcome, cp.TaskToken, cp.LeaseOwner, cp.Status)
	}
	for _, e := range cp.Events {
		if bytes.Contains([]byte(e.Detail), []byte("123456")) {
			t.Fatalf("event %+v holds the code", e)
		}
	}
}

func TestDeliverOutcomes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, h *harness, id string)
		d     Delivery
		want  DeliveryStatus
		// solves is how many solve calls the provider saw in all.
		solves int
		event  store.EventKind
	}{
		{
			name: "a provider's retry of a message is a duplicate",
			setup: func(t *testing.T, h *harness, id string) {
				if _, err := h.svc.Deliver(ctx, sms("m1", "111111")); err != nil {
					t.Fatal(err)
				}
			},
			d: sms("m1", "111111"), want: DeliveryDuplicate, solves: 1,
		},
		{
			name: "an unknown recipient stores nothing",
			d:    sms("m1", "111111", "+15005550006"), want: DeliveryUnknownRecipient, solves: 0,
		},
		{
			name: "a message without a code is recorded",
			d:    Delivery{Channel: checkpoint.ChannelEmail, Source: "ses", MessageID: "e1", Recipients: []string{"user@example.com"}, NoCodeReason: "no digits"},
			want: DeliveryNoCode, solves: 0, event: store.EventNoCode,
		},
		{
			name: "a code after success is late and not submitted",
			setup: func(t *testing.T, h *harness, id string) {
				h.postpress.answer("111111", checkpoint.Connected)
				if _, err := h.svc.Deliver(ctx, sms("m1", "111111")); err != nil {
					t.Fatal(err)
				}
			},
			d: sms("m2", "222222"), want: DeliveryLate, solves: 1, event: store.EventLateCode,
		},
		{
			name: "a code after the end is late",
			setup: func(t *testing.T, h *harness, id string) {
				if _, err := h.svc.Finish(ctx, FinishInput{CheckpointID: id, Status: checkpoint.StatusRestartRequired}); err != nil {
					t.Fatal(err)
				}
			},
			d: sms("m2", "222222"), want: DeliveryLate, solves: 0, event: store.EventLateCode,
		},
		{
			name: "the same code twice is submitted once",
			setup: func(t *testing.T, h *harness, id string) {
				if _, err := h.svc.Deliver(ctx, sms("m1", "111111")); err != nil {
					t.Fatal(err)
				}
			},
			// The same code by email: another message, the same code.
			d:    Delivery{Channel: checkpoint.ChannelEmail, Source: "ses", MessageID: "e1", Recipients: []string{"user@example.com"}, Code: "111111"},
			want: DeliveryCodeReused, solves: 1, event: store.EventCodeReused,
		},
		{
			name: "the most specific recipient with a pending checkpoint wins",
			d:    sms("m1", "111111", "+15005550006", "user@example.com"), want: DeliverySolved, solves: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			r := h.register(t, RegisterRequest{Phone: "+33612345678", Email: "user@example.com"})
			if tc.setup != nil {
				tc.setup(t, h, r.ID)
			}
			res, err := h.svc.Deliver(ctx, tc.d)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.want {
				t.Fatalf("status %s, want %s", res.Status, tc.want)
			}
			if n := len(h.postpress.calls()); n != tc.solves {
				t.Fatalf("%d solve calls, want %d", n, tc.solves)
			}
			if tc.event != "" && !hasEvent(h.item(t, r.ID), tc.event) {
				t.Fatalf("no %s event in %+v", tc.event, h.item(t, r.ID).Events)
			}
		})
	}
}

func TestTwoCodesAtOnceSolveOneAtATime(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.postpress.hold = 30e6 // 30 ms inside each solve
	r := h.register(t, RegisterRequest{Phone: "+33612345678", Email: "user@example.com"})
	var wg sync.WaitGroup
	results := make([]DeliveryResult, MaxWrongCodes)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			results[i], err = h.svc.Deliver(ctx, sms(fmt.Sprint("m", i), fmt.Sprintf("%06d", i)))
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if h.postpress.maxIn != 1 {
		t.Fatalf("%d solve calls overlapped, want 1 at a time", h.postpress.maxIn)
	}
	for _, res := range results {
		if res.Status != DeliverySolved || res.CheckpointID != r.ID {
			t.Fatalf("result %+v", res)
		}
	}
	if cp := h.item(t, r.ID); cp.WrongCodes != MaxWrongCodes {
		t.Fatalf("wrong codes %d, want %d", cp.WrongCodes, MaxWrongCodes)
	}
	// The checkpoint has had its wrong codes: one more never reaches the
	// provider.
	res, err := h.svc.Deliver(ctx, sms("m-last", "999999"))
	if err != nil || res.Status != DeliveryLate {
		t.Fatalf("code after the last wrong one: %+v, %v; want late", res, err)
	}
	if n := len(h.postpress.calls()); n != MaxWrongCodes {
		t.Fatalf("%d solve calls, want %d", n, MaxWrongCodes)
	}
}

func TestABusyLeaseAnswersBusy(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.svc.d.BusyWait = 0
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	if _, err := h.store.ClaimSolve(ctx, r.ID, store.Claim{Owner: "other", Now: h.clock.Now(), LeaseFor: 30e9}); err != nil {
		t.Fatal(err)
	}
	res, err := h.svc.Deliver(ctx, sms("m1", "111111"))
	if err != nil || res.Status != DeliveryBusy {
		t.Fatalf("got %+v, %v; want busy", res, err)
	}
	if len(h.postpress.calls()) != 0 {
		t.Fatal("solved while another held the lease")
	}
	// Nothing was kept of the busy message: the sender's retry, once the
	// lease is free, is solved rather than taken for a duplicate.
	h.clock.Advance(31 * time.Second)
	res, err = h.svc.Deliver(ctx, sms("m1", "111111"))
	if err != nil || res.Status != DeliverySolved {
		t.Fatalf("retry after busy: %+v, %v; want solved", res, err)
	}
}

func TestAnOutcomeBeforeTheTokenIsSentByAwaitCode(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	if _, err := h.svc.Deliver(ctx, sms("m1", "111111")); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	sent := h.wf.sent("tok")
	if len(sent) != 1 || sent[0].Outcome != checkpoint.InvalidCode {
		t.Fatalf("await-code sent %+v, want the parked invalid_code", sent)
	}
	if cp := h.item(t, r.ID); cp.TaskToken != "" || cp.Undelivered != "" {
		t.Fatalf("token %q undelivered %q left on the item", cp.TaskToken, cp.Undelivered)
	}
}

func TestAnOutcomeForADeadTokenWaitsForTheNextAwaitCode(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	_ = h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "timed-out"})
	h.wf.gone["timed-out"] = true
	if _, err := h.svc.Deliver(ctx, sms("m1", "111111")); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "next"}); err != nil {
		t.Fatal(err)
	}
	if sent := h.wf.sent("next"); len(sent) != 1 {
		t.Fatalf("next await-code got %+v, want the outcome once", sent)
	}
}

func TestARetryAnswerLeavesTheCodeSealedForTheSolveTask(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.postpress.answer("424242", checkpoint.Retry)
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	_ = h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "tok"})
	res, err := h.svc.Deliver(ctx, sms("m1", "424242"))
	if err != nil || res.Outcome != checkpoint.Retry {
		t.Fatalf("got %+v, %v", res, err)
	}
	if sent := h.wf.sent("tok"); len(sent) != 1 || sent[0].Outcome != checkpoint.Retry {
		t.Fatalf("execution told %+v, want retry", sent)
	}
	cp := h.item(t, r.ID)
	if cp.SealedPendingCode == nil || bytes.Contains(cp.SealedPendingCode, []byte("424242")) {
		t.Fatalf("pending code %q: want it sealed", cp.SealedPendingCode)
	}
	if code, err := h.sealer.Open(ctx, cp.SealedPendingCode, store.PendingCodeContext(r.ID)); err != nil || string(code) != "424242" {
		t.Fatalf("pending code opens to %q, %v", code, err)
	}

	// Still transient: the task fails with Relay.ProviderRetry and keeps
	// the code.
	_, err = h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolvePendingCode})
	if TaskErrorName(err) != ErrorProviderRetry {
		t.Fatalf("solve error %v, want %s", err, ErrorProviderRetry)
	}
	if h.item(t, r.ID).SealedPendingCode == nil {
		t.Fatal("pending code dropped after a transient answer")
	}
	// Then the provider answers: the code is solved and dropped.
	h.postpress.answer("424242", checkpoint.Connected)
	got, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolvePendingCode})
	if err != nil || got.Outcome != checkpoint.Connected {
		t.Fatalf("solve %+v, %v", got, err)
	}
	if cp := h.item(t, r.ID); cp.SealedPendingCode != nil || cp.FinalOutcome != checkpoint.Connected {
		t.Fatalf("pending code kept or outcome lost: %+v", cp)
	}
	if calls := h.postpress.calls(); len(calls) != 3 {
		t.Fatalf("provider calls %v, want 3 of the same code", calls)
	}
}

func TestNextCheckpointSwitchesTypeAndMode(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.edges.def.Outcome = checkpoint.NextCheckpoint
	h.edges.def.NextCheckpoint = nil
	h.edges.answers["777777"] = nextEmail
	r := h.register(t, RegisterRequest{API: checkpoint.APIEdges, Type: checkpoint.TypeOTP, Phone: "+33612345678"})
	_ = h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "tok"})
	if _, err := h.svc.Deliver(ctx, sms("m1", "777777")); err != nil {
		t.Fatal(err)
	}
	sent := h.wf.sent("tok")
	if len(sent) != 1 || sent[0].Type != checkpoint.TypeInAppValidation || sent[0].Mode != checkpoint.ModePoll {
		t.Fatalf("execution told %+v, want the next type and its mode", sent)
	}
	if cp := h.item(t, r.ID); cp.Type != checkpoint.TypeInAppValidation || cp.Mode != checkpoint.ModePoll {
		t.Fatalf("item type %s mode %s", cp.Type, cp.Mode)
	}
}

func TestWithoutAMessageIDAReusedCodeIsStillRefused(t *testing.T) {
	h := newHarness(t)
	// Without a message id there is nothing to de-duplicate on, but the
	// code fingerprint still refuses a second submission.
	h.register(t, RegisterRequest{Phone: "+33612345678"})
	for i, want := range []DeliveryStatus{DeliverySolved, DeliveryCodeReused} {
		res, err := h.svc.Deliver(context.Background(), sms("", "111111"))
		if err != nil || res.Status != want {
			t.Fatalf("delivery %d: %+v, %v; want %s", i, res, err, want)
		}
	}
}

func TestCodesLoseTheirSeparatorsButKeepTheirCase(t *testing.T) {
	h := newHarness(t)
	h.register(t, RegisterRequest{Phone: "+33612345678"})
	if _, err := h.svc.Deliver(context.Background(), sms("m1", " ab-C1 23 ")); err != nil {
		t.Fatal(err)
	}
	if calls := h.postpress.calls(); len(calls) != 1 || calls[0] != "abC123" {
		t.Fatalf("provider saw %q, want abC123", calls)
	}
}

func TestAFailureBeforeTheSolveLetsTheSendersRetryThrough(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	client := h.svc.d.Providers[checkpoint.APIPostpress]
	delete(h.svc.d.Providers, checkpoint.APIPostpress) // the solve cannot be made
	if _, err := h.svc.Deliver(ctx, sms("m1", "111111")); err == nil {
		t.Fatal("delivery without a client: no error")
	}
	h.svc.d.Providers[checkpoint.APIPostpress] = client
	res, err := h.svc.Deliver(ctx, sms("m1", "111111")) // the provider's retry
	if err != nil || res.Status != DeliverySolved || res.CheckpointID != r.ID {
		t.Fatalf("retry: %+v, %v; want solved", res, err)
	}
	if cp := h.item(t, r.ID); cp.LeaseOwner != "" {
		t.Fatal("the failed attempt kept the lease")
	}
}

func TestAnOutcomeStepFunctionsRefusedIsParked(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	_ = h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "tok"})
	h.wf.broken = true
	res, err := h.svc.Deliver(ctx, sms("m1", "111111"))
	if err != nil || res.Status != DeliverySolved {
		t.Fatalf("%+v, %v", res, err)
	}
	h.wf.broken = false
	if err := h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "tok2"}); err != nil {
		t.Fatal(err)
	}
	if sent := h.wf.sent("tok2"); len(sent) != 1 || sent[0].Outcome != checkpoint.InvalidCode {
		t.Fatalf("next await-code got %+v, want the parked outcome", sent)
	}
}

// TestAParkedOutcomeAwaitCodeCouldNotSendStaysParked: await-code takes the
// outcome parked before its token was stored; if Step Functions then
// refuses the hand-off, the outcome is parked again for the late solve
// (as a code handler's is), not dropped.
func TestAParkedOutcomeAwaitCodeCouldNotSendStaysParked(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	if _, err := h.svc.Deliver(ctx, sms("m1", "111111")); err != nil {
		t.Fatal(err)
	}
	h.wf.broken = true
	if err := h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "tok"}); err != nil {
		t.Fatalf("await-code: %v, want the outcome parked again and the task left to wait", err)
	}
	h.wf.broken = false
	got, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveLate})
	if err != nil || got.Outcome != checkpoint.InvalidCode || got.WrongCodes != 1 {
		t.Fatalf("late solve: %+v, %v; want the parked invalid_code", got, err)
	}
}

// TestAnOutcomeWhoseHandOffLandedDespiteAnErrorFollowsTheNextToken: the
// SendTaskSuccess landed but its answer was lost, and the execution's next
// await-code stored a new token before the result was to be parked. The
// write that parks takes that token instead; the result goes to it (the
// execution sees it twice, which its counters absorb) rather than
// vanishing with the token, and the lease is released.
func TestAnOutcomeWhoseHandOffLandedDespiteAnErrorFollowsTheNextToken(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	if err := h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	h.wf.landsThenFails = map[string]func(){"tok": func() {
		if err := h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "tok2"}); err != nil {
			t.Errorf("next await-code: %v", err)
		}
	}}
	res, err := h.svc.Deliver(ctx, sms("m1", "111111"))
	if err != nil || res.Status != DeliverySolved {
		t.Fatalf("%+v, %v", res, err)
	}
	if sent := h.wf.sent("tok2"); len(sent) != 1 || sent[0].Outcome != checkpoint.InvalidCode {
		t.Fatalf("the next await-code got %+v, want the outcome", sent)
	}
	if cp := h.item(t, r.ID); cp.LeaseOwner != "" {
		t.Fatalf("lease still held by %q", cp.LeaseOwner)
	}
}
