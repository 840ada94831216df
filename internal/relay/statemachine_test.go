package relay

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

const secret = "JBSWY3DPEHPK3PXP"

func TestTOTPCodeMatchesRFC6238(t *testing.T) {
	// RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); the
	// 6-digit code is its last six digits.
	got, err := TOTPCode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 59/TOTPPeriod)
	if err != nil || got != "287082" {
		t.Fatalf("got %q, %v; want 287082", got, err)
	}
}

func TestTOTPSolveMovesToTheNextStepAfterAWrongCode(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{TOTPSecret: secret})
	step := h.clock.Now().Unix() / TOTPPeriod

	first, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveTOTP})
	if err != nil || first.Outcome != checkpoint.InvalidCode || first.Mode != checkpoint.ModeTOTP {
		t.Fatalf("first solve %+v, %v", first, err)
	}
	// The state machine tries again; the clock has not reached the next
	// step, but the code must be the next step's, never the same one.
	h.postpress.def.Outcome = checkpoint.Connected
	second, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveTOTP})
	if err != nil || second.Outcome != checkpoint.Connected {
		t.Fatalf("second solve %+v, %v", second, err)
	}
	want0, _ := TOTPCode(secret, step)
	want1, _ := TOTPCode(secret, step+1)
	if calls := h.postpress.calls(); len(calls) != 2 || calls[0] != want0 || calls[1] != want1 {
		t.Fatalf("codes submitted %v, want [%s %s]", calls, want0, want1)
	}
	cp := h.item(t, r.ID)
	if cp.TOTPStep != step+1 || cp.WrongCodes != 0 {
		t.Fatalf("totp step %d wrong codes %d", cp.TOTPStep, cp.WrongCodes)
	}
}

func TestPollSolve(t *testing.T) {
	ctx := context.Background()
	t.Run("pending keeps polling and counts", func(t *testing.T) {
		h := newHarness(t)
		r := h.register(t, RegisterRequest{API: checkpoint.APIEdges, Type: checkpoint.TypeInAppValidation})
		for range 3 {
			got, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolvePoll})
			if err != nil || got.Outcome != checkpoint.Pending || got.Mode != checkpoint.ModePoll {
				t.Fatalf("%+v, %v", got, err)
			}
		}
		cp := h.item(t, r.ID)
		polls := 0
		for _, e := range cp.Events {
			if e.Kind == store.EventPoll {
				polls++
			}
		}
		if cp.Polls != 3 || polls != 1 {
			t.Fatalf("polls %d, poll events %d; want 3 and 1", cp.Polls, polls)
		}
	})
	t.Run("a transient answer is the Relay.ProviderRetry error", func(t *testing.T) {
		h := newHarness(t)
		h.edges.def.Outcome = checkpoint.Retry
		r := h.register(t, RegisterRequest{API: checkpoint.APIEdges, Type: checkpoint.TypeInAppValidation})
		_, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolvePoll})
		if TaskErrorName(err) != ErrorProviderRetry {
			t.Fatalf("error %v", err)
		}
	})
}

func TestResendTask(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	got, err := h.svc.Resend(ctx, ResendInput{CheckpointID: r.ID})
	if err != nil || got.Outcome != checkpoint.Resent {
		t.Fatalf("%+v, %v", got, err)
	}
	// A code that connected while the wait timed out wins over a resend.
	h.postpress.answer("123123", checkpoint.Connected)
	if _, err := h.svc.Deliver(ctx, sms("m1", "123123")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode}); err != nil {
		t.Fatal(err)
	}
	got, err = h.svc.Resend(ctx, ResendInput{CheckpointID: r.ID})
	if err != nil || got.Outcome != checkpoint.Connected {
		t.Fatalf("%+v, %v", got, err)
	}
	if h.postpress.resends != 1 {
		t.Fatalf("%d resends, want 1", h.postpress.resends)
	}
}

// callbackSink is an app's callback endpoint.
type callbackSink struct {
	mu     sync.Mutex
	status int
	got    []*http.Request
	bodies [][]byte
}

