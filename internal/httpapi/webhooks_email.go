package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/apigw"
	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
	"github.com/checkpoint-relay/checkpoint-relay/internal/mailauth"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
)

// EmailWebhookConfig is what the email-webhook Lambda is built from. A
// source whose secret is empty is not enabled: its route answers 404.
type EmailWebhookConfig struct {
	Deliverer relay.Deliverer
	// PublicURL is RELAY_PUBLIC_URL (see SMSWebhookConfig); only the query
	// string matters here (SendGrid's token).
	PublicURL string
	// SESTopicARN is SES_TOPIC_ARN; InboundBucket is INBOUND_BUCKET, the
	// only bucket an S3 action's mail is read from, with Objects
	// (inbound.S3Objects around an s3.Client).
	SESTopicARN   string
	InboundBucket string
	Objects       inbound.ObjectGetter
	// SNSHTTPClient fetches SNS signing certificates and confirms
	// subscriptions; nil means a client with a 10 s timeout.
	SNSHTTPClient *http.Client
	// SNSHostAllowed overrides which hosts SNS URLs may point at (tests
	// and local stacks); nil means inbound.DefaultSNSHost.
	SNSHostAllowed func(host string) bool
	// MailgunSigningKey is MAILGUN_SIGNING_KEY.
	MailgunSigningKey string
	// SendGridUser / SendGridPassword (basic auth in the Parse URL) and/or
	// SendGridToken (?token=… in the Parse URL).
	SendGridUser, SendGridPassword, SendGridToken string
	// SendGridPublicKey is SENDGRID_WEBHOOK_PUBLIC_KEY: the public key of
	// a Parse security policy that signs the posts (ECDSA).
	SendGridPublicKey string
	// GenericSecret is EMAIL_WEBHOOK_SECRET, the HMAC key of /email/generic.
	GenericSecret []byte
	// Confirmations keeps the mailboxes' forwarding confirmations that
	// reach these routes; nil acknowledges them without keeping them.
	Confirmations Confirmations
	// MailAuth verifies mails (forwarded inboxes included); nil means the
	// system's DNS and no trusted forwarder.
	MailAuth *mailauth.Verifier
	// Logger defaults to slog.Default(); Now to time.Now.
	Logger *slog.Logger
	Now    func() time.Time
}

// NewEmailWebhookHandler returns the handler of
// POST /v1/webhooks/email/{ses,mailgun,sendgrid,generic}. An SNS
// subscription confirmation for the configured topic is confirmed at once
// by visiting its SubscribeURL.
func NewEmailWebhookHandler(cfg EmailWebhookConfig) (apigw.Handler, error) {
	if cfg.Deliverer == nil {
		return nil, errors.New("email webhook: nil Deliverer")
	}
	sources := map[string]inbound.Source{
		"mailgun": inbound.NewMailgun(cfg.MailgunSigningKey),
		"sendgrid": inbound.SendGrid{User: cfg.SendGridUser, Password: cfg.SendGridPassword, PublicKey: cfg.SendGridPublicKey,
			Token: cfg.SendGridToken},
		"generic": inbound.EmailGeneric{Secret: cfg.GenericSecret},
	}
	h := &webhookHandler{
		channel:       "email",
		sources:       sources,
		deliverer:     cfg.Deliverer,
		confirmations: cfg.Confirmations,
		publicURL:     cfg.PublicURL,
		mailauth:      cfg.MailAuth,
		log:           orDefaultLogger(cfg.Logger),
		now:           orNow(cfg.Now),
	}
	if cfg.SESTopicARN != "" {
		sns := inbound.NewSNS(inbound.SNSConfig{TopicARN: cfg.SESTopicARN, HTTPClient: cfg.SNSHTTPClient,
			HostAllowed: cfg.SNSHostAllowed})
		sources["ses"] = inbound.SES{SNS: sns, Objects: cfg.Objects, Bucket: cfg.InboundBucket}
		h.confirm = sns.Confirm
	} else {
		// Not enabled: inbound.SES refuses with ErrNotConfigured (404).
		sources["ses"] = inbound.SES{}
	}
	return h.handle, nil
}
