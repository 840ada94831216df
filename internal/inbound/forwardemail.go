package inbound

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/textproto"
	"strings"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/mailauth"
	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// ForwardEmail reads Forward Email's webhooks (forwardemail.net): the mail
// parsed by mailparser plus "raw" (the whole message), "messageId",
// "recipients", "session" (with "recipient", the envelope address that
// forwarded to the webhook, and "envelope.mailFrom.address") and the
// results of its own checks, "dkim", "spf", "arc" and "dmarc" (mailauth's
// objects, each with status.result). With the domain's "Webhook Signature
// Payload Verification Key" set (the forwarder's secret),
// X-Webhook-Signature is hex HMAC-SHA256 of the raw body. The signature
// carries no timestamp: a replay is caught by its message id.
type ForwardEmail struct{ Device Device }

// Name implements Source.
func (ForwardEmail) Name() string { return SourceForwardEmail }

type feStatus struct {
	Status struct {
		Result string `json:"result"`
	} `json:"status"`
}

type forwardEmailBody struct {
	Raw       string `json:"raw"`
	MessageID string `json:"messageId"`
	Subject   string `json:"subject"`
	Text      string `json:"text"`
	// HTML is mailparser's html: a string, or false for a text-only mail.
	HTML    json.RawMessage `json:"html"`
	Session struct {
		Recipient string `json:"recipient"`
		Envelope  struct {
			MailFrom struct {
				Address string `json:"address"`
			} `json:"mailFrom"`
		} `json:"envelope"`
	} `json:"session"`
	DKIM struct {
		Results []struct {
			SigningDomain string `json:"signingDomain"`
			feStatus
		} `json:"results"`
	} `json:"dkim"`
	SPF   feStatus `json:"spf"`
	DMARC feStatus `json:"dmarc"`
}

// Parse implements Source.
func (s ForwardEmail) Parse(_ context.Context, r Request) (Parsed, error) {
	if len(s.Device.Secret) == 0 {
		return Parsed{}, ErrNotConfigured
	}
	sig, err := hex.DecodeString(strings.TrimSpace(r.Header.Get("X-Webhook-Signature")))
	mac := hmac.New(sha256.New, s.Device.Secret)
	mac.Write(r.Body)
	if err != nil || len(sig) == 0 || !hmac.Equal(sig, mac.Sum(nil)) {
		return Parsed{}, badSignature("X-Webhook-Signature missing or wrong")
	}
	var b forwardEmailBody
	if err := strictjson.Unmarshal(r.Body, &b); err != nil {
		return Parsed{}, malformed("json body: %v", err)
	}
	id := strings.Trim(strings.TrimSpace(b.MessageID), "<>")
	if b.Raw != "" && id == "" {
		id = headerMessageID(rawHeader(b.Raw))
	}
	if id == "" {
		return Parsed{}, malformed("the mail has no message id")
	}
	m := Message{
		Source:     SourceForwardEmail,
		MessageID:  s.Device.messageID(id),
		Channel:    checkpoint.ChannelEmail,
		Recipients: []string{s.Device.Email},
		Subject:    b.Subject,
		TextBody:   b.Text,
	}
	var html string
	if json.Unmarshal(b.HTML, &html) == nil {
		m.HTMLBody = html
	}
	if b.Raw != "" {
		m.RawMIME = []byte(b.Raw)
	}
	vd := &mailauth.Verdicts{SPF: b.SPF.Status.Result, DMARC: b.DMARC.Status.Result,
		EnvelopeFrom: b.Session.Envelope.MailFrom.Address}
	for _, d := range b.DKIM.Results {
		if d.SigningDomain == "" {
			continue
		}
		if vd.DKIMDomains == nil {
			vd.DKIMDomains = map[string]string{}
		}
		// One passing signature for a domain is enough.
		if vd.DKIMDomains[d.SigningDomain] != "pass" {
			vd.DKIMDomains[d.SigningDomain] = strings.ToLower(d.Status.Result)
		}
	}
	m.Verdicts = vd
	return Parsed{Messages: []Message{m}}, nil
}

// rawHeader reads the header block of a raw mail (nil when unreadable).
func rawHeader(raw string) textproto.MIMEHeader {
	r := textproto.NewReader(bufioReader(raw))
	h, err := r.ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return nil
	}
	return h
}
