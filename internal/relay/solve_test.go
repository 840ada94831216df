package relay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/metrics"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

func TestQueuedCodesAreSolvedInArrivalOrderOneAtATime(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.postpress.answer("222222", checkpoint.Connected)
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	for i, c := range []string{"111111", "222222", "333333"} {
		// Three senders: a sender whose code was wrong is not trusted
		// again before the next code request (attribution's rule 6).
		d := sms(string(rune('a'+i)), c)
		d.Sender = fmt.Sprint("+1415555010", i)
		if _, err := h.svc.Deliver(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	first, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode})
	if err != nil || first.Outcome != checkpoint.InvalidCode || first.WrongCodes != 1 || !first.FromQueue {
		t.Fatalf("first %+v, %v", first, err)
	}
	second, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode})
	if err != nil || second.Outcome != checkpoint.Connected {
		t.Fatalf("second %+v, %v", second, err)
	}
	// A retry of the task after the end was recorded answers it again.
	again, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode})
	if err != nil || again.Outcome != checkpoint.Connected {
		t.Fatalf("again %+v, %v", again, err)
	}
	if calls := h.postpress.calls(); len(calls) != 2 || calls[0] != "111111" || calls[1] != "222222" {
		t.Fatalf("provider saw %v, want the first two codes in order", calls)
	}
	cp := h.item(t, r.ID)
	if cp.QueueHead != 2 || cp.Queued != 1 || cp.Queue[0].Outcome != checkpoint.InvalidCode || cp.Queue[1].Outcome != checkpoint.Connected ||
		cp.Queue[0].Sealed != nil || cp.FinalOutcome != checkpoint.Connected {
		t.Fatalf("queue after the solves: head %d queued %d %+v", cp.QueueHead, cp.Queued, cp.Queue)
	}
}

func TestAnEmptyQueueFallsBackToTheMode(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	got, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode})
	if err != nil || got.Outcome != OutcomeNone {
		t.Fatalf("%+v, %v", got, err)
	}
	if len(h.postpress.calls()) != 0 {
		t.Fatal("an empty queue called the provider")
	}
}

func TestATransientAnswerRequeuesTheCode(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.postpress.answers["123456"] = providerapi.Result{Outcome: checkpoint.Retry, ErrorType: "errors/service_unavailable"}
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	if _, err := h.svc.Deliver(ctx, sms("m1", "123456")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode}); TaskErrorName(err) != ErrorProviderRetry {
		t.Fatalf("error %v, want %s", err, ErrorProviderRetry)
	}
	if head, _ := h.item(t, r.ID).Head(); head == nil || head.State != store.CodeQueued {
		t.Fatalf("head after a transient answer %+v", head)
	}
	h.postpress.answer("123456", checkpoint.Connected)
	got, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode})
	if err != nil || got.Outcome != checkpoint.Connected {
		t.Fatalf("%+v, %v", got, err)
	}
}

// TestAnAttemptWithoutAnAnswerIsResubmittedOnceAndARefusalIsAmbiguous is
// the provider that accepts a code and answers after the deadline: the
// intent is used up, so the resubmission is refused. That refusal is not
// taken as a wrong code.
func TestAnAttemptWithoutAnAnswerIsResubmittedOnceAndARefusalIsAmbiguous(t *testing.T) {
	for _, tc := range []struct {
		name   string
		second providerapi.Result
		want   checkpoint.Outcome
	}{
		{"refused", providerapi.Result{Outcome: checkpoint.Restart, ErrorType: "errors/authentication_intent_error"}, OutcomeAmbiguous},
		{"wrong code", providerapi.Result{Outcome: checkpoint.InvalidCode}, OutcomeAmbiguous},
		{"no answer again", providerapi.Result{Outcome: checkpoint.Retry, ErrorType: providerapi.CaseTimeout}, OutcomeAmbiguous},
		{"connected", providerapi.Result{Outcome: checkpoint.Connected}, checkpoint.Connected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			h.postpress.answers["123456"] = providerapi.Result{Outcome: checkpoint.Retry, ErrorType: providerapi.CaseTimeout}
			r := h.register(t, RegisterRequest{Phone: "+33612345678"})
			if _, err := h.svc.Deliver(ctx, sms("m1", "123456")); err != nil {
				t.Fatal(err)
			}
			if _, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode}); TaskErrorName(err) != ErrorProviderRetry {
				t.Fatalf("error %v", err)
			}
			if head, _ := h.item(t, r.ID).Head(); head.State != store.CodeClaimed {
				t.Fatalf("a code the provider may have was handed back: %+v", head)
			}
			h.postpress.answers["123456"] = tc.second
			got, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode})
			if err != nil || got.Outcome != tc.want {
				t.Fatalf("%+v, %v; want %s", got, err, tc.want)
			}
			// Whatever comes next, never a third submission.
			_, _ = h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode})
			if calls := h.postpress.calls(); len(calls) != 2 {
				t.Fatalf("provider saw %v, want the code twice", calls)
			}
			cp := h.item(t, r.ID)
			if tc.want == OutcomeAmbiguous {
				if cp.Queue[0].Reason != ReasonAmbiguousAfterTimeout || cp.FinalOutcome != checkpoint.Restart || cp.WrongCodes != 0 {
					t.Fatalf("entry %+v, final %q, wrong codes %d", cp.Queue[0], cp.FinalOutcome, cp.WrongCodes)
				}
				out, err := h.svc.Finish(ctx, FinishInput{CheckpointID: r.ID, Status: checkpoint.StatusRestartRequired, Reason: ReasonAmbiguousAfterTimeout})
				if err != nil || out.Status != checkpoint.StatusRestartRequired {
					t.Fatalf("finish %+v, %v", out, err)
				}
			}
		})
	}
}

