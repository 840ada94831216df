package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// DB is the part of the DynamoDB client the store uses.
type DB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var _ DB = (*dynamodb.Client)(nil)

// Errors a caller branches on. When one of them comes from a conditional
// write, the method also returns the item as it now stands.
var (
	ErrNotFound = errors.New("store: not found")
	ErrExists   = errors.New("store: checkpoint already exists")
	// ErrTooLarge: a value is past its maximum in the item's size budget
	// (budget.go); nothing was written.
	ErrTooLarge   = errors.New("store: value past its maximum")
	ErrNotPending = errors.New("store: checkpoint no longer accepts codes")
	// ErrCodeReused: a code with this fingerprint is already queued or
	// was already submitted.
	ErrCodeReused = errors.New("store: code already queued or submitted")
	// ErrDuplicateMessage: this webhook message was already accepted.
	ErrDuplicateMessage = errors.New("store: message already accepted")
	// ErrTooManyWrongCodes: the checkpoint has had its wrong codes; the
	// state machine is ending it and no code goes to the provider again.
	ErrTooManyWrongCodes = errors.New("store: the checkpoint has had its wrong codes")
	// ErrQueueFull: the checkpoint's queue holds MaxQueuedCodes codes.
	ErrQueueFull = errors.New("store: the checkpoint's code queue is full")
	// ErrOtherWayInFlight: a "try another way" is refused while a code
	// (or another such request) is queued or being solved.
	ErrOtherWayInFlight = errors.New("store: a code is in flight")
	// ErrTooManyOtherWays: the checkpoint has had MaxOtherWays of them.
	ErrTooManyOtherWays = errors.New("store: no other way is left to ask for")
	// ErrResendTooSoon, ErrTooManyResends: ReserveResend's bound.
	ErrResendTooSoon  = errors.New("store: the last resend is too recent")
	ErrTooManyResends = errors.New("store: the checkpoint's resends are used up")
	// ErrOutcomeRecorded: the provider's recorded final outcome ends the
	// checkpoint with another status than the one asked for.
	ErrOutcomeRecorded = errors.New("store: the provider's recorded outcome ends the checkpoint otherwise")
	// ErrQueueMoved: the queue's head is not the code the caller read (a
	// concurrent attempt of the same task claimed or answered it).
	ErrQueueMoved = errors.New("store: the queue's head moved")
)

// Retention is how long a checkpoint item outlives its expiry, so the app
// can still read its history; pointers and form tokens live a day past
// expiry so a late code is still recognised as late.
const (
	Retention        = 30 * 24 * time.Hour
	PointerRetention = 24 * time.Hour
	MessageRetention = 7 * 24 * time.Hour
)

// Store is the relay's table.
type Store struct {
	db    DB
	table string
}

// New returns a store on the named table.
func New(db DB, table string) *Store { return &Store{db: db, table: table} }

func cpKey(id string) map[string]types.AttributeValue {
	return key("CP#"+id, "CP")
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: pk},
		AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// sortTime formats created_at for recipient pointers: fixed width, so
// pointers sort by time as strings (RFC3339Nano drops trailing zeros and
// would not).
func sortTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func isConditionFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

func (s *Store) put(ctx context.Context, pk, sk string, v any, ttl time.Time, cond string) error {
	item, err := attributevalue.MarshalMap(v)
	if err != nil {
		return fmt.Errorf("marshal %s: %w", pk, err)
	}
	for k, av := range key(pk, sk) {
		item[k] = av
	}
	item[AttrTTL] = &types.AttributeValueMemberN{Value: fmt.Sprint(ttl.Unix())}
	in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}
	if cond != "" {
		in.ConditionExpression = aws.String(cond)
	}
	_, err = s.db.PutItem(ctx, in)
	return err
}

