package inbound_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
)

// device is the forwarder every kind's test posts to.
var device = inbound.Device{ID: "fw_test", Secret: []byte("k3y-0f-the-device"), Phone: "+14155550111",
	Email: "alice@example.com", SIMs: []string{"+14155550112"},
	WebhookURL: "https://relay.example.com/v1/forwarders/fw_test/webhook"}

// signSMSGate signs as SMS Gateway for Android's docs describe it: hex
// HMAC-SHA256 of the raw body followed by the X-Timestamp value.
func signSMSGate(secret []byte, body string, at time.Time) (ts, sig string) {
	ts = strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(body + ts))
	return ts, hex.EncodeToString(mac.Sum(nil))
}

// smsGateReceived is the sms:received example of the docs, with a
// LinkedIn code; recipient is a JSON value ("null" or a quoted number).
func smsGateReceived(id, recipient string) string {
	return `{"deviceId":"ffffffffceb0b1db0000018e937c815b","event":"sms:received","id":"` + id + `",` +
		`"payload":{"messageId":"abc123","message":"Your LinkedIn verification code is 482913.",` +
		`"sender":"+16505551212","recipient":` + recipient + `,"simNumber":1,` +
		`"receivedAt":"2026-11-23T16:29:50.000+07:00"},"webhookId":"LreFUt-Z3sSq0JufY9uWB"}`
}

func TestSMSGate(t *testing.T) {
	ping := `{"deviceId":"d","event":"system:ping","id":"p1","payload":{"health":{"status":"pass"}},"webhookId":"w"}`
	started := `{"deviceId":"d","event":"app:started","id":"s1","payload":{"simCards":[{"slotIndex":0,"simNumber":1,"phoneNumber":"+14155550111","carrierName":"T","iccid":"8901"},{"slotIndex":1,"simNumber":2,"phoneNumber":"+14155550113","carrierName":"V","iccid":"8902"}]},"webhookId":"w"}`
	tests := []struct {
		name      string
		secret    []byte
		at        time.Time
		body      string
		want      error
		recipient string // of the one message, "" for none
		heartbeat bool
		sims      int
	}{
		{"null recipient: the device's phone", device.Secret, now, smsGateReceived("e1", "null"), nil, "+14155550111", false, 0},
		{"its second SIM", device.Secret, now, smsGateReceived("e2", `"+14155550112"`), nil, "+14155550112", false, 0},
		{"national form of its number", device.Secret, now, smsGateReceived("e3", `"4155550112"`), nil, "+14155550112", false, 0},
		{"a number not its own: the device's phone", device.Secret, now, smsGateReceived("e4", `"+33612345678"`), nil, "+14155550111", false, 0},
		{"ping is a heartbeat", device.Secret, now, ping, nil, "", true, 0},
		{"app:started lists the SIMs", device.Secret, now, started, nil, "", true, 2},
		{"forged", []byte("guess"), now, smsGateReceived("e5", "null"), inbound.ErrSignature, "", false, 0},
		{"stale", device.Secret, now.Add(-6 * time.Minute), smsGateReceived("e6", "null"), inbound.ErrStale, "", false, 0},
		{"from the future", device.Secret, now.Add(6 * time.Minute), smsGateReceived("e7", "null"), inbound.ErrStale, "", false, 0},
		{"not json", device.Secret, now, `id=1`, inbound.ErrMalformed, "", false, 0},
		{"invalid UTF-8, signed", device.Secret, now, strings.Replace(smsGateReceived("e10", "null"), "verification", "verif\xffication", 1), inbound.ErrMalformed, "", false, 0},
		{"lone surrogate in the payload, signed", device.Secret, now, strings.Replace(smsGateReceived("e11", "null"), "verification", `verif\udbffication`, 1), inbound.ErrMalformed, "", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, sig := signSMSGate(tc.secret, tc.body, tc.at)
			p, err := inbound.SMSGate{Device: device}.Parse(context.Background(), inbound.Request{
				Method: "POST", Now: now, Body: []byte(tc.body), Header: header("X-Timestamp", ts, "X-Signature", sig)})
			wantErr(t, err, tc.want)
			if tc.want != nil {
				return
			}
			if p.Heartbeat != tc.heartbeat || len(p.SIMs) != tc.sims {
				t.Fatalf("heartbeat %v sims %v", p.Heartbeat, p.SIMs)
			}
			if tc.recipient == "" {
				if len(p.Messages) != 0 {
					t.Fatalf("messages %+v, want none", p.Messages)
				}
				return
			}
			m := p.Messages[0]
			if !equal(m.Recipients, []string{tc.recipient}) || m.From != "+16505551212" || m.MessageID == "" ||
				m.MessageID[:len(device.ID)] != device.ID || m.SentAt.IsZero() {
				t.Fatalf("message %+v", m)
			}
		})
	}
	// The body is signed: the same signature over another body is refused.
	ts, sig := signSMSGate(device.Secret, smsGateReceived("e8", "null"), now)
	_, err := inbound.SMSGate{Device: device}.Parse(context.Background(), inbound.Request{
		Now: now, Body: []byte(smsGateReceived("e9", "null")), Header: header("X-Timestamp", ts, "X-Signature", sig)})
	wantErr(t, err, inbound.ErrSignature)
}

func TestToken(t *testing.T) {
	secret := string(device.Secret)
	tests := []struct {
		name, auth, url, ct, body string
		want                      error
	}{
		{"bearer json", "Bearer " + secret, "https://r/x", "application/json", `{"from":"LinkedIn","text":"482913 is your code"}`, nil},
		{"query token form", "", "https://r/x?token=" + secret, "application/x-www-form-urlencoded", `from=LinkedIn&text=482913+is+your+code`, nil},
		{"wrong token", "Bearer nope", "https://r/x", "application/json", `{"text":"1"}`, inbound.ErrSignature},
		{"no token", "", "https://r/x", "application/json", `{"text":"1"}`, inbound.ErrSignature},
		{"no text", "Bearer " + secret, "https://r/x", "application/json", `{"from":"x"}`, inbound.ErrMalformed},
		{"invalid UTF-8", "Bearer " + secret, "https://r/x", "application/json", "{\"from\":\"Linked\xffIn\",\"text\":\"482913 is your code\"}", inbound.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := header("Content-Type", tc.ct)
			if tc.auth != "" {
				h.Set("Authorization", tc.auth)
			}
			p, err := inbound.Token{Device: device}.Parse(context.Background(), inbound.Request{
				Now: now, URL: tc.url, Body: []byte(tc.body), Header: h})
			wantErr(t, err, tc.want)
			if tc.want == nil && (len(p.Messages) != 1 || p.Messages[0].Text != "482913 is your code" ||
				!equal(p.Messages[0].Recipients, []string{device.Phone})) {
				t.Fatalf("parsed %+v", p)
			}
		})
	}
}
