package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Forwarder is a device or inbox that posts codes to its own webhook URL
// (an SMS forwarder app, a mail service's inbound webhook). Every
// forwarder lives in the one partition FWD, sorted by id, so the list is
// one Query; a deployment has a handful of them, not thousands.
type Forwarder struct {
	ID    string `dynamodbav:"id"`
	Kind  string `dynamodbav:"kind"`
	Phone string `dynamodbav:"phone,omitempty"`
	Email string `dynamodbav:"email,omitempty"`
	Name  string `dynamodbav:"name,omitempty"`
	// SealedSecret is the webhook secret sealed with ForwarderSecretContext
	// (id): the HMAC and JWT kinds need the secret itself to verify, so a
	// fingerprint would not do.
	SealedSecret []byte `dynamodbav:"secret"`
	// SealedPassphrase opens httpSMS's end-to-end encrypted content, sealed
	// with ForwarderPassphraseContext(id); absent without one.
	SealedPassphrase []byte    `dynamodbav:"passphrase,omitempty"`
	CreatedAt        time.Time `dynamodbav:"created_at"`
	RotatedAt        time.Time `dynamodbav:"rotated_at,omitempty"`
	// HeartbeatSeconds is how often the forwarder is expected to be heard
	// from (a heartbeat or a message); 0 means no expectation.
	HeartbeatSeconds int        `dynamodbav:"heartbeat_seconds,omitempty"`
	LastMessageAt    *time.Time `dynamodbav:"last_message_at,omitempty"`
	LastHeartbeatAt  *time.Time `dynamodbav:"last_heartbeat_at,omitempty"`
	// SIMs are the numbers the device reported for its SIM cards (SMS
	// Gateway's app:started); its messages may name any of them.
	SIMs    []string `dynamodbav:"sims,stringset,omitempty"`
	Version int64    `dynamodbav:"version"`
}

// ForwarderSecretContext is the sealing context of a forwarder's secret.
func ForwarderSecretContext(id string) string { return "forwarder_secret:" + id }

// ForwarderPassphraseContext is the sealing context of its passphrase.
func ForwarderPassphraseContext(id string) string { return "forwarder_passphrase:" + id }

// ErrForwarderExists: CreateForwarder with an id already used.
var ErrForwarderExists = errors.New("store: forwarder already exists")

const forwarderPK = "FWD"

func forwarderKey(id string) map[string]types.AttributeValue { return key(forwarderPK, id) }

// CreateForwarder stores a new forwarder, only if its id is new. A
// forwarder has no TTL: it lives until it is deleted.
func (s *Store) CreateForwarder(ctx context.Context, f *Forwarder) error {
	f.Version = 1
	item, err := attributevalue.MarshalMap(f)
	if err != nil {
		return fmt.Errorf("marshal forwarder: %w", err)
	}
	for k, av := range forwarderKey(f.ID) {
		item[k] = av
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if isConditionFailed(err) {
		return ErrForwarderExists
	}
	if err != nil {
		return fmt.Errorf("put forwarder: %w", err)
	}
	return nil
}

// GetForwarder reads a forwarder (ErrNotFound once it is deleted).
func (s *Store) GetForwarder(ctx context.Context, id string) (*Forwarder, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: forwarderKey(id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("get forwarder: %w", err)
	}
	if out.Item == nil {
		return nil, ErrNotFound
	}
	var f Forwarder
	if err := attributevalue.UnmarshalMap(out.Item, &f); err != nil {
		return nil, fmt.Errorf("decode forwarder: %w", err)
	}
	return &f, nil
}

// ListForwarders returns every forwarder, by id.
func (s *Store) ListForwarders(ctx context.Context) ([]Forwarder, error) {
	var all []Forwarder
	var start map[string]types.AttributeValue
	for {
		out, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(s.table),
			KeyConditionExpression:    aws.String("pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: forwarderPK}},
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, fmt.Errorf("query forwarders: %w", err)
		}
		for _, it := range out.Items {
			var f Forwarder
			if err := attributevalue.UnmarshalMap(it, &f); err != nil {
				return nil, fmt.Errorf("decode forwarder: %w", err)
			}
			all = append(all, f)
		}
		if len(out.LastEvaluatedKey) == 0 {
			return all, nil
		}
		start = out.LastEvaluatedKey
	}
}

// RotateForwarderSecret replaces the sealed secret: from this write on the
// old secret verifies nothing. ErrNotFound if the forwarder was deleted.
func (s *Store) RotateForwarderSecret(ctx context.Context, id string, sealed []byte, at time.Time) (*Forwarder, error) {
	return s.updateForwarder(ctx, id, "SET #secret = :s, rotated_at = :t ADD version :one",
		map[string]types.AttributeValue{
			":s": &types.AttributeValueMemberB{Value: sealed},
			":t": &types.AttributeValueMemberS{Value: at.UTC().Format(time.RFC3339Nano)},
		})
}

// DeleteForwarder revokes a forwarder: its item, and so its secret, is
// gone. ErrNotFound if there was none.
func (s *Store) DeleteForwarder(ctx context.Context, id string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table), Key: forwarderKey(id),
		ConditionExpression: aws.String("attribute_exists(pk)"),
	})
	if isConditionFailed(err) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete forwarder: %w", err)
	}
	return nil
}

