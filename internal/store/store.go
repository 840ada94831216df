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
	ErrCodeReused = errors.New("store: code already submitted")
	ErrBusy       = errors.New("store: another solve holds the lease")
	// ErrTooManyWrongCodes: the checkpoint has had its wrong codes; the
	// state machine is ending it and no code goes to the provider again.
	ErrTooManyWrongCodes = errors.New("store: the checkpoint has had its wrong codes")
	ErrLeaseLost         = errors.New("store: solve lease lost")
	// ErrOutcomeRecorded: the provider's recorded final outcome ends the
	// checkpoint with another status than the one asked for.
	ErrOutcomeRecorded = errors.New("store: the provider's recorded outcome ends the checkpoint otherwise")
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

// recipientScan bounds how many of a recipient's checkpoints are examined,
// newest first, to find a pending one.
const recipientScan = 10

// NewestForRecipient returns the newest pending checkpoint whose phone or
// email is recipient; if none is pending, the newest checkpoint of any
// status (so a late code can be recorded on it); ErrNotFound if the
// recipient has none.
func (s *Store) NewestForRecipient(ctx context.Context, recipient string) (*Checkpoint, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "RCPT#" + recipient}},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(recipientScan),
	})
	if err != nil {
		return nil, fmt.Errorf("query recipient: %w", err)
	}
	var newest *Checkpoint
	for _, it := range out.Items {
		var p pointer
		if err := attributevalue.UnmarshalMap(it, &p); err != nil {
			return nil, err
		}
		cp, err := s.Get(ctx, p.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if cp.Status == checkpoint.StatusPending {
			return cp, nil
		}
		if newest == nil {
			newest = cp
		}
	}
	if newest == nil {
		return nil, ErrNotFound
	}
	return newest, nil
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

// MarkMessageSeen records a webhook message id; it reports false when the
// id was already recorded (a provider's retry).
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

// ForgetMessage removes a recorded message id, so the sender's retry of a
// message whose handling failed before its code reached the provider is
// handled again.
func (s *Store) ForgetMessage(ctx context.Context, source, messageID string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table), Key: key("MSG#"+source+"#"+messageID, "MSG"),
	})
	if err != nil {
		return fmt.Errorf("forget message id: %w", err)
	}
	return nil
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

// Claim is a request for the solve lease.
type Claim struct {
	// Owner identifies this solve (a random id per call).
	Owner string
	// CodeFP is the code's fingerprint; empty for a poll or a retried
	// pending code (already recorded when it was first claimed).
	CodeFP string
	// Now and LeaseFor bound the lease; a lease past its end is free, so a
	// crashed solver never blocks the checkpoint for long.
	Now      time.Time
	LeaseFor time.Duration
	// MaxWrongCodes, when positive, refuses the claim once the checkpoint
	// has seen that many wrong codes from any channel
	// (ErrTooManyWrongCodes): a further code could only cost the account
	// another failed attempt at the provider.
	MaxWrongCodes int
	// Event, if set, is appended with the claim (code received).
	Event *Event
}

// ClaimSolve takes the solve lease of a pending checkpoint and records the
// code's fingerprint, in one conditional write: the checkpoint is pending
// and not settled, the lease is free or expired, the code is new. On
// failure it returns the item and ErrNotPending, ErrCodeReused, ErrBusy or
// ErrTooManyWrongCodes.
func (s *Store) ClaimSolve(ctx context.Context, id string, c Claim) (*Checkpoint, error) {
	now := c.Now.UnixMilli()
	u := newUpdate().
		Set("lease_until", c.Now.Add(c.LeaseFor).UnixMilli()).
		Set("lease_owner", c.Owner).
		If("%s = %s", attr("status"), checkpoint.StatusPending).
		If("attribute_not_exists(%s)", attr("final_outcome")).
		If("attribute_not_exists(%s) OR %s < %s", attr("lease_until"), attr("lease_until"), now)
	if c.CodeFP != "" {
		u.AddToSet("code_fps", c.CodeFP).If("NOT contains(%s, %s)", attr("code_fps"), c.CodeFP)
	}
	if c.MaxWrongCodes > 0 {
		u.If("%s < %s", attr("wrong_codes"), c.MaxWrongCodes)
	}
	if c.Event != nil {
		u.AppendEvent(*c.Event)
	}
	cp, err := s.exec(ctx, id, u, types.ReturnValueAllNew)
	if err == nil {
		return cp, nil
	}
	return s.failed(ctx, id, err, func(cp *Checkpoint) error {
		switch {
		case cp.Status != checkpoint.StatusPending || cp.FinalOutcome != "":
			return ErrNotPending
		case c.CodeFP != "" && cp.UsedCode(c.CodeFP):
			return ErrCodeReused
		case c.MaxWrongCodes > 0 && cp.WrongCodes >= c.MaxWrongCodes:
			return ErrTooManyWrongCodes
		default:
			return ErrBusy
		}
	})
}