// Create stores a new checkpoint with its recipient pointers and form token
// item. The checkpoint is written first and only if its id is new
// (ErrExists otherwise), so a pointer never names a missing checkpoint; the
// pointers are plain puts, so a retried Create after a partial failure
// completes them.
func (s *Store) Create(ctx context.Context, cp *Checkpoint) error {
	if err := cp.checkBudget(); err != nil {
		return err
	}
	cp.Events = append(cp.Events, Event{At: cp.CreatedAt, Kind: EventRegistered})
	cp.Version = 1
	err := s.put(ctx, "CP#"+cp.ID, "CP", cp, cp.ExpiresAt.Add(Retention), "attribute_not_exists(pk)")
	if isConditionFailed(err) {
		return ErrExists
	}
	if err != nil {
		return fmt.Errorf("put checkpoint: %w", err)
	}
	return s.PutPointers(ctx, cp)
}

type pointer struct {
	ID string `dynamodbav:"id"`
}

// PutPointers writes the recipient pointers and form token item of cp.
func (s *Store) PutPointers(ctx context.Context, cp *Checkpoint) error {
	ttl := cp.ExpiresAt.Add(PointerRetention)
	for _, r := range []string{cp.Phone, cp.Email} {
		if r == "" {
			continue
		}
		if err := s.put(ctx, "RCPT#"+r, sortTime(cp.CreatedAt)+"#"+cp.ID, pointer{cp.ID}, ttl, ""); err != nil {
			return fmt.Errorf("put recipient pointer: %w", err)
		}
	}
	if cp.FormTokenFP != "" {
		if err := s.put(ctx, "FORM#"+cp.FormTokenFP, "FORM", pointer{cp.ID}, ttl, ""); err != nil {
			return fmt.Errorf("put form token: %w", err)
		}
	}
	return nil
}

// SwapAccountPointer makes id the current checkpoint of an account and
// returns the one it replaces ("" if none, or if it was already id).
func (s *Store) SwapAccountPointer(ctx context.Context, api checkpoint.API, accountID, id string, expires time.Time) (string, error) {
	item, err := attributevalue.MarshalMap(pointer{id})
	if err != nil {
		return "", err
	}
	for k, av := range key("ACCT#"+string(api)+"#"+accountID, "ACCT") {
		item[k] = av
	}
	item[AttrTTL] = &types.AttributeValueMemberN{Value: fmt.Sprint(expires.Add(PointerRetention).Unix())}
	out, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: item, ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return "", fmt.Errorf("swap account pointer: %w", err)
	}
	var old pointer
	if err := attributevalue.UnmarshalMap(out.Attributes, &old); err != nil {
		return "", err
	}
	if old.ID == id {
		return "", nil
	}
	return old.ID, nil
}

// Get reads a checkpoint (strongly consistent).
func (s *Store) Get(ctx context.Context, id string) (*Checkpoint, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: cpKey(id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("get checkpoint: %w", err)
	}
	if out.Item == nil {
		return nil, ErrNotFound
	}
	return decode(out.Item)
}

func decode(item map[string]types.AttributeValue) (*Checkpoint, error) {
	var cp Checkpoint
	if err := attributevalue.UnmarshalMap(item, &cp); err != nil {
		return nil, fmt.Errorf("decode checkpoint: %w", err)
	}
	return &cp, nil
}

// GetByFormToken returns the checkpoint whose form token has fingerprint fp.
func (s *Store) GetByFormToken(ctx context.Context, fp string) (*Checkpoint, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: key("FORM#"+fp, "FORM"), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("get form token: %w", err)
	}
	if out.Item == nil {
		return nil, ErrNotFound
	}
	var p pointer
	if err := attributevalue.UnmarshalMap(out.Item, &p); err != nil {
		return nil, err
	}
	return s.Get(ctx, p.ID)
}

// MarkMessageSeen records a key that may be used once (a forwarder's
// signed request timestamp); it reports false when the key was already
// recorded: a replay. Codes are de-duplicated by their checkpoint's queue
// (Accept), not here.
func (s *Store) MarkMessageSeen(ctx context.Context, source, messageID string, now time.Time) (bool, error) {
	err := s.put(ctx, "MSG#"+source+"#"+messageID, "MSG", struct {
		At time.Time `dynamodbav:"at"`
	}{now}, now.Add(MessageRetention), "attribute_not_exists(pk)")
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("put message id: %w", err)
	}
	return true, nil
}

