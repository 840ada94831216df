package relay

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// The end of a code wait against a code being solved: finish, resend and
// the late solve wait for the solve lease, and the provider's answer is
// the end.

// deliverAsync delivers d in the background.
func (h *harness) deliverAsync(d Delivery) <-chan deliveryDone {
	done := make(chan deliveryDone, 1)
	go func() {
		r, err := h.svc.Deliver(context.Background(), d)
		done <- deliveryDone{r, err}
	}()
	return done
}

type deliveryDone struct {
	res DeliveryResult
	err error
}

func requireSolved(t *testing.T, done <-chan deliveryDone, want checkpoint.Outcome) {
	t.Helper()
	d := <-done
	if d.err != nil || d.res.Status != DeliverySolved || d.res.Outcome != want {
		t.Fatalf("delivery %+v, %v; want solved %s and no error (the provider has the code)", d.res, d.err, want)
	}
}

func callbacksOf(t *testing.T, sink *callbackSink) []Callback {
	t.Helper()
	sink.mu.Lock()
	defer sink.mu.Unlock()
	var out []Callback
	for _, b := range sink.bodies {
		var cb Callback
		if err := json.Unmarshal(b, &cb); err != nil {
			t.Fatal(err)
		}
		out = append(out, cb)
	}
	return out
}

func newSink(t *testing.T) (*callbackSink, string) {
	sink := &callbackSink{status: http.StatusNoContent}
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)
	return sink, srv.URL + "/cb"
}

func TestFinishMeetingACodeBeingSolvedEndsConnected(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.svc.d.BusyWait = 20 * time.Millisecond
	sink, url := newSink(t)
	h.edges.answer("424242", checkpoint.Connected)
	r := h.register(t, RegisterRequest{API: checkpoint.APIEdges, Phone: "+33612345678", CallbackURL: url})
	release := h.edges.holdSolves()
	defer release()
	done := h.deliverAsync(sms("m1", "424242"))
	h.edges.waitForCall(t, 1)

	// The wait timed out meanwhile: the finish must not end the checkpoint
	// under the solve.
	noCode := FinishInput{CheckpointID: r.ID, Status: checkpoint.StatusRestartRequired, Reason: "no_code_received"}
	if _, err := h.svc.Finish(ctx, noCode); TaskErrorName(err) != ErrorSolveInProgress {
		t.Fatalf("finish during the solve: %v, want %s", err, ErrorSolveInProgress)
	}
	if cp := h.item(t, r.ID); cp.Status != checkpoint.StatusPending || len(sink.got) != 0 {
		t.Fatalf("finish during the solve ended the checkpoint %s, %d callbacks", cp.Status, len(sink.got))
	}
	release()
	requireSolved(t, done, checkpoint.Connected)

	// The state machine's retry: the provider's answer is the end.
	out, err := h.svc.Finish(ctx, noCode)
	if err != nil || out != (FinishOutput{Status: checkpoint.StatusConnected, Callback: "delivered"}) {
		t.Fatalf("finish after the solve: %+v, %v", out, err)
	}
	if cp := h.item(t, r.ID); cp.Status != checkpoint.StatusConnected || cp.Reason != "solved" {
		t.Fatalf("item %s (%s), want connected (solved)", cp.Status, cp.Reason)
	}
	// A retry of that finish neither skips nor sends it again.
	if out, err := h.svc.Finish(ctx, noCode); err != nil || out.Callback != "delivered" {
		t.Fatalf("retried finish: %+v, %v", out, err)
	}
	cbs := callbacksOf(t, sink)
	if len(cbs) != 1 || cbs[0].Status != checkpoint.StatusConnected || cbs[0].Reason != "solved" {
		t.Fatalf("callbacks %+v, want one connected (solved)", cbs)
	}
}

func TestFinishWaitsForACodeBeingSolved(t *testing.T) {
	h := newHarness(t) // BusyWait 20 s: the finish waits inside the task
	h.edges.answer("424242", checkpoint.Connected)
	r := h.register(t, RegisterRequest{API: checkpoint.APIEdges, Phone: "+33612345678"})
	release := h.edges.holdSolves()
	defer release()
	done := h.deliverAsync(sms("m1", "424242"))
	h.edges.waitForCall(t, 1)
	finished := make(chan FinishOutput, 1)
	go func() {
		out, err := h.svc.Finish(context.Background(), FinishInput{CheckpointID: r.ID, Status: checkpoint.StatusRestartRequired, Reason: "no_code_received"})
		if err != nil {
			t.Errorf("finish: %v", err)
		}
		finished <- out
	}()
	release()
	requireSolved(t, done, checkpoint.Connected)
	if out := <-finished; out.Status != checkpoint.StatusConnected {
		t.Fatalf("finish %+v, want connected", out)
	}
}

