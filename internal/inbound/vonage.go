package inbound

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// Vonage reads Vonage's inbound SMS in both of the forms Vonage sends it,
// refusing anything not signed with the account's signature secret:
//
//   - SMS API webhooks (GET query, form POST or JSON POST) with "signed
//     webhooks" on: the fields carry timestamp, nonce and sig, where sig is
//     computed over the sorted fields with the method chosen in the
//     dashboard (VonageSig).
//   - Messages API webhooks: a JSON body with an Authorization: Bearer JWT
//     (HS256, keyed with the same signature secret) whose payload_hash is
//     the SHA-256 of the body (VonageJWT).
//
// A part of a concatenated SMS (concat=true) is acknowledged and skipped:
// reassembly would need state across requests, and a verification text
// fits in one part.
type Vonage struct {
	SignatureSecret string
	// SignatureMethod is the dashboard's "signature method": md5hash (the
	// default), md5, sha1, sha256 or sha512.
	SignatureMethod string
}

// Name implements Source.
func (Vonage) Name() string { return SourceVonage }

// Parse implements Source.
func (v Vonage) Parse(_ context.Context, r Request) (Parsed, error) {
	if v.SignatureSecret == "" {
		return Parsed{}, ErrNotConfigured
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		if err := verifyVonageJWT([]byte(v.SignatureSecret), auth, r.Body, r.Now); err != nil {
			return Parsed{}, err
		}
		return parseVonageMessages(r.Body)
	}
	params, err := vonageParams(r)
	if err != nil {
		return Parsed{}, err
	}
	if err := verifyVonageSig(v.SignatureSecret, v.SignatureMethod, params, r.Now); err != nil {
		return Parsed{}, err
	}
	return vonageSMS(params)
}

// vonageParams reads the SMS API fields from the query (GET), a JSON object
// or a form body. JSON numbers and booleans are kept as their literal text,
// which is what Vonage signed.
func vonageParams(r Request) (map[string]string, error) {
	out := map[string]string{}
	if strings.EqualFold(r.Method, "GET") {
		u, err := url.Parse(r.URL)
		if err != nil {
			return nil, malformed("url: %v", err)
		}
		for k, vs := range u.Query() {
			out[k] = vs[0]
		}
		return out, nil
	}
	if isJSON(r.Header) || (len(r.Body) > 0 && r.Body[0] == '{') {
		var raw map[string]json.RawMessage
		if err := strictjson.Unmarshal(r.Body, &raw); err != nil {
			return nil, malformed("json body: %v", err)
		}
		for k, v := range raw {
			var s string
			if err := json.Unmarshal(v, &s); err == nil {
				out[k] = s
				continue
			}
			out[k] = string(v)
		}
		return out, nil
	}
	form, err := readForm(r.Header, r.Body)
	if err != nil {
		return nil, err
	}
	for k, vs := range form {
		out[k] = vs[0]
	}
	return out, nil
}

func vonageSMS(p map[string]string) (Parsed, error) {
	if p["messageId"] == "" || p["to"] == "" {
		return Parsed{}, malformed("messageId and to are required")
	}
	if strings.EqualFold(p["concat"], "true") {
		return Parsed{Skipped: "partial: part of a concatenated SMS"}, nil
	}
	if p["type"] == "binary" {
		return Parsed{Skipped: "binary SMS"}, nil
	}
	rcpt := phoneRecipients(p["to"])
	if len(rcpt) == 0 {
		return Parsed{}, malformed("to is not a phone number")
	}
	return Parsed{Messages: []Message{{
		Source:     SourceVonage,
		MessageID:  p["messageId"],
		Channel:    checkpoint.ChannelSMS,
		Recipients: rcpt,
		From:       senderPhone(p["msisdn"]),
		SentAt:     firstTime(vonageTimestamp, p["message-timestamp"]),
		Text:       p["text"],
	}}}, nil
}

// vonageMessage is the Messages API inbound message, SMS channel.
type vonageMessage struct {
	Channel     string `json:"channel"`
	MessageUUID string `json:"message_uuid"`
	To          string `json:"to"`
	From        string `json:"from"`
	Text        string `json:"text"`
	MessageType string `json:"message_type"`
	Timestamp   string `json:"timestamp"`
}

// vonageTimestamp is the SMS API's message-timestamp layout (UTC).
const vonageTimestamp = "2006-01-02 15:04:05"

func parseVonageMessages(body []byte) (Parsed, error) {
	var m vonageMessage
	if err := strictjson.Unmarshal(body, &m); err != nil {
		return Parsed{}, malformed("json body: %v", err)
	}
	if m.MessageUUID == "" || m.To == "" {
		return Parsed{}, malformed("message_uuid and to are required")
	}
	if m.Channel != "" && m.Channel != "sms" {
		return Parsed{Skipped: "not an SMS: channel " + m.Channel}, nil
	}
	if m.MessageType != "" && m.MessageType != "text" {
		return Parsed{Skipped: "not a text message"}, nil
	}
	rcpt := phoneRecipients(m.To)
	if len(rcpt) == 0 {
		return Parsed{}, malformed("to is not a phone number")
	}
	return Parsed{Messages: []Message{{
		Source:     SourceVonage,
		MessageID:  m.MessageUUID,
		Channel:    checkpoint.ChannelSMS,
		Recipients: rcpt,
		From:       senderPhone(m.From),
		SentAt:     firstTime(time.RFC3339Nano, m.Timestamp),
		Text:       m.Text,
	}}}, nil
}
