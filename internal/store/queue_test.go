package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/dynalitetest"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

func queued(id, fp, msg string) store.QueuedCode {
	return store.QueuedCode{ID: id, FP: fp, Sealed: []byte("sealed-" + fp), Channel: checkpoint.ChannelSMS,
		Source: "twilio", MessageID: msg, ArrivedAt: t0, Attribution: "recipient"}
}

func TestAcceptQueuesInOrderAndRefusesRepeats(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_q", t0))
	for i, q := range []store.QueuedCode{queued("q1", "fp1", "SM1"), queued("q2", "fp2", "SM2"), queued("q3", "fp3", "")} {
		if _, _, err := s.Accept(ctx, "cp_q", q, 3); err != nil {
			t.Fatalf("accept %d: %v", i, err)
		}
	}
	for _, tc := range []struct {
		q    store.QueuedCode
		want error
	}{
		{queued("q4", "fp9", "SM1"), store.ErrDuplicateMessage},
		{queued("q5", "fp2", "SM5"), store.ErrCodeReused},
		{queued("q6", "fp3", ""), store.ErrCodeReused},
	} {
		if _, _, err := s.Accept(ctx, "cp_q", tc.q, 3); !errors.Is(err, tc.want) {
			t.Fatalf("accept %s: %v, want %v", tc.q.ID, err, tc.want)
		}
	}
	cp, err := s.Get(ctx, "cp_q")
	if err != nil {
		t.Fatal(err)
	}
	if len(cp.Queue) != 3 || cp.Queued != 3 || cp.QueueHead != 0 {
		t.Fatalf("queue %d entries, queued %d, head %d", len(cp.Queue), cp.Queued, cp.QueueHead)
	}
	for i, want := range []string{"q1", "q2", "q3"} {
		q := cp.Queue[i]
		if q.ID != want || q.State != store.CodeQueued || q.Attribution != "recipient" || string(q.Sealed) != "sealed-"+q.FP {
			t.Fatalf("entry %d = %+v", i, q)
		}
	}
	if _, _, err := s.Accept(ctx, "cp_missing", queued("q", "fp", ""), 3); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("accept on a missing checkpoint: %v", err)
	}
}

func TestAcceptTakesTheTaskTokenOnce(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_t", t0))
	if q, err := s.StoreTaskToken(ctx, "cp_t", "tok"); err != nil || q {
		t.Fatalf("store token: %v %v", q, err)
	}
	var wg sync.WaitGroup
	tokens := make([]string, 5)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, _, err := s.Accept(ctx, "cp_t", queued(fmt.Sprint("q", i), fmt.Sprint("fp", i), fmt.Sprint("SM", i)), 3)
			if err != nil {
				t.Error(err)
			}
			tokens[i] = a.TaskToken
		}()
	}
	wg.Wait()
	got := 0
	for _, tok := range tokens {
		if tok == "tok" {
			got++
		}
	}
	if got != 1 {
		t.Fatalf("%d accepts took the token, want exactly 1: %q", got, tokens)
	}
	// With codes queued, a new wait stores nothing and is told to go on.
	if q, err := s.StoreTaskToken(ctx, "cp_t", "tok2"); err != nil || !q {
		t.Fatalf("store token with codes queued: %v %v", q, err)
	}
	if cp, _ := s.Get(ctx, "cp_t"); cp.TaskToken != "" {
		t.Fatalf("a token was stored while codes were queued: %q", cp.TaskToken)
	}
}

