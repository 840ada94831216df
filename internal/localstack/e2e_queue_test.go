package localstack_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/asl"
	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providersim"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
)

// The code queue end to end: handlers accept, the execution alone
// submits. Delays are in the simulator's time scale, so "150 s" passes in
// 1.5 s here.

// TestAProviderThatAnswersAfterTheDeadlineIsResubmittedOnceAndEndsAmbiguous:
// the provider takes the code (the account connects, its intent is used
// up) and answers 150 s later, past the relay's 100 s deadline. The solve
// task's retry sends the code once more, and the refusal it gets is not
// taken as a wrong code nor as a plain restart: the checkpoint ends
// restart_required / ambiguous_after_timeout, with the provider called
// twice at most.
func TestAProviderThatAnswersAfterTheDeadlineIsResubmittedOnceAndEndsAmbiguous(t *testing.T) {
	t.Parallel()
	acct, phone := uniqueAccount("deadline"), uniquePhone()
	setAccount(t, providersim.Account{API: checkpoint.APIPostpress, AccountID: acct, SolveDelayMS: 150000, SingleUseIntent: true})
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "OTP", "phone": phone})
	if status, results := genericSMS(t, "dl-"+acct, phone, "Your LinkedIn verification code is 123456."); status != http.StatusOK || fmt.Sprint(results) != "[accepted]" {
		t.Fatalf("webhook answered %d %v", status, results)
	}
	v := waitStatus(t, reg.ID, checkpoint.StatusRestartRequired)
	requireStatus(t, v, checkpoint.StatusRestartRequired)
	if v.Reason != relay.ReasonAmbiguousAfterTimeout {
		t.Fatalf("reason %q, want %s; events %s", v.Reason, relay.ReasonAmbiguousAfterTimeout, eventKinds(v))
	}
	requireCallback(t, reg.ID, checkpoint.StatusRestartRequired)
	if st := simStats(t, checkpoint.APIPostpress, acct); st.SolveCalls < 1 || st.SolveCalls > 2 || st.WrongCodes != 0 {
		t.Fatalf("simulator saw %+v, want the code once or twice and no wrong code", st)
	}
	if v.Counters.WrongCodes != 0 {
		t.Fatalf("the checkpoint counted %d wrong codes", v.Counters.WrongCodes)
	}
}

// TestTwoCodes10msApartAreTriedInOrder: a wrong code, then 10 ms later
// the right one; both are accepted, the first is tried first and the
// second only because the first was wrong.
func TestTwoCodes10msApartAreTriedInOrder(t *testing.T) {
	t.Parallel()
	for _, firstRight := range []bool{false, true} {
		t.Run(fmt.Sprint("first right ", firstRight), func(t *testing.T) {
			t.Parallel()
			acct, phone := uniqueAccount("order"), uniquePhone()
			codes := []string{"111111", "654321"}
			if firstRight {
				codes = []string{"654321", "111111"}
			}
			// A slow provider, so the second code is queued while the first
			// is at the provider.
			setAccount(t, providersim.Account{API: checkpoint.APIPostpress, AccountID: acct, Code: "654321", SolveDelayMS: 5000})
			reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "2FA", "phone": phone})
			for i, c := range codes {
				if status, results := genericSMS(t, fmt.Sprintf("ord%d-%s", i, acct), phone, "Your LinkedIn verification code is "+c+"."); status != http.StatusOK || fmt.Sprint(results) != "[accepted]" {
					t.Fatalf("code %d answered %d %v", i, status, results)
				}
				time.Sleep(10 * time.Millisecond)
			}
			v := waitStatus(t, reg.ID, checkpoint.StatusConnected)
			requireStatus(t, v, checkpoint.StatusConnected)
			st := simStats(t, checkpoint.APIPostpress, acct)
			want := providersim.Stats{SolveCalls: 2, WrongCodes: 1}
			if firstRight {
				want = providersim.Stats{SolveCalls: 1, WrongCodes: 0}
			}
			if st.SolveCalls != want.SolveCalls || st.WrongCodes != want.WrongCodes {
				t.Fatalf("simulator saw %+v, want %d calls and %d wrong codes", st, want.SolveCalls, want.WrongCodes)
			}
		})
	}
}

// TestACodeDuringInAppPollingIsSolvedBeforeTheNextPoll: the poll
// interval is a wait the code ends, so the code is submitted at once, and
// the interval in which it came ended early (not by its timeout).
func TestACodeDuringInAppPollingIsSolvedBeforeTheNextPoll(t *testing.T) {
	t.Parallel()
	acct, phone := uniqueAccount("pollcode"), uniquePhone()
	setAccount(t, providersim.Account{API: checkpoint.APIEdges, AccountID: acct, Type: checkpoint.TypeOTPOrInAppValidation, ApproveAfterPolls: -1})
	reg := register(t, map[string]any{"api": "edges", "account_id": acct, "provider": "LINKEDIN", "type": "OTP_OR_IN_APP_VALIDATION", "phone": phone})
	waitFor(t, reg.ID, "a first poll", func(v relay.View) bool { return v.Counters.Polls >= 1 })
	if status, _ := genericSMS(t, "pc-"+acct, phone, "Your LinkedIn verification code is 123456."); status != http.StatusOK {
		t.Fatalf("webhook answered %d", status)
	}
	// Counted once the code is accepted: a poll already in flight may
	// still reach the provider, but no poll may start after it.
	before := simStats(t, checkpoint.APIEdges, acct).Polls
	requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusConnected), checkpoint.StatusConnected)
	st := simStats(t, checkpoint.APIEdges, acct)
	if st.CodesReceived != 1 || st.State != providersim.StateConnected {
		t.Fatalf("simulator saw %+v", st)
	}
	if st.Polls > before+1 {
		t.Fatalf("%d polls after the code was accepted (%d before, %d in all): the code waited for a poll interval", st.Polls-before, before, st.Polls)
	}
}

