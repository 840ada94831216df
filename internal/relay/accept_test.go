package relay

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

func TestDeliverQueuesTheCodeAndWakesTheWaitingExecutionWithoutCallingTheProvider(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	if err := h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "tok1"}); err != nil {
		t.Fatal(err)
	}
	res, err := h.svc.Deliver(ctx, sms("m1", "123 456"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != DeliveryAccepted || res.CheckpointID != r.ID || res.CodeID == "" {
		t.Fatalf("result %+v", res)
	}
	if got := h.postpress.calls(); len(got) != 0 {
		t.Fatalf("a code handler called the provider: %v", got)
	}
	if sent := h.wf.sent("tok1"); len(sent) != 1 || sent[0].Outcome != OutcomeCodeQueued {
		t.Fatalf("execution resumed with %+v", sent)
	}
	cp := h.item(t, r.ID)
	if cp.TaskToken != "" || cp.Queued != 1 || len(cp.Queue) != 1 {
		t.Fatalf("item: token %q queued %d entries %d", cp.TaskToken, cp.Queued, len(cp.Queue))
	}
	q := cp.Queue[0]
	if q.Channel != checkpoint.ChannelSMS || q.Source != "twilio" || q.MessageID != "m1" || q.Attribution != AttributedByRecipient ||
		q.State != store.CodeQueued || q.ArrivedAt.IsZero() || bytes.Contains(q.Sealed, []byte("123456")) {
		t.Fatalf("queued code %+v", q)
	}
	clear, err := h.sealer.Open(ctx, q.Sealed, store.QueuedCodeContext(r.ID))
	if err != nil || string(clear) != "123456" {
		t.Fatalf("sealed code opens to %q, %v; want the code without its space", clear, err)
	}
}

func TestDeliveryStatuses(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	for _, tc := range []struct {
		d    Delivery
		want DeliveryStatus
	}{
		{sms("m1", "111111"), DeliveryAccepted},
		{sms("m1", "111111"), DeliveryDuplicate},   // the sender's retry
		{sms("m2", "111111"), DeliveryCodeReused},  // the same code again
		{sms("m3", "1111-11"), DeliveryCodeReused}, // and with a separator
		{sms("m4", "222222"), DeliveryAccepted},    // a busy checkpoint takes every code
		{sms("m5", ""), DeliveryNoCode},            // nothing to queue
		{sms("m6", "333333", "+33700000000"), DeliveryUnknownRecipient},
	} {
		got, err := h.svc.Deliver(ctx, tc.d)
		if err != nil || got.Status != tc.want {
			t.Fatalf("%s %q: %+v, %v; want %s", tc.d.MessageID, tc.d.Code, got, err, tc.want)
		}
	}
	if cp := h.item(t, r.ID); len(cp.Queue) != 2 || !hasEvent(cp, store.EventCodeReused) || !hasEvent(cp, store.EventNoCode) {
		t.Fatalf("queue %d, events %+v", len(cp.Queue), cp.Events)
	}
	// Past the queue's bound a code is refused, never an error.
	for i := len(h.item(t, r.ID).Queue); i < store.MaxQueuedCodes; i++ {
		if got, err := h.svc.Deliver(ctx, sms(fmt.Sprint("f", i), fmt.Sprintf("4%05d", i))); err != nil || got.Status != DeliveryAccepted {
			t.Fatalf("code %d: %+v, %v", i, got, err)
		}
	}
	if got, err := h.svc.Deliver(ctx, sms("over", "999999")); err != nil || got.Status != DeliveryQueueFull {
		t.Fatalf("past the bound: %+v, %v", got, err)
	}
	if _, err := h.svc.Finish(ctx, FinishInput{CheckpointID: r.ID, Status: checkpoint.StatusFailed, Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	// After the end a LinkedIn code is late for this checkpoint, and held
	// for the recipient's next registration (it may be its code).
	if got, err := h.svc.Deliver(ctx, sms("late", "555555")); err != nil || got.Status != DeliveryHeld {
		t.Fatalf("after the end: %+v, %v", got, err)
	}
	if !hasEvent(h.item(t, r.ID), store.EventLateCode) {
		t.Fatal("the late code is not in the history")
	}
	if got, err := h.svc.Deliver(ctx, sms("m1", "111111")); err != nil || got.Status != DeliveryDuplicate {
		t.Fatalf("a retry after the end: %+v, %v; want duplicate", got, err)
	}
	if len(h.postpress.calls()) != 0 {
		t.Fatal("delivering called the provider")
	}
}

func TestACodeAfterTheWrongCodeBoundIsLate(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	if _, err := h.store.Record(ctx, r.ID, store.Outcome{WrongCodes: MaxWrongCodes}); err != nil {
		t.Fatal(err)
	}
	if got, err := h.svc.Deliver(ctx, sms("m1", "123456")); err != nil || got.Status != DeliveryLate {
		t.Fatalf("%+v, %v", got, err)
	}
}

func TestAnAcceptedCodeSurvivesAWakeThatFails(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	_ = h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "tok"})
	h.wf.broken = true
	if got, err := h.svc.Deliver(ctx, sms("m1", "123456")); err != nil || got.Status != DeliveryAccepted {
		t.Fatalf("%+v, %v: the code is queued whatever Step Functions says", got, err)
	}
	// The wait times out; the solve after it finds the code.
	h.postpress.answer("123456", checkpoint.Connected)
	got, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode})
	if err != nil || got.Outcome != checkpoint.Connected || !got.FromQueue {
		t.Fatalf("%+v, %v", got, err)
	}
}

func TestAwaitCodeEndsItsOwnWaitWhenACodeIsQueued(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	if _, err := h.svc.Deliver(ctx, sms("m1", "123456")); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: r.ID, TaskToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	if sent := h.wf.sent("tok"); len(sent) != 1 || sent[0].Outcome != OutcomeCodeQueued {
		t.Fatalf("await-code sent %+v", sent)
	}
	if cp := h.item(t, r.ID); cp.TaskToken != "" {
		t.Fatal("a token was stored with a code waiting")
	}
}
