package relay

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// The form's Resend shares the state machine's bound: eight posts give one
// provider resend; another needs ResendGap; after MaxResends in all (the
// form's and the execution's) no more is asked, and the execution, whose
// resend finds the bound used, goes on to its end instead of resending.
func TestFormResendsShareTheStateMachinesBound(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	r := h.register(t, RegisterRequest{})
	tok := formToken(t, r)
	for i := range 8 {
		res, err := h.svc.FormAct(ctx, tok, FormResend, "")
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && res.Outcome != "" {
			t.Fatalf("post %d: %+v, want refused", i+1, res)
		}
	}
	if n := resendsMade(h.postpress); n != 1 {
		t.Fatalf("%d provider resends for 8 posts, want 1", n)
	}
	// The execution's own resend moments later: a code is already on its
	// way, so it is not asked again, and the execution waits for it.
	got, err := h.svc.Resend(ctx, ResendInput{CheckpointID: r.ID})
	if err != nil || got.Outcome != checkpoint.Resent || resendsMade(h.postpress) != 1 {
		t.Fatalf("execution's resend after the form's: %+v, %v, %d calls", got, err, resendsMade(h.postpress))
	}
	h.clock.Advance(ResendGap)
	if res, err := h.svc.FormAct(ctx, tok, FormResend, ""); err != nil || res.Outcome != checkpoint.Resent {
		t.Fatalf("after the gap: %+v, %v", res, err)
	}
	h.clock.Advance(ResendGap)
	res, err := h.svc.FormAct(ctx, tok, FormResend, "")
	if err != nil || res.Outcome != "" || res.View.CanResend {
		t.Fatalf("past the bound: %+v, %v", res, err)
	}
	got, err = h.svc.Resend(ctx, ResendInput{CheckpointID: r.ID})
	if err != nil || got.Outcome != OutcomeNone {
		t.Fatalf("execution's resend past the bound: %+v, %v; want %s", got, err, OutcomeNone)
	}
	if n := resendsMade(h.postpress); n != MaxResends {
		t.Fatalf("%d provider resends in all, want %d", n, MaxResends)
	}
}

// A resend the provider did not make (a transient error) is given back:
// the execution's retry follows at once and counts once.
func TestAResendThatFailedIsGivenBack(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	h.postpress.resendAnswer = &providerapi.Result{Outcome: checkpoint.Retry}
	r := h.register(t, RegisterRequest{})
	if _, err := h.svc.Resend(ctx, ResendInput{CheckpointID: r.ID}); TaskErrorName(err) != ErrorProviderRetry {
		t.Fatalf("got %v, want %s", err, ErrorProviderRetry)
	}
	h.postpress.resendAnswer = nil
	if got, err := h.svc.Resend(ctx, ResendInput{CheckpointID: r.ID}); err != nil || got.Outcome != checkpoint.Resent {
		t.Fatalf("the retry: %+v, %v", got, err)
	}
	if cp := h.item(t, r.ID); cp.ResendAttempts != 1 || cp.Resends != 1 {
		t.Fatalf("attempts %d resends %d, want 1 and 1", cp.ResendAttempts, cp.Resends)
	}
}

// "Try another way" is refused while one (or any code) is in flight, and
// is bounded like the chained checkpoints it asks for: six quick posts
// give one provider call.
func TestTryAnotherWayIsBounded(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	h.svc.d.FormWait = 20 * time.Millisecond
	h.postpress.answers[TryAnotherWayCode] = nextEmail
	release := h.postpress.holdSolves()
	r := h.register(t, RegisterRequest{})
	tok := formToken(t, r)
	results := h.execute(t, r.ID, SolveCode)
	for i := range 6 {
		res, err := h.svc.FormAct(ctx, tok, FormTryAnotherWay, "")
		if err != nil {
			t.Fatalf("post %d: %v", i+1, err)
		}
		if i > 0 && res.CodeID != "" {
			t.Fatalf("post %d was queued while the first is in flight: %+v", i+1, res)
		}
	}
	release()
	if got := <-results; got.Outcome != checkpoint.NextCheckpoint {
		t.Fatalf("execution's solve %+v", got)
	}
	if calls := h.postpress.calls(); len(calls) != 1 {
		t.Fatalf("provider saw %v for six posts, want one TRY_ANOTHER_WAY", calls)
	}
	// Each answered one may be followed by another, up to the chain bound.
	h.svc.d.FormWait = 10 * time.Second
	for i := 1; i < MaxChainedCheckpoints; i++ {
		if res, err := h.svc.FormAct(ctx, tok, FormTryAnotherWay, ""); err != nil || res.Outcome != checkpoint.NextCheckpoint {
			t.Fatalf("request %d: %+v, %v", i+1, res, err)
		}
		<-results
	}
	res, err := h.svc.FormAct(ctx, tok, FormTryAnotherWay, "")
	if err != nil || res.CodeID != "" || res.Outcome != "" || res.View.CanTryAnotherWay {
		t.Fatalf("past the bound: %+v, %v", res, err)
	}
	if n := len(h.postpress.calls()); n != MaxChainedCheckpoints {
		t.Fatalf("%d provider calls, want %d", n, MaxChainedCheckpoints)
	}
}

// The bounds are the state machine's own: its Choices end a chain at
// MaxChainedCheckpoints and allow fewer than MaxResends resends.
func TestFormBoundsAreTheStateMachines(t *testing.T) {
	if store.MaxOtherWays != MaxChainedCheckpoints {
		t.Fatalf("store.MaxOtherWays %d, relay.MaxChainedCheckpoints %d", store.MaxOtherWays, MaxChainedCheckpoints)
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "statemachine", "checkpoint.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	var def any
	if err := json.Unmarshal(raw, &def); err != nil {
		t.Fatal(err)
	}
	bounds := map[string]float64{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if variable, ok := x["Variable"].(string); ok {
				for _, op := range []string{"NumericLessThan", "NumericGreaterThanEquals"} {
					if n, ok := x[op].(float64); ok {
						bounds[variable+" "+op] = n
					}
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(def)
	if got := bounds["$chain NumericGreaterThanEquals"]; got != MaxChainedCheckpoints {
		t.Errorf("the definition ends a chain at %v, relay.MaxChainedCheckpoints is %d", got, MaxChainedCheckpoints)
	}
	if got := bounds["$resends NumericLessThan"]; got != MaxResends {
		t.Errorf("the definition allows resends below %v, relay.MaxResends is %d", got, MaxResends)
	}
}

func resendsMade(p *fakeProvider) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.resends
}