func (c *callbackSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, _ := io.ReadAll(r.Body)
	c.got, c.bodies = append(c.got, r), append(c.bodies, b)
	w.WriteHeader(c.status)
}

func TestFinishSendsAVerifiableCallbackOnce(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	sink := &callbackSink{status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	r := h.register(t, RegisterRequest{CallbackURL: srv.URL + "/cb"})
	in := FinishInput{CheckpointID: r.ID, Status: checkpoint.StatusConnected, Reason: "solved"}

	_, err := h.svc.Finish(ctx, in)
	if TaskErrorName(err) != ErrorCallbackFailed {
		t.Fatalf("failing callback: %v, want %s", err, ErrorCallbackFailed)
	}
	if h.item(t, r.ID).Status != checkpoint.StatusConnected {
		t.Fatal("status not final after a failed callback")
	}
	sink.status = http.StatusNoContent
	out, err := h.svc.Finish(ctx, in) // the state machine's retry
	if err != nil || out != (FinishOutput{Status: checkpoint.StatusConnected, Callback: "delivered"}) {
		t.Fatalf("retry: %+v, %v", out, err)
	}
	if _, err := h.svc.Finish(ctx, in); err != nil {
		t.Fatal(err)
	}
	if len(sink.got) != 2 {
		t.Fatalf("%d callbacks, want 2 (one failed, one delivered)", len(sink.got))
	}

	req, body := sink.got[1], sink.bodies[1]
	ts, sig := req.Header.Get(HeaderTimestamp), req.Header.Get(HeaderSignature)
	if err := inbound.VerifyRelaySignature([]byte("callback-secret"), ts, sig, body, h.clock.Now()); err != nil {
		t.Fatalf("callback does not verify: %v", err)
	}
	for name, tamper := range map[string]func() error{
		"other secret": func() error { return inbound.VerifyRelaySignature([]byte("x"), ts, sig, body, h.clock.Now()) },
		"other body": func() error {
			return inbound.VerifyRelaySignature([]byte("callback-secret"), ts, sig, append(body, ' '), h.clock.Now())
		},
		"replayed later": func() error {
			return inbound.VerifyRelaySignature([]byte("callback-secret"), ts, sig, body, h.clock.Now().Add(time.Hour))
		},
	} {
		if tamper() == nil {
			t.Errorf("%s: verified", name)
		}
	}
	var cb Callback
	if err := json.Unmarshal(body, &cb); err != nil {
		t.Fatal(err)
	}
	if cb.CheckpointID != r.ID || cb.Status != checkpoint.StatusConnected || cb.Reason != "solved" || cb.AccountID != "acc_1" || cb.API != checkpoint.APIPostpress {
		t.Fatalf("callback body %+v", cb)
	}
}

func TestFinishOfASupersededCheckpointSendsNothing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	sink := &callbackSink{status: 200}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	old := h.register(t, RegisterRequest{CallbackURL: srv.URL})
	h.register(t, RegisterRequest{})
	out, err := h.svc.Finish(ctx, FinishInput{CheckpointID: old.ID, Status: checkpoint.StatusFailed, Reason: "internal_error"})
	if err != nil || out.Status != checkpoint.StatusSuperseded || out.Callback != "skipped" || len(sink.got) != 0 {
		t.Fatalf("%+v, %v, %d callbacks", out, err, len(sink.got))
	}
}

func TestAwaitCodeOnAnEndedCheckpointFailsTheTask(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{})
	if _, err := h.svc.Finish(ctx, FinishInput{CheckpointID: r.ID, Status: checkpoint.StatusFailed}); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	if h.wf.failed["tok"] != ErrorCheckpointEnded {
		t.Fatalf("task failures %v", h.wf.failed)
	}
}