// ForwarderContact is what one verified webhook call tells of its device.
type ForwarderContact struct {
	Message   bool // it carried a message
	Heartbeat bool // it was a heartbeat (a ping, an app start)
	// SIMs are numbers the device reported for its SIM cards.
	SIMs []string
}

// TouchForwarder records that the forwarder was heard from at at. It never
// recreates a deleted forwarder (ErrNotFound).
func (s *Store) TouchForwarder(ctx context.Context, id string, c ForwarderContact, at time.Time) error {
	if !c.Message && !c.Heartbeat && len(c.SIMs) == 0 {
		return nil
	}
	ts := &types.AttributeValueMemberS{Value: at.UTC().Format(time.RFC3339Nano)}
	values := map[string]types.AttributeValue{}
	set := ""
	add := func(attr string) {
		if set != "" {
			set += ", "
		}
		set += attr + " = :t"
		values[":t"] = ts
	}
	if c.Message {
		add("last_message_at")
	}
	if c.Heartbeat {
		add("last_heartbeat_at")
	}
	expr := ""
	if set != "" {
		expr = "SET " + set + " "
	}
	expr += "ADD version :one"
	if len(c.SIMs) > 0 {
		expr += ", sims :sims"
		values[":sims"] = &types.AttributeValueMemberSS{Value: c.SIMs}
	}
	_, err := s.updateForwarder(ctx, id, expr, values)
	return err
}

func (s *Store) updateForwarder(ctx context.Context, id, expr string, values map[string]types.AttributeValue) (*Forwarder, error) {
	values[":one"] = &types.AttributeValueMemberN{Value: "1"}
	in := &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: forwarderKey(id),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	}
	if _, ok := values[":s"]; ok {
		in.ExpressionAttributeNames = map[string]string{"#secret": "secret"}
	}
	out, err := s.db.UpdateItem(ctx, in)
	if isConditionFailed(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("update forwarder: %w", err)
	}
	var f Forwarder
	if err := attributevalue.UnmarshalMap(out.Attributes, &f); err != nil {
		return nil, fmt.Errorf("decode forwarder: %w", err)
	}
	return &f, nil
}

// Confirmation is a mailbox's forwarding-address confirmation (Gmail's,
// Outlook's), kept sealed for ConfirmationRetention so the app can show
// its user the code or link. Key CONF#<lowered address>, sorted by
// arrival.
type Confirmation struct {
	Address    string    `dynamodbav:"address"`
	Provider   string    `dynamodbav:"provider"`
	MessageID  string    `dynamodbav:"message_id"`
	ReceivedAt time.Time `dynamodbav:"received_at"`
	// Sealed holds the code and link, sealed with
	// ConfirmationContext(address).
	Sealed []byte `dynamodbav:"sealed"`
}

// ConfirmationRetention is how long a forwarding confirmation is kept.
const ConfirmationRetention = 24 * time.Hour

// ConfirmationContext is the sealing context of a confirmation.
func ConfirmationContext(address string) string { return "forwarding_confirmation:" + address }

// PutConfirmation stores a confirmation; the same message twice is one item.
func (s *Store) PutConfirmation(ctx context.Context, c *Confirmation) error {
	err := s.put(ctx, "CONF#"+c.Address, sortTime(c.ReceivedAt)+"#"+c.MessageID, c,
		c.ReceivedAt.Add(ConfirmationRetention), "")
	if err != nil {
		return fmt.Errorf("put confirmation: %w", err)
	}
	return nil
}

// Confirmations returns the address's confirmations received within
// ConfirmationRetention before now, newest first (DynamoDB's TTL deletes
// late, so the age is checked here).
func (s *Store) Confirmations(ctx context.Context, address string, now time.Time) ([]Confirmation, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND sk > :since"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":    &types.AttributeValueMemberS{Value: "CONF#" + address},
			":since": &types.AttributeValueMemberS{Value: sortTime(now.Add(-ConfirmationRetention))},
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(20),
	})
	if err != nil {
		return nil, fmt.Errorf("query confirmations: %w", err)
	}
	list := make([]Confirmation, 0, len(out.Items))
	for _, it := range out.Items {
		var c Confirmation
		if err := attributevalue.UnmarshalMap(it, &c); err != nil {
			return nil, fmt.Errorf("decode confirmation: %w", err)
		}
		list = append(list, c)
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].ReceivedAt.After(list[j].ReceivedAt) })
	return list, nil
}