// ReleaseLease gives the lease back without recording an outcome (the
// solve failed before any call was made). unsentFP, if set, is the
// fingerprint the claim recorded for a code that never reached the
// provider: it is dropped so the same code can be submitted again.
func (s *Store) ReleaseLease(ctx context.Context, id, owner, unsentFP string) error {
	u := newUpdate().Remove("lease_until", "lease_owner").If("%s = %s", attr("lease_owner"), owner)
	if unsentFP != "" {
		u.del = append(u.del, u.n("code_fps")+" "+u.raw(&types.AttributeValueMemberSS{Value: []string{unsentFP}}))
	}
	_, err := s.exec(ctx, id, u, types.ReturnValueNone)
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}

// Outcome is what a solve (or resend, or poll) recorded on the checkpoint.
type Outcome struct {
	Event Event
	// Counters to increase.
	WrongCodes, FormWrongCodes, Resends, Polls int
	// NewType and NewMode switch a chained checkpoint.
	NewType checkpoint.Type
	NewMode checkpoint.Mode
	// Final marks the checkpoint as settled: no more codes are claimed.
	Final checkpoint.Outcome
	// SealedPendingCode keeps a code whose solve must be retried;
	// ClearPendingCode drops it once it was solved.
	SealedPendingCode []byte
	ClearPendingCode  bool
	// TOTPStep records the last time step used for a generated code.
	TOTPStep int64
	// Result is the relay.TaskResult JSON for the waiting execution; empty
	// when the execution need not be told.
	Result string
	// StaleToken is a token the caller found dead (the execution moved
	// on); it is never handed out again.
	StaleToken string
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
	if o.SealedPendingCode != nil {
		u.Set("pending_code", o.SealedPendingCode)
	} else if o.ClearPendingCode {
		u.Remove("pending_code")
	}
	if o.TOTPStep != 0 {
		u.Set("totp_step", o.TOTPStep)
	}
}

// Handoff says where an outcome went.
type Handoff struct {
	// TaskToken, when set, is the token of the waiting execution, now
	// removed from the item: the caller sends the result with it, then
	// releases the lease (or, if the token turns out dead, calls Settle
	// again with StaleToken).
	TaskToken string
	// Parked is true when no execution was waiting: the result waits in the
	// undelivered slot for the next await-code or solve task.
	Parked bool
	// Checkpoint is the item after the write; nil when the write took the
	// token but the item could not be read back.
	Checkpoint *Checkpoint
}

// handoffAttempts bounds the take-token/park alternation; each failed
// attempt means a concurrent await-code moved the token, which happens at
// most once or twice.
const handoffAttempts = 4

// Settle records an outcome under the lease held by owner (if owner is
// not empty), and in the same write either takes the stored task token (to
// send the result) or, when there is none, parks the result in the
// undelivered slot. StoreTaskToken is its mirror image, so a result
// reaches the execution exactly once whichever of the two runs first.
//
// Parking, or recording an outcome without a result, releases the lease.
// Taking the token does not: the result is still on its way, and the lease
// says so until the caller has sent it (then ReleaseLease), or found the
// token dead (then Settle again with StaleToken, which parks it and
// releases the lease). So a task that waits for the lease (finish, resend,
// the late solve) never looks between the token's taking and the park.
func (s *Store) Settle(ctx context.Context, id, owner string, o Outcome) (Handoff, error) {
	base := func(release bool) *update {
		u := newUpdate()
		o.apply(u)
		if owner != "" {
			u.If("%s = %s", attr("lease_owner"), owner)
			if release {
				u.Remove("lease_until", "lease_owner")
			}
		}
		return u
	}
	classify := func(cp *Checkpoint) error {
		if owner != "" && cp.LeaseOwner != owner {
			return ErrLeaseLost
		}
		return nil
	}
	if o.Result == "" {
		cp, err := s.exec(ctx, id, base(true), types.ReturnValueAllNew)
		if err != nil {
			cp, err = s.failed(ctx, id, err, classify)
			if err == nil {
				err = fmt.Errorf("settle %s: condition failed", id)
			}
		}
		return Handoff{Checkpoint: cp}, err
	}
	for range handoffAttempts {
		// A: an execution waits: take its token.
		u := base(false).Remove("task_token").If("attribute_exists(%s)", attr("task_token"))
		if o.StaleToken != "" {
			u.If("%s <> %s", attr("task_token"), o.StaleToken)
		}
		old, err := s.exec(ctx, id, u, types.ReturnValueAllOld)
		if err == nil {
			// The token is off the item: only the caller can send the
			// result now, so a failed read-back does not withhold it.
			cp, _ := s.Get(ctx, id)
			return Handoff{TaskToken: old.TaskToken, Checkpoint: cp}, nil
		}
		if !isConditionFailed(err) {
			return Handoff{}, fmt.Errorf("settle: %w", err)
		}
		// B: none waits (or only the dead one): park the result.
		u = base(true).Set("undelivered", o.Result)
		if o.StaleToken != "" {
			u.Remove("task_token").If("attribute_not_exists(%s) OR %s = %s", attr("task_token"), attr("task_token"), o.StaleToken)
		} else {
			u.If("attribute_not_exists(%s)", attr("task_token"))
		}
		cp, err := s.exec(ctx, id, u, types.ReturnValueAllNew)
		if err == nil {
			return Handoff{Parked: true, Checkpoint: cp}, nil
		}
		if cp, err := s.failed(ctx, id, err, classify); err != nil {
			return Handoff{Checkpoint: cp}, err
		}
		// The token changed between A and B: try again.
	}
	return Handoff{}, fmt.Errorf("settle %s: task token kept changing", id)
}

