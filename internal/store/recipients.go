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
	err := s.eachRecipientCheckpoint(ctx, in, func(ptr map[string]types.AttributeValue, cp *Checkpoint) bool {
		if cp.Status != checkpoint.StatusPending {
			s.markPointerEnded(ctx, ptr)
		} else {
			out = append(out, cp)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachRecipientCheckpoint reads the checkpoints the recipient pointers of
// query in name, in the query's order, and hands each with its pointer
// item to visit until visit answers false. A pointer whose checkpoint is
// not there (written before its checkpoint's retry) is passed over.
func (s *Store) eachRecipientCheckpoint(ctx context.Context, in *dynamodb.QueryInput, visit func(ptr map[string]types.AttributeValue, cp *Checkpoint) bool) error {
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("query recipient: %w", err)
		}
		for _, it := range page.Items {
			var ptr pointer
			if err := attributevalue.UnmarshalMap(it, &ptr); err != nil {
				return err
			}
			cp, err := s.Get(ctx, ptr.ID)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if !visit(it, cp) {
				return nil
			}
		}
	}
	return nil
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
	var latest *Checkpoint
	err := s.eachRecipientCheckpoint(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "RCPT#" + recipient}},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(4),
	}, func(_ map[string]types.AttributeValue, cp *Checkpoint) bool {
		latest = cp
		return false
	})
	switch {
	case err != nil:
		return nil, err
	case latest == nil:
		return nil, ErrNotFound
	}
	return latest, nil
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
