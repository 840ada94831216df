package inbound_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"mime/multipart"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
)

const mailgunKey = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"

// mailgunSign is Mailgun's documented check, computed independently.
func mailgunSign(key, ts, token string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(ts + token))
	return hex.EncodeToString(m.Sum(nil))
}

// mailgunFields is a route forward's parsed fields as Mailgun documents them.
func mailgunFields(at time.Time, token, key string) [][2]string {
	ts := strconv.FormatInt(at.Unix(), 10)
	return [][2]string{
		{"recipient", "codes@mg.relay.example.com"},
		{"sender", "security-noreply@linkedin.com"},
		{"from", "LinkedIn <security-noreply@linkedin.com>"},
		{"subject", "Jane, here's your PIN"},
		{"body-plain", "Please use this verification code to complete your sign in: 482913\r\n"},
		{"stripped-text", "Please use this verification code to complete your sign in: 482913"},
		{"stripped-signature", ""},
		{"body-html", "<p>Please use this verification code to complete your sign in: <b>482913</b></p>"},
		{"stripped-html", "<p>Please use this verification code to complete your sign in: <b>482913</b></p>"},
		{"attachment-count", "1"},
		{"timestamp", ts},
		{"token", token},
		{"signature", mailgunSign(key, ts, token)},
		{"message-headers", `[["Received","by luna.mailgun.net with SMTP"],["Delivered-To","jane@example.com"],` +
			`["X-Forwarded-To","codes@mg.relay.example.com"],["From","LinkedIn <security-noreply@linkedin.com>"],` +
			`["To","Jane <Jane+linkedin@Example.com>"],["Subject","Jane, here's your PIN"],` +
			`["Message-Id","<20261123092940.1.ABCDEF@linkedin.com>"]]`},
		{"content-id-map", "{}"},
	}
}

func mailgunMultipart(t *testing.T, fields [][2]string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	// An attachment, which the parser skips.
	fw, _ := w.CreateFormFile("attachment-1", "logo.png")
	_, _ = fw.Write([]byte("\x89PNG\r\n"))
	_ = w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

func TestMailgun(t *testing.T) {
	type build func() ([]byte, string)
	multipartBody := func(at time.Time, token, key string) build {
		return func() ([]byte, string) { return mailgunMultipart(t, mailgunFields(at, token, key)) }
	}
	mimeForm := func() ([]byte, string) {
		ts := strconv.FormatInt(now.Unix(), 10)
		v := url.Values{"recipient": {"codes@mg.relay.example.com"}, "sender": {"security-noreply@linkedin.com"},
			"subject": {"Jane, here's your PIN"}, "timestamp": {ts}, "token": {"mime-token-1"},
			"signature": {mailgunSign(mailgunKey, ts, "mime-token-1")}, "body-mime": {forwardedMail}}
		return []byte(v.Encode()), "application/x-www-form-urlencoded"
	}
	tests := []struct {
		name     string
		body     build
		want     error
		wantID   string
		wantRcpt []string
		wantRaw  bool
	}{
		{"parsed multipart", multipartBody(now.Add(-time.Second), "tok-1", mailgunKey), nil,
			"20261123092940.1.ABCDEF@linkedin.com",
			[]string{"jane+linkedin@example.com", "jane@example.com", "codes@mg.relay.example.com"}, false},
		{"raw mime, form-encoded", mimeForm, nil, "1234.5678@linkedin.com",
			[]string{"jane.doe@gmail.com", "codes@inbound.relay.example.com", "codes@mg.relay.example.com"}, true},
		{"signed with another key", multipartBody(now, "tok-2", "key-guess"), inbound.ErrSignature, "", nil, false},
		{"stale timestamp", multipartBody(now.Add(-10*time.Minute), "tok-3", mailgunKey), inbound.ErrStale, "", nil, false},
		{"token replayed", multipartBody(now, "tok-1", mailgunKey), inbound.ErrStale, "", nil, false},
		{"unsigned", func() ([]byte, string) {
			return []byte(url.Values{"recipient": {"a@b.c"}}.Encode()), "application/x-www-form-urlencoded"
		}, inbound.ErrSignature, "", nil, false},
	}
	// One source across the cases, as in a warm Lambda: "token replayed"
	// reuses the first case's token.
	mg := inbound.NewMailgun(mailgunKey)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := tc.body()
			p, err := mg.Parse(context.Background(), inbound.Request{Method: "POST", Body: body, Now: now,
				Header: header("Content-Type", ct)})
			wantErr(t, err, tc.want)
			if err != nil {
				return
			}
			m := p.Messages[0]
			if m.MessageID != tc.wantID || !equal(m.Recipients, tc.wantRcpt) || (m.RawMIME != nil) != tc.wantRaw {
				t.Errorf("message = id %q rcpt %v raw %v", m.MessageID, m.Recipients, m.RawMIME != nil)
			}
			if !tc.wantRaw && (m.Subject != "Jane, here's your PIN" || m.TextBody == "" || m.HTMLBody == "") {
				t.Errorf("parts = %q / %q / %q", m.Subject, m.TextBody, m.HTMLBody)
			}
		})
	}
}
