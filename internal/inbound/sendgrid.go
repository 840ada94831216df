package inbound

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"golang.org/x/text/encoding/htmlindex"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/mailauth"
	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// SendGrid reads SendGrid Inbound Parse posts (multipart/form-data). The
// proof is either the signature of a Parse security policy with
// "signature": {"enabled": true} (PublicKey: the policy's public_key, base64
// DER; X-Twilio-Email-Event-Webhook-Signature is base64 ECDSA P-256 /
// SHA-256 over X-Twilio-Email-Event-Webhook-Timestamp followed by the raw
// body, accepted within ReplayWindow), or what the URL configured in
// SendGrid carries: basic auth credentials (https://user:password@host/…)
// or a secret token in the query (…/sendgrid?token=…). Any one configured
// here must match; a request that carries a signature must verify.
//
// With "POST the raw, full MIME message" on, the mail arrives whole in the
// "email" field; otherwise as to, from, subject, text, html, headers (the
// raw header block), envelope (JSON) and charsets (JSON, per field).
type SendGrid struct {
	User, Password string
	Token          string
	PublicKey      string
}

// SendGrid's signature headers (the Event Webhook's, which Inbound Parse
// security policies use too).
const (
	HeaderSendGridSignature = "X-Twilio-Email-Event-Webhook-Signature"
	HeaderSendGridTimestamp = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// Name implements Source.
func (SendGrid) Name() string { return SourceSendGrid }

func (s SendGrid) authorize(r Request) error {
	if s.Token == "" && (s.User == "" || s.Password == "") && s.PublicKey == "" {
		return ErrNotConfigured
	}
	if s.PublicKey != "" {
		sig := r.Header.Get(HeaderSendGridSignature)
		if sig != "" {
			return verifySendGridSignature(s.PublicKey, sig, r.Header.Get(HeaderSendGridTimestamp), r.Body, r.Now)
		}
	}
	if s.Token != "" {
		if u, err := url.Parse(r.URL); err == nil {
			if got := u.Query().Get("token"); got != "" && constantEqual(got, s.Token) {
				return nil
			}
		}
	}
	if s.User != "" && s.Password != "" {
		user, pass, ok := (&http.Request{Header: r.Header}).BasicAuth()
		if ok && constantEqual(user, s.User) && constantEqual(pass, s.Password) {
			return nil
		}
	}
	return badSignature("missing or wrong credentials")
}

type sendgridEnvelope struct {
	To   []string `json:"to"`
	From string   `json:"from"`
}

// Parse implements Source.
func (s SendGrid) Parse(_ context.Context, r Request) (Parsed, error) {
	if err := s.authorize(r); err != nil {
		return Parsed{}, err
	}
	form, err := readForm(r.Header, r.Body)
	if err != nil {
		return Parsed{}, err
	}
	var env sendgridEnvelope
	if e := form.Get("envelope"); e != "" {
		if err := strictjson.Unmarshal([]byte(e), &env); err != nil {
			return Parsed{}, malformed("envelope json: %v", err)
		}
	}
	msg := Message{Source: SourceSendGrid, Channel: checkpoint.ChannelEmail, From: strings.ToLower(env.From),
		Verdicts: &mailauth.Verdicts{DKIMDomains: sendgridDKIM(form.Get("dkim")), SPF: form.Get("SPF"), EnvelopeFrom: env.From}}
	var hdrRcpt []string
	var headers textproto.MIMEHeader
	if raw := form.Get("email"); raw != "" {
		msg.RawMIME = []byte(raw)
		hdrRcpt, headers = rawHeaderRecipients(msg.RawMIME)
	} else {
		headers = readHeaderBlock(form.Get("headers"))
		hdrRcpt = headerRecipients(headers)
		charsets := map[string]string{}
		_ = strictjson.Unmarshal([]byte(form.Get("charsets")), &charsets)
		msg.FromHeader = decodeCharset(form.Get("from"), charsets["from"])
		msg.Subject = decodeCharset(form.Get("subject"), charsets["subject"])
		msg.TextBody = decodeCharset(form.Get("text"), charsets["text"])
		msg.HTMLBody = decodeCharset(form.Get("html"), charsets["html"])
	}
	if len(hdrRcpt) == 0 {
		hdrRcpt = parseAddresses(form.Get("to"))
	}
	msg.Recipients = EmailCandidates(append(hdrRcpt, env.To...)...)
	if len(msg.Recipients) == 0 {
		return Parsed{}, malformed("no recipient")
	}
	if msg.MessageID = headerMessageID(headers); msg.MessageID == "" {
		msg.MessageID = contentID(env.From, strings.Join(env.To, ","), form.Get("subject"),
			form.Get("text"), form.Get("email"))
	}
	return Parsed{Messages: []Message{msg}}, nil
}

// readHeaderBlock parses a raw header block ("Name: value\r\n…").
func readHeaderBlock(s string) textproto.MIMEHeader {
	if !strings.HasSuffix(s, "\n") {
		s += "\r\n"
	}
	h, err := textproto.NewReader(bufio.NewReader(strings.NewReader(s + "\r\n"))).ReadMIMEHeader()
	if err != nil && h == nil {
		return textproto.MIMEHeader{}
	}
	return h
}

// decodeCharset converts a field SendGrid posted in its original charset
// to UTF-8; an unknown charset leaves the bytes as they are.
func decodeCharset(v, charset string) string {
	if charset == "" || strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "us-ascii") {
		return v
	}
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return v
	}
	out, err := enc.NewDecoder().String(v)
	if err != nil {
		return v
	}
	return out
}

func constantEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// sendgridDKIM reads Inbound Parse's dkim field, "{@example.com : pass}"
// or "{@a.com : pass, @b.com : fail}": signing domain -> result.
func sendgridDKIM(v string) map[string]string {
	v = strings.TrimSpace(v)
	v = strings.TrimSuffix(strings.TrimPrefix(v, "{"), "}")
	out := map[string]string{}
	for _, part := range strings.Split(v, ",") {
		d, res, ok := strings.Cut(part, ":")
		d = strings.TrimPrefix(strings.TrimSpace(d), "@")
		if ok && d != "" {
			out[strings.ToLower(d)] = strings.ToLower(strings.TrimSpace(res))
		}
	}
	return out
}

// verifySendGridSignature checks an ECDSA signature of a Parse security
// policy: signature first, then the timestamp's window.
func verifySendGridSignature(publicKey, signature, timestamp string, body []byte, now time.Time) error {
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(publicKey))
	if err != nil {
		return fmt.Errorf("%w: SendGrid public key is not base64", ErrNotConfigured)
	}
	key, err := x509.ParsePKIXPublicKey(der)
	pub, ok := key.(*ecdsa.PublicKey)
	if err != nil || !ok {
		return fmt.Errorf("%w: SendGrid public key is not an ECDSA key", ErrNotConfigured)
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(signature))
	if err != nil || timestamp == "" {
		return badSignature("SendGrid signature or timestamp missing or not base64")
	}
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write(body)
	if !ecdsa.VerifyASN1(pub, h.Sum(nil), sig) {
		return badSignature("SendGrid signature does not verify")
	}
	return checkUnixWindow(timestamp, now)
}
