package inbound

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// EmailGeneric reads the relay's own JSON format for forwarding automations
// (Zapier, Make, Power Automate, a mail filter script), signed with the
// relay's HMAC scheme (see RelaySignature):
//
//	{"id": "unique message id", "to": "user@example.com" or ["…"], "from": "…",
//	 "subject": "…", "text": "…", "html": "…",
//	 "raw": "full RFC 5322 message, optional", "raw_base64": "the same, base64, optional"}
//
// When raw (or raw_base64) is given it is used instead of the parts, and
// the recipients in its headers come before "to".
type EmailGeneric struct {
	Secret []byte
}

// Name implements Source.
func (EmailGeneric) Name() string { return SourceEmailGeneric }

type genericEmail struct {
	ID        string      `json:"id"`
	To        stringOrArr `json:"to"`
	From      string      `json:"from"`
	Subject   string      `json:"subject"`
	Text      string      `json:"text"`
	HTML      string      `json:"html"`
	Raw       string      `json:"raw"`
	RawBase64 string      `json:"raw_base64"`
}

// Parse implements Source.
func (e EmailGeneric) Parse(_ context.Context, r Request) (Parsed, error) {
	if err := VerifyRelaySignature(e.Secret, r.Header.Get(HeaderRelayTimestamp),
		r.Header.Get(HeaderRelaySignature), r.Body, r.Now); err != nil {
		return Parsed{}, err
	}
	var g genericEmail
	if err := strictjson.Unmarshal(r.Body, &g); err != nil {
		return Parsed{}, malformed("json body: %v", err)
	}
	msg := Message{Source: SourceEmailGeneric, MessageID: g.ID, Channel: checkpoint.ChannelEmail,
		From: strings.ToLower(strings.TrimSpace(g.From))}
	var hdrRcpt []string
	switch {
	case g.RawBase64 != "":
		b, err := base64.StdEncoding.DecodeString(g.RawBase64)
		if err != nil {
			return Parsed{}, malformed("raw_base64 is not base64")
		}
		msg.RawMIME = b
	case g.Raw != "":
		msg.RawMIME = []byte(g.Raw)
	default:
		msg.FromHeader, msg.Subject, msg.TextBody, msg.HTMLBody = g.From, g.Subject, g.Text, g.HTML
	}
	if msg.RawMIME != nil {
		hdrRcpt, _ = rawHeaderRecipients(msg.RawMIME)
	}
	var to []string
	for _, t := range g.To {
		to = append(to, parseAddresses(t)...)
	}
	msg.Recipients = EmailCandidates(append(hdrRcpt, to...)...)
	if g.ID == "" || len(msg.Recipients) == 0 {
		return Parsed{}, malformed("id and to (an email address) are required")
	}
	return Parsed{Messages: []Message{msg}}, nil
}
