package inbound

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"mime"
	"net/url"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// Token reads what apps and automations that can only send a fixed secret
// post ("SMS to URL" forwarders, iOS Shortcuts, Tasker): the forwarder's
// secret in Authorization: Bearer or in ?token=, and a body
//
//	{"from": "LinkedIn", "text": "…", "id": "optional", "sent_at": "RFC 3339, optional"}
//
// as JSON or with the same fields form-encoded. The secret proves only
// that the sender knows it: no integrity, no freshness. A message without
// an id is de-duplicated on its sender and text.
type Token struct{ Device Device }

// Name implements Source.
func (Token) Name() string { return SourceToken }

type tokenBody struct {
	ID     string `json:"id"`
	From   string `json:"from"`
	Text   string `json:"text"`
	SentAt string `json:"sent_at"`
}

// Parse implements Source.
func (s Token) Parse(_ context.Context, r Request) (Parsed, error) {
	if len(s.Device.Secret) == 0 {
		return Parsed{}, ErrNotConfigured
	}
	given := ""
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		given = strings.TrimSpace(tok)
	} else if u, err := url.Parse(r.URL); err == nil {
		given = u.Query().Get("token")
	}
	if !equalSecret(given, s.Device.Secret) {
		return Parsed{}, badSignature("missing or wrong token")
	}
	var b tokenBody
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/x-www-form-urlencoded" {
		v, err := url.ParseQuery(string(r.Body))
		if err != nil {
			return Parsed{}, malformed("form body: %v", err)
		}
		b = tokenBody{ID: v.Get("id"), From: v.Get("from"), Text: v.Get("text"), SentAt: v.Get("sent_at")}
	} else if err := strictjson.Unmarshal(r.Body, &b); err != nil {
		return Parsed{}, malformed("body is neither JSON nor a form: %v", err)
	}
	if strings.TrimSpace(b.Text) == "" {
		return Parsed{}, malformed("text is required")
	}
	id := b.ID
	if id == "" {
		id = contentID(b.From, b.Text)
	}
	m := Message{
		Source:     SourceToken,
		MessageID:  s.Device.messageID(id),
		Channel:    checkpoint.ChannelSMS,
		Recipients: []string{s.Device.Phone},
		From:       senderPhone(b.From),
		Text:       b.Text,
	}
	if t, err := time.Parse(time.RFC3339, b.SentAt); err == nil {
		m.SentAt = t
	}
	return Parsed{Messages: []Message{m}}, nil
}

// equalSecret compares in constant time, also in the secret's length.
func equalSecret(given string, secret []byte) bool {
	a, b := sha256.Sum256([]byte(given)), sha256.Sum256(secret)
	return given != "" && subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
