package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// EarlyCode is a code that reached the relay before any pending checkpoint
// of its recipient could take it (providers send the code as the login
// call returns, often before the app registers). It is kept sealed for the
// early window, only for a recipient the relay knows from an earlier
// checkpoint, and taken by the next registration for that recipient.
//
// Item: pk EARLY#<recipient>, sk <arrived_at, fixed width>#<Key>, so a
// recipient's early codes read in arrival order.
type EarlyCode struct {
	Recipient string    `dynamodbav:"recipient"`
	ArrivedAt time.Time `dynamodbav:"arrived_at"`
	// Key makes the item unique for its recipient (the source and message
	// id, or a random value).
	Key string `dynamodbav:"key"`
	// SealedCode is the code sealed with EarlyCodeContext(Recipient, Key).
	SealedCode []byte             `dynamodbav:"code"`
	Channel    checkpoint.Channel `dynamodbav:"channel"`
	Source     string             `dynamodbav:"source"`
	MessageID  string             `dynamodbav:"message_id,omitempty"`
	// Sender is the sender's fingerprint (attribution's untrusted-sender
	// rule), never the sender in clear.
	Sender          string              `dynamodbav:"sender,omitempty"`
	Service         string              `dynamodbav:"service,omitempty"`
	SentAt          time.Time           `dynamodbav:"sent_at,omitempty"`
	AuthenticatedAs checkpoint.Provider `dynamodbav:"authenticated_as,omitempty"`
	AuthDetail      string              `dynamodbav:"auth_detail,omitempty"`
}

// EarlyCodeContext is the sealing context of an early code, so a sealed
// code cannot be moved to another recipient's item.
func EarlyCodeContext(recipient, key string) string { return "early_code:" + recipient + ":" + key }

func earlySK(e EarlyCode) string { return sortTime(e.ArrivedAt) + "#" + e.Key }

// HoldEarlyCode keeps e until keepFor after its arrival (then TTL removes
// it; EarlyCodes never returns it past that).
func (s *Store) HoldEarlyCode(ctx context.Context, e EarlyCode, keepFor time.Duration) error {
	if err := s.put(ctx, "EARLY#"+e.Recipient, earlySK(e), e, e.ArrivedAt.Add(keepFor), ""); err != nil {
		return fmt.Errorf("hold early code: %w", err)
	}
	return nil
}

// EarlyCodes returns the recipient's early codes that arrived at or after
// since, in arrival order.
func (s *Store) EarlyCodes(ctx context.Context, recipient string, since time.Time) ([]EarlyCode, error) {
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND sk >= :since"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":    &types.AttributeValueMemberS{Value: "EARLY#" + recipient},
			":since": &types.AttributeValueMemberS{Value: sortTime(since)},
		},
		ConsistentRead: aws.Bool(true),
	})
	var out []EarlyCode
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query early codes: %w", err)
		}
		for _, it := range page.Items {
			var e EarlyCode
			if err := attributevalue.UnmarshalMap(it, &e); err != nil {
				return nil, fmt.Errorf("decode early code: %w", err)
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// TakeEarlyCode removes e and reports whether this call removed it, so two
// registrations racing for one early code take it once.
func (s *Store) TakeEarlyCode(ctx context.Context, e EarlyCode) (bool, error) {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:           aws.String(s.table),
		Key:                 key("EARLY#"+e.Recipient, earlySK(e)),
		ConditionExpression: aws.String("attribute_exists(pk)"),
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take early code: %w", err)
	}
	return true, nil
}