// StoreTaskToken stores the token of a waiting await-code task, unless an
// outcome is already parked: then it removes and returns that outcome
// (relay.TaskResult JSON) for the caller to send with the token itself.
func (s *Store) StoreTaskToken(ctx context.Context, id, token string) (string, error) {
	for range handoffAttempts {
		u := newUpdate().Set("task_token", token).
			If("attribute_not_exists(%s)", attr("undelivered")).
			If("%s = %s", attr("status"), checkpoint.StatusPending)
		_, err := s.exec(ctx, id, u, types.ReturnValueNone)
		if err == nil {
			return "", nil
		}
		if !isConditionFailed(err) {
			return "", fmt.Errorf("store task token: %w", err)
		}
		result, err := s.TakeUndelivered(ctx, id)
		if err != nil {
			return "", err
		}
		if result != "" {
			return result, nil
		}
		cp, err := s.Get(ctx, id)
		if err != nil {
			return "", err
		}
		if cp.Status != checkpoint.StatusPending {
			return "", ErrNotPending
		}
	}
	return "", fmt.Errorf("store task token %s: undelivered slot kept changing", id)
}

// TakeUndelivered removes and returns the parked outcome, "" if none.
func (s *Store) TakeUndelivered(ctx context.Context, id string) (string, error) {
	u := newUpdate().Remove("undelivered").If("attribute_exists(%s)", attr("undelivered"))
	old, err := s.exec(ctx, id, u, types.ReturnValueAllOld)
	if err == nil {
		return old.Undelivered, nil
	}
	if !isConditionFailed(err) {
		return "", fmt.Errorf("take undelivered: %w", err)
	}
	if _, err := s.Get(ctx, id); err != nil {
		return "", err
	}
	return "", nil
}

// TakePendingCode removes and returns the sealed pending code, nil if none.
func (s *Store) TakePendingCode(ctx context.Context, id string) ([]byte, error) {
	u := newUpdate().Remove("pending_code").If("attribute_exists(%s)", attr("pending_code"))
	old, err := s.exec(ctx, id, u, types.ReturnValueAllOld)
	if err == nil {
		return old.SealedPendingCode, nil
	}
	if !isConditionFailed(err) {
		return nil, fmt.Errorf("take pending code: %w", err)
	}
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	return nil, nil
}

// MarkFinal ends a pending checkpoint with status and reason, dropping
// whatever only a pending checkpoint needs (task token, lease, parked
// outcome, pending code). at is also the clock of the solve lease.
//
// An end the state machine decides (any status but superseded) never
// overrides the provider, and the write's condition says so:
//   - while a solve holds the lease (a code the provider may be answering
//     right now), or when one released it between the write and the read
//     that explains its refusal, it returns the item and ErrBusy: wait for
//     the solve to settle, then finish again;
//   - when a final outcome is recorded that ends the checkpoint with
//     another status (final_outcome connected, but status
//     restart_required), it returns the item and ErrOutcomeRecorded: the
//     caller finishes with the recorded outcome's status instead.
//
// A superseded checkpoint ends at once: the app registered a new one.
// If it had already ended, MarkFinal returns the item and ErrNotPending, so
// a retried finish can tell its own earlier write from a different end.
func (s *Store) MarkFinal(ctx context.Context, id string, status checkpoint.Status, reason string, at time.Time) (*Checkpoint, error) {
	kind := EventFinished
	if status == checkpoint.StatusSuperseded {
		kind = EventSuperseded
	}
	reason = clipText(reason, MaxReason)
	u := newUpdate().Set("status", status).Set("ended_at", at).
		Remove("task_token", "lease_until", "lease_owner", "undelivered", "pending_code").
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
		u.If("attribute_not_exists(%s) OR %s < %s", attr("lease_until"), attr("lease_until"), at.UnixMilli())
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
		switch {
		case cp.Status != checkpoint.StatusPending:
			return ErrNotPending
		case guarded && cp.LeaseUntil >= at.UnixMilli():
			return ErrBusy
		case guarded && cp.FinalOutcome != "" && cp.FinalOutcome != ending:
			return ErrOutcomeRecorded
		}
		// Every condition holds now, so the lease did when the write was
		// made: the solve settled in between. Try again, as while it ran.
		return ErrBusy
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