func TestTheHeadIsClaimedAnsweredAndRequeuedByItsClaimCount(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_h", t0))
	for i := range 2 {
		if _, _, err := s.Accept(ctx, "cp_h", queued(fmt.Sprint("q", i), fmt.Sprint("fp", i), ""), 3); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = s.StoreTaskToken(ctx, "cp_h", "dead")
	cp, err := s.ClaimHead(ctx, "cp_h", 0, 0, false, t0)
	if err != nil {
		t.Fatal(err)
	}
	if h, i := cp.Head(); i != 0 || h.State != store.CodeClaimed || h.Claims != 1 || cp.TaskToken != "" {
		t.Fatalf("after the claim: head %d %+v, token %q", i, h, cp.TaskToken)
	}
	// A second attempt that read the head before the claim loses.
	if _, err := s.ClaimHead(ctx, "cp_h", 0, 0, false, t0); !errors.Is(err, store.ErrQueueMoved) {
		t.Fatalf("stale claim: %v", err)
	}
	// A transient answer hands it back; the next claim counts on.
	if err := s.RequeueHead(ctx, "cp_h", 0, 1, store.Event{At: t0, Kind: store.EventSolveRetry}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimHead(ctx, "cp_h", 0, 1, false, t0); err != nil {
		t.Fatal(err)
	}
	cp, err = s.AnswerHead(ctx, "cp_h", 0, 2, store.Answer{Outcome: checkpoint.InvalidCode, ErrorType: "errors/x", At: t0},
		store.Outcome{WrongCodes: 1, Event: store.Event{At: t0, Kind: store.EventSolve, Outcome: checkpoint.InvalidCode}})
	if err != nil {
		t.Fatal(err)
	}
	first := cp.Queue[0]
	if first.State != store.CodeAnswered || first.Outcome != checkpoint.InvalidCode || first.Sealed != nil || first.ErrorType != "errors/x" {
		t.Fatalf("answered entry %+v", first)
	}
	if h, i := cp.Head(); i != 1 || h.ID != "q1" || cp.Queued != 1 || cp.WrongCodes != 1 {
		t.Fatalf("head %d %+v, queued %d, wrong %d", i, h, cp.Queued, cp.WrongCodes)
	}
	// Answering the old head again is refused.
	if _, err := s.AnswerHead(ctx, "cp_h", 0, 2, store.Answer{Outcome: checkpoint.Connected, At: t0}, store.Outcome{}); !errors.Is(err, store.ErrQueueMoved) {
		t.Fatalf("second answer: %v", err)
	}
	if _, err := s.MarkFinal(ctx, "cp_h", checkpoint.StatusFailed, "x", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimHead(ctx, "cp_h", 1, 0, false, t0); !errors.Is(err, store.ErrNotPending) {
		t.Fatalf("claim after the end: %v", err)
	}
}

func TestAcceptRefusesAfterTheEndTheWrongCodesAndAFullQueue(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_full", t0))
	for i := range store.MaxQueuedCodes {
		if _, _, err := s.Accept(ctx, "cp_full", queued(fmt.Sprint("q", i), fmt.Sprint("fp", i), ""), 3); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Accept(ctx, "cp_full", queued("qx", "fpx", ""), 3); !errors.Is(err, store.ErrQueueFull) {
		t.Fatalf("accept past the bound: %v", err)
	}

	create(t, s, newCP("cp_wrong", t0))
	if _, err := s.Record(ctx, "cp_wrong", store.Outcome{WrongCodes: 3}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Accept(ctx, "cp_wrong", queued("q", "fp", ""), 3); !errors.Is(err, store.ErrTooManyWrongCodes) {
		t.Fatalf("accept after 3 wrong codes: %v", err)
	}

	create(t, s, newCP("cp_final", t0))
	if _, err := s.Record(ctx, "cp_final", store.Outcome{Final: checkpoint.Connected}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Accept(ctx, "cp_final", queued("q", "fp", ""), 3); !errors.Is(err, store.ErrNotPending) {
		t.Fatalf("accept after a final outcome: %v", err)
	}
}

func TestUseCodeRefusesAGeneratedCodeTwice(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	create(t, s, newCP("cp_u", t0))
	if err := s.UseCode(ctx, "cp_u", "totp1", 7); err != nil {
		t.Fatal(err)
	}
	if err := s.UseCode(ctx, "cp_u", "totp1", 8); !errors.Is(err, store.ErrCodeReused) {
		t.Fatalf("second use: %v", err)
	}
	if cp, _ := s.Get(ctx, "cp_u"); cp.TOTPStep != 7 {
		t.Fatalf("totp step %d", cp.TOTPStep)
	}
}