func TestFinishHonoursTheProvidersRecordedOutcome(t *testing.T) {
	for _, tc := range []struct {
		answer checkpoint.Outcome
		asked  checkpoint.Status
		want   checkpoint.Status
		reason string
	}{
		{checkpoint.Connected, checkpoint.StatusRestartRequired, checkpoint.StatusConnected, "solved"},
		{checkpoint.Connected, checkpoint.StatusFailed, checkpoint.StatusConnected, "solved"},
		{checkpoint.Restart, checkpoint.StatusFailed, checkpoint.StatusRestartRequired, "session_expired"},
		{checkpoint.Rejected, checkpoint.StatusRestartRequired, checkpoint.StatusFailed, "rejected"},
	} {
		t.Run(string(tc.answer)+"_asked_"+string(tc.asked), func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			sink, url := newSink(t)
			h.edges.answer("424242", tc.answer)
			r := h.register(t, RegisterRequest{API: checkpoint.APIEdges, Phone: "+33612345678", CallbackURL: url})
			if _, err := h.svc.Deliver(ctx, sms("m1", "424242")); err != nil {
				t.Fatal(err)
			}
			out, err := h.svc.Finish(ctx, FinishInput{CheckpointID: r.ID, Status: tc.asked, Reason: "whatever"})
			if err != nil || out.Status != tc.want {
				t.Fatalf("finish %+v, %v; want %s", out, err, tc.want)
			}
			cbs := callbacksOf(t, sink)
			if len(cbs) != 1 || cbs[0].Status != tc.want || cbs[0].Reason != tc.reason {
				t.Fatalf("callbacks %+v, want one %s (%s)", cbs, tc.want, tc.reason)
			}
		})
	}
}

func TestResendMeetingACodeBeingSolvedDoesNotResend(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.svc.d.BusyWait = 20 * time.Millisecond
	h.postpress.answer("424242", checkpoint.Connected)
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	release := h.postpress.holdSolves()
	defer release()
	done := h.deliverAsync(sms("m1", "424242"))
	h.postpress.waitForCall(t, 1)

	if _, err := h.svc.Resend(ctx, ResendInput{CheckpointID: r.ID}); TaskErrorName(err) != ErrorSolveInProgress {
		t.Fatalf("resend during the solve: %v, want %s", err, ErrorSolveInProgress)
	}
	release()
	requireSolved(t, done, checkpoint.Connected)
	got, err := h.svc.Resend(ctx, ResendInput{CheckpointID: r.ID})
	if err != nil || got.Outcome != checkpoint.Connected {
		t.Fatalf("resend after the solve: %+v, %v; want connected", got, err)
	}
	if n := h.postpress.resendCalls(); n != 0 {
		t.Fatalf("%d resends reached the provider, want none", n)
	}
}

func TestAWebhookWhoseLeaseWasLostStillAnswers(t *testing.T) {
	ctx := context.Background()
	t.Run("the checkpoint ended meanwhile", func(t *testing.T) {
		h := newHarness(t)
		h.postpress.answer("424242", checkpoint.Connected)
		r := h.register(t, RegisterRequest{Phone: "+33612345678"})
		release := h.postpress.holdSolves()
		defer release()
		done := h.deliverAsync(sms("m1", "424242"))
		h.postpress.waitForCall(t, 1)
		// A newer registration for the account supersedes it mid-solve.
		h.register(t, RegisterRequest{Phone: "+33699999999"})
		release()
		requireSolved(t, done, checkpoint.Connected)
		cp := h.item(t, r.ID)
		if cp.Status != checkpoint.StatusSuperseded {
			t.Fatalf("status %s", cp.Status)
		}
		last := cp.Events[len(cp.Events)-1]
		if last.Kind != store.EventSolve || last.Outcome != checkpoint.Connected || !strings.Contains(last.Detail, "after the end") {
			t.Fatalf("history ends with %+v, want the solve recorded after the end", last)
		}
	})
	t.Run("the lease ran out and was taken", func(t *testing.T) {
		h := newHarness(t)
		h.postpress.answer("424242", checkpoint.Connected)
		r := h.register(t, RegisterRequest{Phone: "+33612345678"})
		release := h.postpress.holdSolves()
		defer release()
		done := h.deliverAsync(sms("m1", "424242"))
		h.postpress.waitForCall(t, 1)
		h.clock.Advance(time.Minute)
		if _, err := h.store.ClaimSolve(ctx, r.ID, store.Claim{Owner: "other", Now: h.clock.Now(), LeaseFor: 30 * time.Second}); err != nil {
			t.Fatal(err)
		}
		release()
		requireSolved(t, done, checkpoint.Connected)
		if cp := h.item(t, r.ID); cp.FinalOutcome != checkpoint.Connected {
			t.Fatalf("final outcome %q, want the provider's connected recorded", cp.FinalOutcome)
		}
	})
}

