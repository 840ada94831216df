package httpapi

import (
	"errors"
	"log/slog"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/apigw"
	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
	"github.com/checkpoint-relay/checkpoint-relay/internal/mailauth"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
)

// SMSWebhookConfig is what the sms-webhook Lambda is built from. A source
// whose secret is empty is not enabled: its route answers 404.
type SMSWebhookConfig struct {
	Deliverer relay.Deliverer
	// PublicURL is RELAY_PUBLIC_URL: the scheme and host Twilio is given
	// (e.g. https://relay.example.com). Empty: the request's own.
	PublicURL string
	// TwilioAuthToken is TWILIO_AUTH_TOKEN.
	TwilioAuthToken string
	// VonageSignatureSecret and VonageSignatureMethod (md5hash, md5, sha1,
	// sha256, sha512; empty means md5hash) are the dashboard's settings.
	VonageSignatureSecret string
	VonageSignatureMethod string
	// TelnyxPublicKey is TELNYX_PUBLIC_KEY (base64 ed25519).
	TelnyxPublicKey string
	// GenericSecret is SMS_WEBHOOK_SECRET, the HMAC key of /sms/generic.
	GenericSecret []byte
	// Forwarders serves /v1/forwarders/{id}/webhook (every forwarder kind,
	// SMS and email); nil leaves that route unserved.
	Forwarders Forwarders
	// MailAuth verifies mails (forwarded inboxes included); nil means the
	// system's DNS and no trusted forwarder.
	MailAuth *mailauth.Verifier
	// Logger defaults to slog.Default(); Now to time.Now.
	Logger *slog.Logger
	Now    func() time.Time
}

// NewSMSWebhookHandler returns the handler of
// POST /v1/webhooks/sms/{twilio,vonage,telnyx,generic}. Twilio is answered
// with empty TwiML (no reply SMS), the others with a JSON status per
// message.
func NewSMSWebhookHandler(cfg SMSWebhookConfig) (apigw.Handler, error) {
	if cfg.Deliverer == nil {
		return nil, errors.New("sms webhook: nil Deliverer")
	}
	h := &webhookHandler{
		channel: "sms",
		sources: map[string]inbound.Source{
			"twilio":  inbound.Twilio{AuthToken: cfg.TwilioAuthToken},
			"vonage":  inbound.Vonage{SignatureSecret: cfg.VonageSignatureSecret, SignatureMethod: cfg.VonageSignatureMethod},
			"telnyx":  inbound.Telnyx{PublicKey: cfg.TelnyxPublicKey},
			"generic": inbound.SMSGeneric{Secret: cfg.GenericSecret},
		},
		deliverer:  cfg.Deliverer,
		forwarders: cfg.Forwarders,
		publicURL:  cfg.PublicURL,
		mailauth:   cfg.MailAuth,
		log:        orDefaultLogger(cfg.Logger),
		now:        orNow(cfg.Now),
	}
	if cfg.Forwarders != nil {
		h.confirmations = cfg.Forwarders
	}
	return h.handle, nil
}

func orDefaultLogger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}

func orNow(f func() time.Time) func() time.Time {
	if f == nil {
		return time.Now
	}
	return f
}
