package inbound

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/mail"
	"strings"

	"github.com/emersion/go-msgauth/authres"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/mailauth"
	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// Postmark reads Postmark's inbound webhook (postmarkapp.com/developer/
// webhooks/inbound-webhook): a JSON document with FromFull, ToFull,
// OriginalRecipient, MailboxHash, Subject, MessageID, Date, TextBody,
// HtmlBody, Headers ([{"Name", "Value"}], the mail's headers, the ones
// Postmark added on top) and, when the stream's "Include raw email content"
// is on, RawEmail. Postmark signs nothing: the webhook URL carries basic
// auth (https://postmark:<secret>@host/v1/forwarders/<id>/webhook), which
// proves the caller knows the secret. Postmark retries a non-200 answer 10
// times over about 10.5 hours (a 403 stops it); MessageID repeats.
type Postmark struct{ Device Device }

// Name implements Source.
func (Postmark) Name() string { return SourcePostmark }

type postmarkInbound struct {
	MessageID         string `json:"MessageID"`
	OriginalRecipient string `json:"OriginalRecipient"`
	MailboxHash       string `json:"MailboxHash"`
	From              string `json:"From"`
	Subject           string `json:"Subject"`
	TextBody          string `json:"TextBody"`
	HTMLBody          string `json:"HtmlBody"`
	RawEmail          string `json:"RawEmail"`
	Headers           []struct {
		Name  string `json:"Name"`
		Value string `json:"Value"`
	} `json:"Headers"`
}

// Parse implements Source.
func (s Postmark) Parse(_ context.Context, r Request) (Parsed, error) {
	if len(s.Device.Secret) == 0 {
		return Parsed{}, ErrNotConfigured
	}
	if !basicAuthPassword(r, s.Device.Secret) {
		return Parsed{}, badSignature("missing or wrong basic auth password")
	}
	var p postmarkInbound
	if err := strictjson.Unmarshal(r.Body, &p); err != nil {
		return Parsed{}, malformed("json body: %v", err)
	}
	if p.MessageID == "" {
		return Parsed{}, malformed("MessageID is required")
	}
	m := Message{
		Source:     SourcePostmark,
		MessageID:  s.Device.messageID(p.MessageID),
		Channel:    checkpoint.ChannelEmail,
		Recipients: []string{s.Device.Email},
		From:       p.From,
		Subject:    p.Subject,
		TextBody:   p.TextBody,
		HTMLBody:   p.HTMLBody,
	}
	if p.RawEmail != "" {
		m.RawMIME = []byte(p.RawEmail)
	}
	// Postmark's own verdicts are the topmost Received-SPF and
	// Authentication-Results headers (Headers lists top first).
	vd := &mailauth.Verdicts{}
	seenSPF, seenAR := false, false
	for _, h := range p.Headers {
		switch {
		case strings.EqualFold(h.Name, "Received-SPF") && !seenSPF:
			seenSPF = true
			vd.SPF, vd.EnvelopeFrom = receivedSPF(h.Value)
		case strings.EqualFold(h.Name, "Authentication-Results") && !seenAR:
			seenAR = true
			readAuthResults(vd, h.Value)
		}
	}
	if seenSPF || seenAR {
		m.Verdicts = vd
	}
	return Parsed{Messages: []Message{m}}, nil
}

// receivedSPF reads "Pass (…) identity=mailfrom; …; envelope-from=…;".
func receivedSPF(v string) (result, envelopeFrom string) {
	v = strings.TrimSpace(v)
	result, _, _ = strings.Cut(v, " ")
	for _, part := range strings.Split(v, ";") {
		if k, val, ok := strings.Cut(strings.TrimSpace(part), "="); ok && strings.EqualFold(k, "envelope-from") {
			if a, err := mail.ParseAddress(strings.Trim(val, `"`)); err == nil {
				envelopeFrom = a.Address
			} else {
				envelopeFrom = strings.Trim(val, `"<>`)
			}
		}
	}
	return strings.ToLower(result), envelopeFrom
}

// readAuthResults takes dkim, spf and dmarc out of one
// Authentication-Results header (RFC 8601).
func readAuthResults(vd *mailauth.Verdicts, v string) {
	id, results, err := authres.Parse(v)
	if err != nil {
		return
	}
	vd.AuthServID = id
	for _, res := range results {
		switch r := res.(type) {
		case *authres.DKIMResult:
			if vd.DKIMDomains == nil {
				vd.DKIMDomains = map[string]string{}
			}
			vd.DKIMDomains[r.Domain] = string(r.Value)
		case *authres.SPFResult:
			if vd.SPF == "" {
				vd.SPF = string(r.Value)
			}
		case *authres.DMARCResult:
			vd.DMARC = string(r.Value)
		}
	}
}

// basicAuthPassword checks the basic-auth password (any user name).
func basicAuthPassword(r Request, secret []byte) bool {
	_, pass, ok := (&http.Request{Header: r.Header}).BasicAuth()
	if !ok {
		return false
	}
	a, b := sha256.Sum256([]byte(pass)), sha256.Sum256(secret)
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