func TestLateSolve(t *testing.T) {
	ctx := context.Background()
	late := func(h *harness, id string) (TaskResult, error) {
		return h.svc.Solve(ctx, SolveInput{CheckpointID: id, Mode: SolveLate})
	}
	t.Run("nothing came", func(t *testing.T) {
		h := newHarness(t)
		r := h.register(t, RegisterRequest{API: checkpoint.APIEdges, Phone: "+33612345678"})
		if got, err := late(h, r.ID); err != nil || got.Outcome != OutcomeNone {
			t.Fatalf("%+v, %v; want none", got, err)
		}
	})
	t.Run("a code parked as the wait ended", func(t *testing.T) {
		h := newHarness(t)
		h.edges.answer("111111", checkpoint.InvalidCode)
		h.edges.answer("222222", checkpoint.InvalidCode)
		r := h.register(t, RegisterRequest{API: checkpoint.APIEdges, Phone: "+33612345678"})
		for i, code := range []string{"111111", "222222"} {
			if _, err := h.svc.Deliver(ctx, sms("m"+code, code)); err != nil {
				t.Fatalf("code %d: %v", i, err)
			}
		}
		got, err := late(h, r.ID)
		if err != nil || got.Outcome != checkpoint.InvalidCode || got.WrongCodes != 2 {
			t.Fatalf("%+v, %v; want invalid_code with the item's 2 wrong codes", got, err)
		}
		if got, err := late(h, r.ID); err != nil || got.Outcome != OutcomeNone {
			t.Fatalf("second late solve %+v, %v; want none (taken once)", got, err)
		}
	})
	t.Run("a code still being solved", func(t *testing.T) {
		h := newHarness(t)
		h.svc.d.BusyWait = 20 * time.Millisecond
		h.edges.answer("424242", checkpoint.NextCheckpoint)
		r := h.register(t, RegisterRequest{API: checkpoint.APIEdges, Phone: "+33612345678"})
		release := h.edges.holdSolves()
		defer release()
		done := h.deliverAsync(sms("m1", "424242"))
		h.edges.waitForCall(t, 1)
		if _, err := late(h, r.ID); TaskErrorName(err) != ErrorSolveInProgress {
			t.Fatalf("late solve during the solve: %v, want %s", err, ErrorSolveInProgress)
		}
		release()
		requireSolved(t, done, checkpoint.NextCheckpoint)
		if got, err := late(h, r.ID); err != nil || got.Outcome != checkpoint.NextCheckpoint {
			t.Fatalf("%+v, %v; want the next checkpoint, which the execution takes", got, err)
		}
	})
}

// TestEveryOutcomeCarriesTheItemsWrongCodeCount: an outcome parked while
// no task waited is replaced by the next one; the one the execution gets
// still counts every wrong code.
func TestEveryOutcomeCarriesTheItemsWrongCodeCount(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"}) // postpress: every code is wrong
	for _, code := range []string{"111111", "222222"} {
		if _, err := h.svc.Deliver(ctx, sms("m"+code, code)); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "tok1"}); err != nil {
		t.Fatal(err)
	}
	if sent := h.wf.sent("tok1"); len(sent) != 1 || sent[0].Outcome != checkpoint.InvalidCode || sent[0].WrongCodes != 2 {
		t.Fatalf("parked outcome sent %+v, want one invalid_code counting 2 wrong codes", sent)
	}
	if err := h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "tok2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Deliver(ctx, sms("m3", "333333")); err != nil {
		t.Fatal(err)
	}
	if sent := h.wf.sent("tok2"); len(sent) != 1 || sent[0].WrongCodes != 3 {
		t.Fatalf("outcome sent %+v, want it counting 3 wrong codes", sent)
	}
}

// TestAHandOffReleasesTheLease: once the result reached the waiting
// execution, the lease is free for the next code (and for the finish).
func TestAHandOffReleasesTheLease(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	if err := h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Deliver(ctx, sms("m1", "111111")); err != nil {
		t.Fatal(err)
	}
	if sent := h.wf.sent("tok"); len(sent) != 1 {
		t.Fatalf("sent %+v", sent)
	}
	if cp := h.item(t, r.ID); cp.LeaseOwner != "" || cp.Undelivered != "" {
		t.Fatalf("after the hand-off: lease %q, parked %q", cp.LeaseOwner, cp.Undelivered)
	}
}
