package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/dynalitetest"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// maxCheckpoint is a checkpoint with every registration value at its
// maximum.
func maxCheckpoint(id string) *store.Checkpoint {
	cp := newCP(id, t0)
	cp.AccountID = strings.Repeat("a", store.MaxAccountID)
	cp.Phone = "+" + strings.Repeat("9", store.MaxPhone-1)
	cp.Email = strings.Repeat("e", store.MaxEmail)
	cp.CallbackURL = strings.Repeat("u", store.MaxCallbackURL)
	cp.SealedTOTPSecret = make([]byte, store.MaxSealed)
	cp.SealedFormToken = make([]byte, store.MaxSealed)
	return cp
}

// The item at every maximum, its lists full, stays under half of
// DynamoDB's limit: the rest is margin for what a later change adds.
func TestCheckpointItemAtEveryMaximumFits(t *testing.T) {
	cp := maxCheckpoint("cp_" + strings.Repeat("m", 26))
	cp.ExecutionARN = "arn:aws:states:eu-west-3:123456789012:execution:" + strings.Repeat("s", 80) + ":" + cp.ID
	cp.TaskToken = strings.Repeat("t", 1024) // Step Functions task tokens are at most 1,024 characters
	cp.Reason = strings.Repeat("r", store.MaxReason)
	// A queued code is sealed by the relay, not sent in: a code of at
	// most 16 characters makes a KMS ciphertext blob of about 200 bytes.
	at := t0
	for i := range store.MaxQueuedCodes {
		cp.Queue = append(cp.Queue, store.QueuedCode{ID: strings.Repeat("q", 16), FP: strings.Repeat("f", 64),
			Sealed: make([]byte, 300), Channel: checkpoint.ChannelEmail, Source: "email-generic",
			MessageID: strings.Repeat("m", store.MaxMessageKey), ArrivedAt: t0, Attribution: strings.Repeat("a", store.MaxMessageKey),
			State: store.CodeAnswered, Claims: 2, Resubmitted: true, ClaimedAt: &at, AnsweredAt: &at,
			Outcome: checkpoint.InvalidCode, ErrorType: strings.Repeat("e", 64), Reason: "ambiguous_after_timeout"})
		cp.MessageIDs = append(cp.MessageIDs, strings.Repeat("m", store.MaxMessageKey-3)+string(rune('a'+i)))
	}
	cp.IdempotencyFP = strings.Repeat("f", 64)
	cp.FormTokenFP = strings.Repeat("f", 64)
	for i := range store.MaxCodeFingerprints {
		cp.CodeFPs = append(cp.CodeFPs, strings.Repeat("f", 62)+string(rune('A'+i%26))+string(rune('a'+i/26)))
	}
	for range store.MaxEvents + store.MaxStateEvents {
		cp.Events = append(cp.Events, store.Event{At: t0, Kind: store.EventLateCode, Channel: checkpoint.ChannelEmail,
			Outcome: checkpoint.InvalidCode, Detail: strings.Repeat("d", store.MaxEventDetail)})
	}
	item, err := attributevalue.MarshalMap(cp)
	if err != nil {
		t.Fatal(err)
	}
	item["pk"] = &types.AttributeValueMemberS{Value: "CP#" + cp.ID}
	item["sk"] = &types.AttributeValueMemberS{Value: "CP"}
	item["ttl"] = &types.AttributeValueMemberN{Value: "1795400373"}
	size := itemSize(item)
	t.Logf("checkpoint item at every maximum: %d bytes of %d", size, store.MaxItemBytes)
	if size > store.MaxItemBytes/2 {
		t.Fatalf("the item at every maximum is %d bytes, over half of DynamoDB's %d", size, store.MaxItemBytes)
	}
}

// Create refuses a value past its maximum before writing anything, and
// accepts every one at its maximum; the history then fills to MaxEvents
// with lines clipped to MaxEventDetail, through the real writes.
func TestCreateHoldsTheBudget(t *testing.T) {
	ctx := context.Background()
	s := dynalitetest.Store(t)
	for _, tc := range []struct {
		name string
		edit func(*store.Checkpoint)
	}{
		{"account_id", func(c *store.Checkpoint) { c.AccountID += "a" }},
		{"phone", func(c *store.Checkpoint) { c.Phone += "9" }},
		{"email", func(c *store.Checkpoint) { c.Email += "e" }},
		{"callback_url", func(c *store.Checkpoint) { c.CallbackURL += "u" }},
		{"totp_secret", func(c *store.Checkpoint) { c.SealedTOTPSecret = append(c.SealedTOTPSecret, 0) }},
	} {
		cp := maxCheckpoint("cp_over_" + tc.name)
		tc.edit(cp)
		if err := s.Create(ctx, cp); !errors.Is(err, store.ErrTooLarge) || !strings.Contains(err.Error(), tc.name) {
			t.Fatalf("%s past its maximum: got %v, want ErrTooLarge naming it", tc.name, err)
		}
		if _, err := s.Get(ctx, cp.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s past its maximum: the checkpoint was written (%v)", tc.name, err)
		}
	}
	cp := maxCheckpoint("cp_max")
	create(t, s, cp)
	for range store.MaxEvents + 5 {
		if err := s.RecordEvent(ctx, cp.ID, store.Event{At: t0, Kind: store.EventLateCode,
			Detail: strings.Repeat("d", 10*store.MaxEventDetail)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.MarkFinal(ctx, cp.ID, checkpoint.StatusFailed, strings.Repeat("r", 10*store.MaxReason), t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Reason) != store.MaxReason {
		t.Fatalf("reason of %d bytes, want it clipped to %d", len(got.Reason), store.MaxReason)
	}
	for _, e := range got.Events {
		if len(e.Detail) > store.MaxEventDetail {
			t.Fatalf("a history line of %d bytes, over %d", len(e.Detail), store.MaxEventDetail)
		}
	}
}

// itemSize is an item's size as DynamoDB counts it: attribute names plus
// values (strings and binaries their bytes, numbers about one byte per two
// digits plus one, sets and lists their elements plus 3 bytes and one per
// element, maps their names too).
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return len(x.Value)
	case *types.AttributeValueMemberN:
		return (len(x.Value)+1)/2 + 1
	case *types.AttributeValueMemberB:
		return len(x.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 3
		for _, s := range x.Value {
			n += len(s) + 1
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range x.Value {
			n += valueSize(e) + 1
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range x.Value {
			n += len(k) + valueSize(e) + 1
		}
		return n
	}
	return 0
}