// TestABusyCheckpointNeverRefusesACode: while the provider takes its time
// with the first code, ten more distinct codes arrive at once; every one
// is answered 200 accepted, none is lost, and they are tried one at a
// time until the right one.
func TestABusyCheckpointNeverRefusesACode(t *testing.T) {
	t.Parallel()
	acct, phone := uniqueAccount("busy"), uniquePhone()
	setAccount(t, providersim.Account{API: checkpoint.APIPostpress, AccountID: acct, Code: "900009", SolveDelayMS: 2000})
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "2FA", "phone": phone})
	if status, _ := genericSMS(t, "busy0-"+acct, phone, "Your LinkedIn verification code is 900001."); status != http.StatusOK {
		t.Fatalf("first code answered %d", status)
	}
	var wg sync.WaitGroup
	answers := make([]string, 10)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, results := genericSMS(t, fmt.Sprintf("busy%d-%s", i+1, acct), phone, fmt.Sprintf("Your LinkedIn verification code is 9%05d.", 2+i))
			answers[i] = fmt.Sprint(status, results)
		}()
	}
	wg.Wait()
	for i, a := range answers {
		if a != "200 [accepted]" {
			t.Fatalf("code %d answered %s", i+2, a)
		}
	}
	// 900001 and 900002 are wrong, 900003 too: the third wrong code ends
	// the checkpoint before the right one (900009) is reached, and no code
	// is sent after the bound.
	v := waitStatus(t, reg.ID, checkpoint.StatusRestartRequired)
	if v.Reason != "too_many_wrong_codes" {
		t.Fatalf("ended %s / %s; events %s", v.Status, v.Reason, eventKinds(v))
	}
	if st := simStats(t, checkpoint.APIPostpress, acct); st.SolveCalls != relay.MaxWrongCodes || st.WrongCodes != relay.MaxWrongCodes {
		t.Fatalf("simulator saw %+v, want exactly %d codes tried", st, relay.MaxWrongCodes)
	}
	if d := waitExecution(t, reg.ID); d.Status != asl.StatusSucceeded {
		t.Fatalf("execution %s", d.Status)
	}
	if got := countEvents(v, "code_received"); got != 11 || strings.Contains(eventKinds(v), "late_code") {
		t.Fatalf("%d codes received; events %s", got, eventKinds(v))
	}
}

// TestASolveFunctionThatCrashesAfterTheProviderAnsweredSubmitsNothingTwice:
// the first solve attempt for the checkpoint gets the provider's answer,
// records it, and then crashes instead of returning. The state machine's
// retry finds the answer recorded and goes on with it: one provider call,
// connected, one callback.
func TestASolveFunctionThatCrashesAfterTheProviderAnsweredSubmitsNothingTwice(t *testing.T) {
	acct, phone := uniqueAccount("crash"), uniquePhone()
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "OTP", "phone": phone})
	var (
		once    sync.Once
		crashed atomic.Bool
	)
	err := stack.WrapFunction("SolveFunction", func(next asl.Handler) asl.Handler {
		return func(ctx context.Context, payload []byte) ([]byte, error) {
			out, err := next(ctx, payload)
			if err == nil && strings.Contains(string(payload), reg.ID) && strings.Contains(string(out), `"from_queue":true`) {
				once.Do(func() {
					crashed.Store(true)
					out, err = nil, errors.New("the function crashed after the provider answered")
				})
			}
			return out, err
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stack.WrapFunction("SolveFunction", func(h asl.Handler) asl.Handler { return h }) }()
	if status, _ := genericSMS(t, "crash-"+acct, phone, "Your LinkedIn verification code is 123456."); status != http.StatusOK {
		t.Fatalf("webhook answered %d", status)
	}
	requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusConnected), checkpoint.StatusConnected)
	if d := waitExecution(t, reg.ID); d.Status != asl.StatusSucceeded {
		t.Fatalf("execution %s: %s %s", d.Status, d.Error, d.Cause)
	}
	requireCallback(t, reg.ID, checkpoint.StatusConnected)
	if !crashed.Load() {
		t.Fatal("the solve function never crashed: nothing was tested")
	}
	if st := simStats(t, checkpoint.APIPostpress, acct); st.SolveCalls != 1 {
		t.Fatalf("simulator saw %+v, want exactly one solve call", st)
	}
}
