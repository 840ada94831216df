package relay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
)

func formToken(t *testing.T, r Registration) string {
	t.Helper()
	i := strings.LastIndex(r.FormURL, "/c/")
	if i < 0 {
		t.Fatalf("form url %q", r.FormURL)
	}
	return r.FormURL[i+3:]
}

func TestFormLocksOnceTheCheckpointHadItsWrongCodes(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{})
	tok := formToken(t, r)
	h.execute(t, r.ID, SolveCode)
	for i := range MaxWrongCodes {
		res, err := h.svc.FormAct(ctx, tok, FormSubmitCode, fmt.Sprintf("%06d", i))
		if err != nil {
			t.Fatalf("code %d: %v", i, err)
		}
		if res.Outcome != checkpoint.InvalidCode || res.View.WrongCodesLeft != MaxWrongCodes-i-1 {
			t.Fatalf("code %d: %+v", i, res)
		}
		if res.Message == "" || strings.Contains(res.Message, fmt.Sprintf("%06d", i)) {
			t.Fatalf("message %q: want a sentence without the code", res.Message)
		}
	}
	if _, err := h.svc.FormAct(ctx, tok, FormSubmitCode, "999999"); !errors.Is(err, ErrFormLocked) {
		t.Fatalf("code after the last allowed: %v, want ErrFormLocked", err)
	}
	if v, _ := h.svc.FormView(ctx, tok); v.CanSubmitCode || v.WrongCodesLeft != 0 {
		t.Fatalf("locked view %+v", v)
	}
	if n := len(h.postpress.calls()); n != MaxWrongCodes {
		t.Fatalf("%d solve calls, want %d", n, MaxWrongCodes)
	}
}