// TestAnAttemptThatDiedAfterClaimingIsResubmittedOnce: the solve Lambda
// claimed the head and crashed (after the provider answered, or before it
// was called: nobody knows); the retry sends the code once more.
func TestAnAttemptThatDiedAfterClaimingIsResubmittedOnce(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.postpress.answer("123456", checkpoint.Connected)
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	if _, err := h.svc.Deliver(ctx, sms("m1", "123456")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.ClaimHead(ctx, r.ID, 0, 0, false, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	got, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode})
	if err != nil || got.Outcome != checkpoint.Connected {
		t.Fatalf("%+v, %v", got, err)
	}
	if head := h.item(t, r.ID).Queue[0]; head.Claims != 2 || !head.Resubmitted {
		t.Fatalf("entry %+v", head)
	}
}

func TestAResubmittedCodeIsNeverSentAThirdTime(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	if _, err := h.svc.Deliver(ctx, sms("m1", "123456")); err != nil {
		t.Fatal(err)
	}
	_, _ = h.store.ClaimHead(ctx, r.ID, 0, 0, false, h.clock.Now())
	_, _ = h.store.ClaimHead(ctx, r.ID, 0, 1, true, h.clock.Now())
	got, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode})
	if err != nil || got.Outcome != OutcomeAmbiguous {
		t.Fatalf("%+v, %v", got, err)
	}
	if len(h.postpress.calls()) != 0 {
		t.Fatal("the code was sent a third time")
	}
}

func TestASecondAttemptThatReadTheSameHeadLoses(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	if _, err := h.svc.Deliver(ctx, sms("m1", "123456")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.ClaimHead(ctx, r.ID, 0, 0, false, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.ClaimHead(ctx, r.ID, 0, 0, false, h.clock.Now()); !errors.Is(err, store.ErrQueueMoved) {
		t.Fatalf("second claim: %v", err)
	}
}

func TestAPollWithACodeQueuedSolvesTheCodeInstead(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.edges.answer("555555", checkpoint.Connected)
	r := h.register(t, RegisterRequest{API: checkpoint.APIEdges, Type: checkpoint.TypeOTPOrInAppValidation, Phone: "+33612345678"})
	_ = h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "poll-interval"})
	if _, err := h.svc.Deliver(ctx, sms("m1", "555555")); err != nil {
		t.Fatal(err)
	}
	if sent := h.wf.sent("poll-interval"); len(sent) != 1 {
		t.Fatalf("the poll interval was not ended: %+v", sent)
	}
	got, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolvePoll})
	if err != nil || got.Outcome != checkpoint.Connected {
		t.Fatalf("%+v, %v", got, err)
	}
	if calls := h.edges.calls(); len(calls) != 1 || calls[0] != "555555" {
		t.Fatalf("provider saw %q, want only the code", calls)
	}
}

func TestAQueuedCodeInTOTPModeCountsAsAPersonsCode(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{TOTPSecret: secret, Phone: "+33612345678"})
	if _, err := h.svc.Deliver(ctx, sms("m1", "999999")); err != nil {
		t.Fatal(err)
	}
	got, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveTOTP})
	if err != nil || got.Outcome != checkpoint.InvalidCode || !got.FromQueue || got.WrongCodes != 1 {
		t.Fatalf("%+v, %v", got, err)
	}
	if calls := h.postpress.calls(); len(calls) != 1 || calls[0] != "999999" {
		t.Fatalf("provider saw %v", calls)
	}
}

// The solve of a queued code records how long the code waited for its
// provider call, and the finish of a connected checkpoint how long the
// connection took, once each: a retried finish records nothing again.
func TestSolveAndFinishRecordTheirTimingMetrics(t *testing.T) {
	var buf bytes.Buffer
	old := metrics.SetDefault(metrics.New(&buf, nil))
	t.Cleanup(func() { metrics.SetDefault(old) })
	h := newHarness(t)
	ctx := context.Background()
	h.postpress.answer("222222", checkpoint.Connected)
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	if _, err := h.svc.Deliver(ctx, sms("a", "222222")); err != nil {
		t.Fatal(err)
	}
	if res, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode}); err != nil || res.Outcome != checkpoint.Connected {
		t.Fatalf("solve %+v, %v", res, err)
	}
	for range 2 {
		if _, err := h.svc.Finish(ctx, FinishInput{CheckpointID: r.ID, Status: checkpoint.StatusConnected, Reason: "solved"}); err != nil {
			t.Fatal(err)
		}
	}
	out := buf.String()
	if !strings.Contains(out, `"`+metrics.ArrivalToProviderCall+`":`) || !strings.Contains(out, `"Channel":"sms"`) {
		t.Errorf("no %s record for the sms code:\n%s", metrics.ArrivalToProviderCall, out)
	}
	connected := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(line, `"`+metrics.RegistrationToConnected+`":`) {
			connected++
		}
	}
	if connected != 1 {
		t.Errorf("%d %s records, want 1 (a retried finish records none):\n%s", connected, metrics.RegistrationToConnected, out)
	}
}
