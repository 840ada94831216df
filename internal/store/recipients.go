package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// attrPointerEnded marks a recipient pointer whose checkpoint has ended:
// lookups of pending checkpoints filter such pointers out, so a recipient
// with many ended checkpoints costs one small pointer read each, not a
// checkpoint read. A lookup that meets an ended checkpoint behind an
// unmarked pointer marks it (the pointer is only a hint: the checkpoint's
// own status decides).
const attrPointerEnded = "ended"

// PendingForRecipient returns every pending checkpoint whose phone or
// email is recipient, oldest first: however many of the recipient's
// checkpoints ended since, there is no scan window.
func (s *Store) PendingForRecipient(ctx context.Context, recipient string) ([]*Checkpoint, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		FilterExpression:          aws.String("attribute_not_exists(#ended)"),
		ExpressionAttributeNames:  map[string]string{"#ended": attrPointerEnded},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "RCPT#" + recipient}},
	}
	var out []*Checkpoint
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query recipient: %w", err)
		}
		for _, it := range page.Items {
			var ptr pointer
			if err := attributevalue.UnmarshalMap(it, &ptr); err != nil {
				return nil, err
			}
			cp, err := s.Get(ctx, ptr.ID)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if cp.Status != checkpoint.StatusPending {
				s.markPointerEnded(ctx, it)
				continue
			}
			out = append(out, cp)
		}
	}
	return out, nil
}

// markPointerEnded is best effort: an unmarked pointer only costs the next
// lookup one more read.
func (s *Store) markPointerEnded(ctx context.Context, ptr map[string]types.AttributeValue) {
	_, _ = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       map[string]types.AttributeValue{AttrPK: ptr[AttrPK], AttrSK: ptr[AttrSK]},
		UpdateExpression:          aws.String("SET #ended = :t"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames:  map[string]string{"#ended": attrPointerEnded},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}},
	})
}

// LatestForRecipient returns the recipient's newest checkpoint of any
// status (a code for no pending checkpoint is recorded on it as late), or
// ErrNotFound when the relay knows no checkpoint for the recipient.
func (s *Store) LatestForRecipient(ctx context.Context, recipient string) (*Checkpoint, error) {
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "RCPT#" + recipient}},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(4),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query recipient: %w", err)
		}
		for _, it := range page.Items {
			var ptr pointer
			if err := attributevalue.UnmarshalMap(it, &ptr); err != nil {
				return nil, err
			}
			cp, err := s.Get(ctx, ptr.ID)
			if errors.Is(err, ErrNotFound) {
				continue // a pointer written before its checkpoint's retry
			}
			return cp, err
		}
	}
	return nil, ErrNotFound
}

// DistrustSender records that the sender with fingerprint senderFP sent
// checkpoint id a wrong code (right for none of its other candidates): its
// later codes for it are recorded, not submitted, until the next code
// request. The event says so in the history.
func (s *Store) DistrustSender(ctx context.Context, id, senderFP string, e Event) error {
	u := newUpdate().AddToSet("untrusted_senders", senderFP).AppendEvent(e)
	_, err := s.exec(ctx, id, u, types.ReturnValueNone)
	if isConditionFailed(err) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("distrust sender: %w", err)
	}
	return nil
}