func TestFormTokens(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tok := formToken(t, h.register(t, RegisterRequest{ExpiresIn: 600}))
	if _, err := h.svc.FormView(ctx, "nope"); !errors.Is(err, ErrFormTokenUnknown) {
		t.Fatalf("unknown token: %v", err)
	}
	if _, err := h.svc.FormView(ctx, ""); !errors.Is(err, ErrFormTokenUnknown) {
		t.Fatalf("empty token: %v", err)
	}
	v, err := h.svc.FormView(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	want := FormView{CheckpointID: v.CheckpointID, Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.Type2FA,
		Status: checkpoint.StatusPending, ExpiresAt: v.ExpiresAt, CanSubmitCode: true, CanResend: true,
		CanTryAnotherWay: true, CanApprove: false, WrongCodesLeft: MaxWrongCodes}
	if v != want {
		t.Fatalf("view %+v, want %+v", v, want)
	}
	h.clock.Advance(601 * time.Second)
	if _, err := h.svc.FormView(ctx, tok); !errors.Is(err, ErrFormExpired) {
		t.Fatalf("expired token: %v", err)
	}
	if _, err := h.svc.FormAct(ctx, tok, FormSubmitCode, "123456"); !errors.Is(err, ErrFormExpired) {
		t.Fatalf("code on an expired form: %v", err)
	}
}

func TestFormActions(t *testing.T) {
	ctx := context.Background()
	t.Run("resend asks postpress again and records it", func(t *testing.T) {
		h := newHarness(t)
		r := h.register(t, RegisterRequest{})
		res, err := h.svc.FormAct(ctx, formToken(t, r), FormResend, "")
		if err != nil || res.Outcome != checkpoint.Resent {
			t.Fatalf("%+v, %v", res, err)
		}
		if cp := h.item(t, r.ID); cp.Resends != 1 || !hasEvent(cp, "resend") {
			t.Fatalf("resend not recorded: %+v", cp)
		}
	})
	t.Run("try another way queues TRY_ANOTHER_WAY, which the execution submits", func(t *testing.T) {
		h := newHarness(t)
		h.postpress.answers[TryAnotherWayCode] = nextEmail
		r := h.register(t, RegisterRequest{})
		results := h.execute(t, r.ID, SolveCode)
		res, err := h.svc.FormAct(ctx, formToken(t, r), FormTryAnotherWay, "")
		if err != nil || res.Outcome != checkpoint.NextCheckpoint {
			t.Fatalf("%+v, %v", res, err)
		}
		if calls := h.postpress.calls(); len(calls) != 1 || calls[0] != TryAnotherWayCode {
			t.Fatalf("provider saw %v", calls)
		}
		if got := <-results; got.Outcome != checkpoint.NextCheckpoint {
			t.Fatalf("execution's solve %+v", got)
		}
		// Each checkpoint of a chain has its own other way.
		h.postpress.answers[TryAnotherWayCode] = providerapi.Result{Outcome: checkpoint.Connected}
		res, err = h.svc.FormAct(ctx, formToken(t, r), FormTryAnotherWay, "")
		if err != nil || res.Outcome != checkpoint.Connected {
			t.Fatalf("second: %+v, %v", res, err)
		}
	})
	t.Run("approved ends the poll interval and shows the next poll's answer", func(t *testing.T) {
		h := newHarness(t)
		r := h.register(t, RegisterRequest{API: checkpoint.APIEdges, Type: checkpoint.TypeInAppValidation})
		h.execute(t, r.ID, SolvePoll)
		res, err := h.svc.FormAct(ctx, formToken(t, r), FormApproved, "")
		if err != nil || res.Outcome != checkpoint.Pending {
			t.Fatalf("%+v, %v", res, err)
		}
		if calls := h.edges.calls(); len(calls) < 1 || calls[0] != "" {
			t.Fatalf("provider saw %v, want a poll", calls)
		}
		if cp := h.item(t, r.ID); cp.Polls < 1 {
			t.Fatalf("polls %d", cp.Polls)
		}
	})
	t.Run("a code not answered within the bound is being checked", func(t *testing.T) {
		h := newHarness(t)
		h.svc.d.FormWait = 20 * time.Millisecond
		release := h.postpress.holdSolves()
		r := h.register(t, RegisterRequest{})
		tok := formToken(t, r)
		results := h.execute(t, r.ID, SolveCode)
		res, err := h.svc.FormAct(ctx, tok, FormSubmitCode, "424242")
		if err != nil || res.Outcome != "" || res.CodeID == "" || res.Message != "Checking your code…" {
			t.Fatalf("%+v, %v", res, err)
		}
		again, err := h.svc.FormCheck(ctx, tok, res.CodeID)
		if err != nil || again.CodeID != res.CodeID || again.Outcome != "" {
			t.Fatalf("check before the answer: %+v, %v", again, err)
		}
		release()
		<-results
		done, err := h.svc.FormCheck(ctx, tok, res.CodeID)
		if err != nil || done.Outcome != checkpoint.InvalidCode || done.CodeID != "" || done.View.WrongCodesLeft != MaxWrongCodes-1 {
			t.Fatalf("check after the answer: %+v, %v", done, err)
		}
	})
	t.Run("actions the API or the type lacks are not offered", func(t *testing.T) {
		h := newHarness(t)
		r := h.register(t, RegisterRequest{API: checkpoint.APIEdges, Type: checkpoint.TypeOTP})
		res, err := h.svc.FormAct(ctx, formToken(t, r), FormResend, "")
		if err != nil || res.Outcome != "" || res.View.CanResend || res.View.CanTryAnotherWay || res.View.CanApprove {
			t.Fatalf("%+v, %v", res, err)
		}
	})
}

// An in-app approval the relay polls for takes no code on the form; one
// that also takes a code offers both.
func TestFormOffersACodeOnlyWhereTheCheckpointTakesOne(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, tc := range []struct {
		typ        checkpoint.Type
		code, poll bool
	}{
		{checkpoint.TypeInAppValidation, false, true},
		{checkpoint.TypeOTPOrInAppValidation, true, true},
	} {
		r := h.register(t, RegisterRequest{API: checkpoint.APIEdges, Type: tc.typ, Phone: "+33612345678"})
		v, err := h.svc.FormView(ctx, formToken(t, r))
		if err != nil {
			t.Fatal(err)
		}
		if v.CanSubmitCode != tc.code || v.CanApprove != tc.poll {
			t.Errorf("%s: CanSubmitCode=%v CanApprove=%v, want %v %v", tc.typ, v.CanSubmitCode, v.CanApprove, tc.code, tc.poll)
		}
	}
}