// exec runs an update on a checkpoint. It returns the item as
// returnValues asks, ErrNotFound when the item is missing, and the raw
// conditional failure otherwise (callers classify it).
func (s *Store) exec(ctx context.Context, id string, u *update, rv types.ReturnValue) (*Checkpoint, error) {
	if u.err != nil {
		return nil, u.err
	}
	u.Add("version", 1)
	u.If("attribute_exists(%s)", attr(AttrPK))
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       cpKey(id),
		UpdateExpression:          aws.String(u.expression()),
		ConditionExpression:       u.condition(),
		ExpressionAttributeNames:  u.names,
		ExpressionAttributeValues: u.values,
		ReturnValues:              rv,
	}
	out, err := s.db.UpdateItem(ctx, in)
	if err != nil {
		return nil, err
	}
	if out.Attributes == nil {
		return nil, nil
	}
	return decode(out.Attributes)
}

// failed turns a conditional failure into ErrNotFound or the caller's
// classification of the current item.
func (s *Store) failed(ctx context.Context, id string, err error, classify func(*Checkpoint) error) (*Checkpoint, error) {
	if !isConditionFailed(err) {
		return nil, fmt.Errorf("update checkpoint: %w", err)
	}
	cp, gerr := s.Get(ctx, id)
	if gerr != nil {
		return nil, gerr
	}
	return cp, classify(cp)
}

// SetExecution records the execution started for the checkpoint.
func (s *Store) SetExecution(ctx context.Context, id, arn string, at time.Time) error {
	u := newUpdate().Set("execution_arn", arn).AppendEvent(Event{At: at, Kind: EventExecution})
	_, err := s.exec(ctx, id, u, types.ReturnValueNone)
	if isConditionFailed(err) {
		return ErrNotFound
	}
	return err
}

