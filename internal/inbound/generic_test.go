package inbound_test

import (
	"context"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
)

func TestGenericSMS(t *testing.T) {
	secret := []byte("sms-forwarder-secret")
	body := `{"id":"fwd-20261123-0001","to":"+44 7700 900123","from":"LinkedIn","text":"482913 is your LinkedIn verification code","sent_at":"2026-11-23T09:29:55Z"}`
	tests := []struct {
		name   string
		secret []byte // signing secret
		at     time.Time
		sig    string // overrides the computed signature
		body   string
		want   error
	}{
		{"signed", secret, now, "", body, nil},
		{"rotating: second signature matches", secret, now, "v1=00ff,", body, nil},
		{"wrong secret", []byte("guess"), now, "", body, inbound.ErrSignature},
		{"no v1 prefix", secret, now, "deadbeef", body, inbound.ErrSignature},
		{"stale", secret, now.Add(-10 * time.Minute), "", body, inbound.ErrStale},
		{"no recipient phone", secret, now, "", `{"id":"x","to":"someone","text":"1"}`, inbound.ErrMalformed},
		{"not json", secret, now, "", `id=x`, inbound.ErrMalformed},
		// encoding/json would read both as U+FFFD: another text than the one sent.
		{"invalid UTF-8", secret, now, "", "{\"id\":\"fwd-\xff\xfe1\",\"to\":\"+447700900123\",\"text\":\"482913\"}", inbound.ErrMalformed},
		{"lone surrogate escape", secret, now, "", `{"id":"fwd-\ud800","to":"+447700900123","text":"482913"}`, inbound.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, sig := inbound.RelaySignature(tc.secret, tc.at, []byte(tc.body))
			switch {
			case tc.sig == "v1=00ff,":
				sig = tc.sig + sig
			case tc.sig != "":
				sig = tc.sig
			}
			r := inbound.Request{Method: "POST", Now: now, Body: []byte(tc.body),
				Header: header("Content-Type", "application/json", "X-Relay-Timestamp", ts, "X-Relay-Signature", sig)}
			p, err := inbound.SMSGeneric{Secret: secret}.Parse(context.Background(), r)
			wantErr(t, err, tc.want)
			if err != nil {
				return
			}
			m := p.Messages[0]
			if m.Source != "sms-generic" || m.MessageID != "fwd-20261123-0001" || m.Channel != checkpoint.ChannelSMS ||
				!equal(m.Recipients, []string{"+447700900123"}) || m.From != "LinkedIn" {
				t.Errorf("message = %+v", m)
			}
		})
	}
}

func TestGenericEmail(t *testing.T) {
	secret := []byte("email-automation-secret")
	raw := "From: LinkedIn <security-noreply@linkedin.com>\r\nTo: Jane <Jane.Doe+li@Example.com>\r\n" +
		"X-Forwarded-To: inbox@relay.example.com\r\nMessage-ID: <abc@linkedin.com>\r\nSubject: Your code\r\n\r\nUse 482913\r\n"
	tests := []struct {
		name     string
		body     string
		wantRcpt []string
		wantRaw  bool
		want     error
	}{
		{"parts", `{"id":"zap-1","to":["Jane <jane@example.com>"],"from":"x@linkedin.com","subject":"Code","text":"482913"}`,
			[]string{"jane@example.com"}, false, nil},
		{"raw mail: original recipient first", `{"id":"zap-2","to":"inbox@relay.example.com","raw":` + jsonString(raw) + `}`,
			[]string{"jane.doe+li@example.com", "jane.doe@example.com", "inbox@relay.example.com"}, true, nil},
		{"missing id", `{"to":"jane@example.com","text":"1"}`, nil, false, inbound.ErrMalformed},
		{"invalid UTF-8", "{\"id\":\"zap-3\",\"to\":\"jane@example.com\",\"text\":\"48\xff2913\"}", nil, false, inbound.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, sig := inbound.RelaySignature(secret, now, []byte(tc.body))
			r := inbound.Request{Method: "POST", Now: now, Body: []byte(tc.body),
				Header: header("X-Relay-Timestamp", ts, "X-Relay-Signature", sig)}
			p, err := inbound.EmailGeneric{Secret: secret}.Parse(context.Background(), r)
			wantErr(t, err, tc.want)
			if err != nil {
				return
			}
			m := p.Messages[0]
			if !equal(m.Recipients, tc.wantRcpt) || (m.RawMIME != nil) != tc.wantRaw || m.Channel != checkpoint.ChannelEmail {
				t.Errorf("message = %+v", m)
			}
		})
	}
	_, err := inbound.EmailGeneric{}.Parse(context.Background(), inbound.Request{Header: header(), Now: now})
	wantErr(t, err, inbound.ErrNotConfigured)
}
