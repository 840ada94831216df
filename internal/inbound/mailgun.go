package inbound

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// Mailgun reads mails that a Mailgun route forwards (action
// forward("https://…/v1/webhooks/email/mailgun")), form-encoded or
// multipart. Mailgun signs timestamp + token with the account's webhook
// signing key (HMAC-SHA256, hex, in "signature"). The signature does not
// cover the rest of the body, so the timestamp must be fresh and a token
// is refused the second time this process sees it.
//
// When the route forwards to a URL ending in "mime" Mailgun posts the raw
// mail in body-mime, which is used as is; otherwise the parsed fields
// (subject, body-plain, body-html, message-headers) are.
type Mailgun struct {
	SigningKey string
	tokens     *tokenCache
}

// NewMailgun returns a Mailgun source with its token cache.
func NewMailgun(signingKey string) *Mailgun {
	return &Mailgun{SigningKey: signingKey, tokens: &tokenCache{}}
}

// Name implements Source.
func (*Mailgun) Name() string { return SourceMailgun }

// MailgunSignature is hex HMAC-SHA256(key, timestamp + token).
func MailgunSignature(key, timestamp, token string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(timestamp + token))
	return hex.EncodeToString(m.Sum(nil))
}

// Parse implements Source.
func (g *Mailgun) Parse(_ context.Context, r Request) (Parsed, error) {
	if g.SigningKey == "" {
		return Parsed{}, ErrNotConfigured
	}
	form, err := readForm(r.Header, r.Body)
	if err != nil {
		return Parsed{}, err
	}
	ts, token, sig := form.Get("timestamp"), form.Get("token"), form.Get("signature")
	if ts == "" || token == "" || sig == "" {
		return Parsed{}, badSignature("missing timestamp, token or signature")
	}
	if !hmac.Equal([]byte(strings.ToLower(sig)), []byte(MailgunSignature(g.SigningKey, ts, token))) {
		return Parsed{}, badSignature("signature does not match")
	}
	if err := checkUnixWindow(ts, r.Now); err != nil {
		return Parsed{}, err
	}
	if g.tokens != nil && g.tokens.use(token, r.Now) {
		return Parsed{}, stale("token already used")
	}

	msg := Message{Source: SourceMailgun, Channel: checkpoint.ChannelEmail,
		From: strings.ToLower(form.Get("sender"))}
	var headers textproto.MIMEHeader
	var hdrRcpt []string
	if mime := form.Get("body-mime"); mime != "" {
		msg.RawMIME = []byte(mime)
		hdrRcpt, headers = rawHeaderRecipients(msg.RawMIME)
	} else {
		headers = mailgunHeaders(form.Get("message-headers"))
		hdrRcpt = headerRecipients(headers)
		msg.FromHeader = form.Get("from")
		msg.Subject = form.Get("subject")
		msg.TextBody = form.Get("body-plain")
		msg.HTMLBody = form.Get("body-html")
	}
	// The envelope recipient (the route's address) comes after the
	// addresses in the headers; it may list several, comma-separated.
	msg.Recipients = EmailCandidates(append(hdrRcpt, parseAddresses(form.Get("recipient"))...)...)
	if len(msg.Recipients) == 0 {
		return Parsed{}, malformed("no recipient")
	}
	msg.MessageID = mailgunMessageID(form, headers)
	return Parsed{Messages: []Message{msg}}, nil
}

// mailgunHeaders reads message-headers, a JSON list of [name, value] pairs.
func mailgunHeaders(s string) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	var pairs [][]string
	if strictjson.Unmarshal([]byte(s), &pairs) != nil {
		return h
	}
	for _, p := range pairs {
		if len(p) == 2 {
			h.Add(p[0], p[1])
		}
	}
	return h
}

// mailgunMessageID is the mail's Message-Id, the same on every retry of
// the forward (the token is not); failing that a digest of the content.
func mailgunMessageID(form url.Values, h textproto.MIMEHeader) string {
	if id := strings.Trim(strings.TrimSpace(form.Get("Message-Id")), "<>"); id != "" {
		return id
	}
	if id := headerMessageID(h); id != "" {
		return id
	}
	return contentID(form.Get("sender"), form.Get("recipient"), form.Get("subject"),
		form.Get("body-plain"), form.Get("body-mime"))
}
