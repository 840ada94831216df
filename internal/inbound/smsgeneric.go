package inbound

import (
	"context"
	"encoding/json"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// SMSGeneric reads the relay's own JSON format for SMS-forwarder phone apps
// and automations, signed with the relay's HMAC scheme (see RelaySignature):
//
//	{"id": "unique message id", "to": "+447700900000", "from": "LinkedIn",
//	 "text": "123456 is your LinkedIn verification code", "sent_at": "RFC 3339, optional"}
//
// "to" may also be a list of numbers.
type SMSGeneric struct {
	Secret []byte
}

// Name implements Source.
func (SMSGeneric) Name() string { return SourceSMSGeneric }

type genericSMS struct {
	ID   string      `json:"id"`
	To   stringOrArr `json:"to"`
	From string      `json:"from"`
	Text string      `json:"text"`
	// SentAt is the message's own time (RFC 3339), when the sender knows
	// it: a message sent before the code request it would answer is not
	// used.
	SentAt string `json:"sent_at"`
}

// Parse implements Source.
func (s SMSGeneric) Parse(_ context.Context, r Request) (Parsed, error) {
	if err := VerifyRelaySignature(s.Secret, r.Header.Get(HeaderRelayTimestamp),
		r.Header.Get(HeaderRelaySignature), r.Body, r.Now); err != nil {
		return Parsed{}, err
	}
	var m genericSMS
	if err := strictjson.Unmarshal(r.Body, &m); err != nil {
		return Parsed{}, malformed("json body: %v", err)
	}
	rcpt := phoneRecipients(m.To...)
	if m.ID == "" || len(rcpt) == 0 {
		return Parsed{}, malformed("id and to (a phone number) are required")
	}
	return Parsed{Messages: []Message{{
		Source:     SourceSMSGeneric,
		MessageID:  m.ID,
		Channel:    checkpoint.ChannelSMS,
		Recipients: rcpt,
		From:       senderPhone(m.From),
		SentAt:     firstTime(time.RFC3339Nano, m.SentAt),
		Text:       m.Text,
	}}}, nil
}

// stringOrArr accepts "a" or ["a", "b"].
type stringOrArr []string

func (s *stringOrArr) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}
