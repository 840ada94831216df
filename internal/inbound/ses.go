package inbound

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/mailauth"
	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// MaxRawMail bounds a mail read from S3 (an SES notification carries at
// most 150 KB inline). Verification codes come in small mails; a larger one
// is refused rather than buffered.
const MaxRawMail = 10 << 20

// ObjectGetter reads an S3 object, refusing (ErrTooLarge) objects over max.
type ObjectGetter interface {
	GetObject(ctx context.Context, bucket, key string, max int64) ([]byte, error)
}

// SESAuthServID is the authserv-id of the Authentication-Results header
// SES adds to the mails it receives.
const SESAuthServID = "amazonses.com"

// SES reads SES receipt notifications delivered by SNS over HTTPS. The
// receipt rule either publishes the mail itself (an SNS action: the raw
// mail in "content", base64 when the action's encoding is BASE64) or
// stores it in S3 and notifies the topic (an S3 action: bucketName,
// objectKey), in which case the mail is read from Bucket.
//
// A mail SES judged a virus or spam (receipt.virusVerdict / spamVerdict
// FAIL) is acknowledged and skipped: anyone can send to the inbound
// address, and a spoofed code would only burn one of the checkpoint's
// bounded wrong-code attempts.
type SES struct {
	SNS *SNS
	// Objects reads mails stored by an S3 action; nil refuses them.
	Objects ObjectGetter
	// Bucket is the only bucket mails are read from (INBOUND_BUCKET).
	Bucket string
}

// Name implements Source.
func (SES) Name() string { return SourceSES }

type verdict struct {
	Status string `json:"status"`
}

type sesNotification struct {
	NotificationType string `json:"notificationType"`
	Mail             struct {
		MessageID   string   `json:"messageId"`
		Source      string   `json:"source"`
		Destination []string `json:"destination"`
	} `json:"mail"`
	Receipt struct {
		Recipients   []string `json:"recipients"`
		SpamVerdict  verdict  `json:"spamVerdict"`
		VirusVerdict verdict  `json:"virusVerdict"`
		DKIMVerdict  verdict  `json:"dkimVerdict"`
		SPFVerdict   verdict  `json:"spfVerdict"`
		DMARCVerdict verdict  `json:"dmarcVerdict"`
		Action       struct {
			Type       string `json:"type"`
			Encoding   string `json:"encoding"`
			BucketName string `json:"bucketName"`
			ObjectKey  string `json:"objectKey"`
		} `json:"action"`
	} `json:"receipt"`
	Content *string `json:"content"`
}

// Parse implements Source.
func (s SES) Parse(ctx context.Context, r Request) (Parsed, error) {
	if s.SNS == nil {
		return Parsed{}, fmt.Errorf("%w: SNS verifier", ErrNotConfigured)
	}
	m, err := s.SNS.Verify(ctx, r.Body, r.Now)
	if err != nil {
		return Parsed{}, err
	}
	switch m.Type {
	case SNSSubscriptionConfirmation:
		return Parsed{Confirm: &SNSSubscription{Type: m.Type, TopicARN: m.TopicArn, SubscribeURL: m.SubscribeURL}}, nil
	case SNSUnsubscribeConfirmation:
		// Not re-subscribing: an unsubscribe is an operator's decision.
		return Parsed{Skipped: "unsubscribe confirmation"}, nil
	}

	var n sesNotification
	if err := strictjson.Unmarshal([]byte(m.Message), &n); err != nil {
		return Parsed{}, malformed("ses notification json: %v", err)
	}
	if n.NotificationType != "Received" {
		// SES sends a test notification when the rule is created.
		return Parsed{Skipped: "notification " + n.NotificationType}, nil
	}
	if n.Mail.MessageID == "" {
		return Parsed{}, malformed("mail.messageId is required")
	}
	if strings.EqualFold(n.Receipt.VirusVerdict.Status, "FAIL") {
		return Parsed{Skipped: "virus verdict FAIL"}, nil
	}
	if strings.EqualFold(n.Receipt.SpamVerdict.Status, "FAIL") {
		return Parsed{Skipped: "spam verdict FAIL"}, nil
	}
	raw, err := s.raw(ctx, n)
	if err != nil {
		return Parsed{}, err
	}
	hdrRcpt, _ := rawHeaderRecipients(raw)
	rcpt := EmailCandidates(append(append(hdrRcpt, n.Receipt.Recipients...), n.Mail.Destination...)...)
	if len(rcpt) == 0 {
		return Parsed{}, malformed("mail without recipients")
	}
	return Parsed{Messages: []Message{{
		Source:     SourceSES,
		MessageID:  n.Mail.MessageID,
		Channel:    checkpoint.ChannelEmail,
		Recipients: rcpt,
		From:       strings.ToLower(n.Mail.Source),
		RawMIME:    raw,
		// SES writes its own Authentication-Results (authserv-id
		// amazonses.com) on top of the mail and reports the same verdicts
		// in the receipt.
		Verdicts: &mailauth.Verdicts{AuthServID: SESAuthServID, DKIM: n.Receipt.DKIMVerdict.Status,
			SPF: n.Receipt.SPFVerdict.Status, DMARC: n.Receipt.DMARCVerdict.Status, EnvelopeFrom: n.Mail.Source},
	}}}, nil
}

// raw returns the mail from the notification's content or from S3.
func (s SES) raw(ctx context.Context, n sesNotification) ([]byte, error) {
	if n.Content != nil {
		if strings.EqualFold(n.Receipt.Action.Encoding, "BASE64") {
			b, err := base64.StdEncoding.DecodeString(*n.Content)
			if err != nil {
				return nil, malformed("content is not base64")
			}
			return b, nil
		}
		return []byte(*n.Content), nil
	}
	a := n.Receipt.Action
	if a.Type != "S3" || a.BucketName == "" || a.ObjectKey == "" {
		return nil, malformed("notification has neither content nor an S3 object")
	}
	if s.Objects == nil || s.Bucket == "" {
		return nil, fmt.Errorf("%w: INBOUND_BUCKET", ErrNotConfigured)
	}
	if a.BucketName != s.Bucket {
		return nil, malformed("mail stored in bucket %q, not the inbound bucket", a.BucketName)
	}
	b, err := s.Objects.GetObject(ctx, a.BucketName, a.ObjectKey, MaxRawMail)
	if err != nil {
		return nil, err
	}
	return b, nil
}