// RecordEvent appends a history line that changes no state (a late code, a
// message without a code). Once MaxEvents lines are kept it only counts.
func (s *Store) RecordEvent(ctx context.Context, id string, e Event) error {
	u := newUpdate().AppendEvent(e).If("size(%s) < %s", attr("events"), MaxEvents)
	_, err := s.exec(ctx, id, u, types.ReturnValueNone)
	if isConditionFailed(err) {
		u = newUpdate().Add("events_dropped", 1)
		_, err = s.exec(ctx, id, u, types.ReturnValueNone)
		if isConditionFailed(err) {
			return ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("record event: %w", err)
	}
	return nil
}

// Outcome is what a solve, resend or poll records on the checkpoint.
type Outcome struct {
	Event Event
	// Counters to increase.
	WrongCodes, FormWrongCodes, Resends, Polls int
	// NewType and NewMode switch a chained checkpoint.
	NewType checkpoint.Type
	NewMode checkpoint.Mode
	// Final marks the checkpoint as settled: no more codes are accepted.
	Final checkpoint.Outcome
}

func (o Outcome) apply(u *update) {
	if o.Event.Kind != "" {
		u.AppendEvent(o.Event)
	}
	if o.Resends > 0 {
		// A fresh code was requested: a sender distrusted for the old one
		// (the provider's own short code that delivered a stale code) is
		// trusted again.
		u.Set("code_requested_at", o.Event.At).Remove("untrusted_senders")
	}
	for attrName, n := range map[string]int{
		"wrong_codes": o.WrongCodes, "form_wrong_codes": o.FormWrongCodes,
		"resends": o.Resends, "polls": o.Polls,
	} {
		if n != 0 {
			u.Add(attrName, n)
		}
	}
	if o.NewType != "" {
		u.Set("type", o.NewType)
	}
	if o.NewMode != "" {
		u.Set("mode", o.NewMode)
	}
	if o.Final != "" {
		u.Set("final_outcome", o.Final)
	}
}

// Record writes an outcome that no code of the queue carries (a poll, a
// TOTP code, a resend, a delivered callback) and returns the item after it.
func (s *Store) Record(ctx context.Context, id string, o Outcome) (*Checkpoint, error) {
	u := newUpdate()
	o.apply(u)
	cp, err := s.exec(ctx, id, u, types.ReturnValueAllNew)
	if isConditionFailed(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("record outcome: %w", err)
	}
	return cp, nil
}

// UseCode records a generated (TOTP) code's fingerprint and time step
// before the code is sent, so that no attempt, not even one that dies
// before it records its answer, sends the same code twice
// (ErrCodeReused).
func (s *Store) UseCode(ctx context.Context, id, fp string, step int64) error {
	u := newUpdate().AddToSet("code_fps", fp).Set("totp_step", step).
		If("NOT contains(%s, %s)", attr("code_fps"), fp).
		If("%s = %s", attr("status"), checkpoint.StatusPending)
	_, err := s.exec(ctx, id, u, types.ReturnValueNone)
	if err == nil {
		return nil
	}
	_, err = s.failed(ctx, id, err, func(cp *Checkpoint) error {
		if cp.Status != checkpoint.StatusPending {
			return ErrNotPending
		}
		return ErrCodeReused
	})
	return err
}

// MarkFinal ends a pending checkpoint with status and reason, dropping
// the task token (nothing waits any more); codes still queued stay on the
// item, untried.
//
// An end the state machine decides (any status but superseded) never
// overrides the provider, and the write's condition says so: when a final
// outcome is recorded that ends the checkpoint with another status
// (final_outcome connected, but status failed after a task kept failing),
// it returns the item and ErrOutcomeRecorded, and the caller finishes with
// the recorded outcome's status instead. A superseded checkpoint ends at
// once: the app registered a new one. If it had already ended, MarkFinal
// returns the item and ErrNotPending, so a retried finish can tell its own
// earlier write from a different end.
func (s *Store) MarkFinal(ctx context.Context, id string, status checkpoint.Status, reason string, at time.Time) (*Checkpoint, error) {
	kind := EventFinished
	if status == checkpoint.StatusSuperseded {
		kind = EventSuperseded
	}
	reason = clipText(reason, MaxReason)
	u := newUpdate().Set("status", status).Set("ended_at", at).
		Remove("task_token").
		AppendEvent(Event{At: at, Kind: kind, Detail: string(status) + reasonSuffix(reason)}).
		If("%s = %s", attr("status"), checkpoint.StatusPending)
	if reason != "" {
		u.Set("reason", reason)
	}
	guarded := status != checkpoint.StatusSuperseded
	// ending is the one recorded outcome that allows this end ("" for an
	// end no provider answer gives, such as needs_human).
	ending, _ := outcomeEnding(status)
	if guarded {
		if ending != "" {
			u.If("attribute_not_exists(%s) OR %s = %s", attr("final_outcome"), attr("final_outcome"), ending)
		} else {
			u.If("attribute_not_exists(%s)", attr("final_outcome"))
		}
	}
	cp, err := s.exec(ctx, id, u, types.ReturnValueAllNew)
	if err == nil {
		return cp, nil
	}
	return s.failed(ctx, id, err, func(cp *Checkpoint) error {
		if cp.Status != checkpoint.StatusPending {
			return ErrNotPending
		}
		return ErrOutcomeRecorded
	})
}

// outcomeEnding is the final outcome that ends a checkpoint with status.
func outcomeEnding(status checkpoint.Status) (checkpoint.Outcome, bool) {
	for _, o := range []checkpoint.Outcome{checkpoint.Connected, checkpoint.Restart, checkpoint.Rejected} {
		if st, _ := o.FinalStatus(); st == status {
			return o, true
		}
	}
	return "", false
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return ": " + strings.TrimSpace(r)
}