func TestGetShowsHistoryWithoutSecrets(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678", TOTPSecret: secret})
	if _, err := h.svc.Deliver(ctx, sms("m1", "246810")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode}); err != nil {
		t.Fatal(err)
	}
	v, err := h.svc.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	for _, s := range []string{"246810", secret, formToken(t, r)} {
		if strings.Contains(string(b), s) {
			t.Fatalf("view holds %q: %s", s, b)
		}
	}
	kinds := []store.EventKind{}
	for _, e := range v.Events {
		kinds = append(kinds, e.Kind)
	}
	// The wrong code's sender is then untrusted there (attribution).
	want := []store.EventKind{store.EventRegistered, store.EventExecution, store.EventCodeReceived, store.EventSolve, store.EventAttribution}
	if len(kinds) != len(want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("events %v, want %v", kinds, want)
		}
	}
	if _, err := h.svc.Get(ctx, "cp_aaaaaaaaaaaaaaaaaaaaaaaaaa"); err != ErrNotFound {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestFinishNeverSendsAnUnsignedCallback(t *testing.T) {
	h := newHarness(t)
	h.svc.d.CallbackSecret = nil
	sink := &callbackSink{status: 200}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	r := h.register(t, RegisterRequest{CallbackURL: srv.URL})
	_, err := h.svc.Finish(context.Background(), FinishInput{CheckpointID: r.ID, Status: checkpoint.StatusConnected})
	if TaskErrorName(err) != ErrorCallbackFailed || len(sink.got) != 0 {
		t.Fatalf("error %v, %d callbacks; want %s and none", err, len(sink.got), ErrorCallbackFailed)
	}
}

func TestATOTPCodeClaimedByADeadAttemptIsNotSentAgain(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{TOTPSecret: secret})
	step := h.clock.Now().Unix() / TOTPPeriod
	code0, _ := TOTPCode(secret, step)
	fp, _ := h.svc.codeFingerprint(ctx, r.ID, code0)
	// An attempt recorded the code and died before its answer.
	if err := h.store.UseCode(ctx, r.ID, fp, step); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveTOTP}); err != nil {
		t.Fatal(err)
	}
	code1, _ := TOTPCode(secret, step+1)
	if calls := h.postpress.calls(); len(calls) != 1 || calls[0] != code1 {
		t.Fatalf("provider saw %v, want only the next step's code %s", calls, code1)
	}
}

func TestGetShowsTheHistoryInTimeOrder(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	h.clock.Advance(time.Minute)
	if _, err := h.svc.Deliver(ctx, sms("m1", "246810")); err != nil {
		t.Fatal(err)
	}
	// A write that landed late but happened early, as a registration's
	// execution_started line can under load.
	late := store.Event{At: h.clock.Now().Add(-30 * time.Second), Kind: store.EventResend}
	if err := h.store.RecordEvent(ctx, r.ID, late); err != nil {
		t.Fatal(err)
	}
	v, err := h.svc.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(v.Events); i++ {
		if v.Events[i].At.Before(v.Events[i-1].At) {
			t.Fatalf("event %d (%s) is before event %d (%s)", i, v.Events[i].Kind, i-1, v.Events[i-1].Kind)
		}
	}
}

// TestADeliveredCallbackIsNotSentAgainWhenTheHistoryIsFull: messages
// without a code fill the history to its bound; the line that says the
// callback was delivered still lands, so a retried finish does not post
// the callback twice.
func TestADeliveredCallbackIsNotSentAgainWhenTheHistoryIsFull(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	sink := &callbackSink{status: http.StatusNoContent}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	r := h.register(t, RegisterRequest{CallbackURL: srv.URL + "/cb"})
	for len(h.item(t, r.ID).Events) < store.MaxEvents {
		if err := h.store.RecordEvent(ctx, r.ID, store.Event{At: h.clock.Now(), Kind: store.EventNoCode}); err != nil {
			t.Fatal(err)
		}
	}
	in := FinishInput{CheckpointID: r.ID, Status: checkpoint.StatusRestartRequired, Reason: "no_code_received"}
	for range 2 { // the second is the state machine's retry of a finish whose answer was lost
		out, err := h.svc.Finish(ctx, in)
		if err != nil || out != (FinishOutput{Status: checkpoint.StatusRestartRequired, Callback: "delivered"}) {
			t.Fatalf("finish: %+v, %v", out, err)
		}
	}
	if len(sink.got) != 1 {
		t.Fatalf("%d callbacks, want 1", len(sink.got))
	}
}
