package inbound_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
)

// sendgridParsed is an Inbound Parse post with raw mode off, fields as
// SendGrid documents them.
func sendgridParsed(t *testing.T) ([]byte, string) {
	return sendgridBody(t, [][2]string{
		{"headers", "Received: by mx0047p1mdw1.sendgrid.net with SMTP id 6WCVv7KAWn\r\n" +
			"From: Instagram <security@mail.instagram.com>\r\nTo: ops+ig@Example.org\r\n" +
			"Subject: =?ISO-8859-1?Q?C=F3digo_de_seguran=E7a?=\r\nMessage-ID: <ig.77@mail.instagram.com>\r\n"},
		{"dkim", "{@mail.instagram.com : pass}"},
		{"to", "ops+ig@Example.org"},
		{"from", "Instagram <security@mail.instagram.com>"},
		{"text", "Use o c\xf3digo 771 204 para confirmar."},
		{"html", "<p>Use o c\xf3digo <b>771 204</b></p>"},
		{"sender_ip", "192.0.2.10"},
		{"envelope", `{"to":["codes@parse.relay.example.com"],"from":"security@mail.instagram.com"}`},
		{"attachments", "0"},
		{"subject", "C\xf3digo de seguran\xe7a"},
		{"charsets", `{"to":"UTF-8","html":"iso-8859-1","subject":"iso-8859-1","from":"UTF-8","text":"iso-8859-1"}`},
		{"SPF", "pass"},
	})
}

func sendgridBody(t *testing.T, fields [][2]string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	_ = w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

func TestSendGrid(t *testing.T) {
	parsed, parsedCT := sendgridParsed(t)
	raw, rawCT := sendgridBody(t, [][2]string{
		{"email", forwardedMail}, {"to", "Jane Doe <Jane.Doe@gmail.com>"},
		{"envelope", `{"to":["codes@parse.relay.example.com"],"from":"security-noreply@linkedin.com"}`},
		{"subject", "Jane, here's your PIN"}, {"charsets", `{"to":"UTF-8","subject":"UTF-8","from":"UTF-8"}`},
	})
	const base = "https://relay.example.com/v1/webhooks/email/sendgrid"
	basic := func(u, p string) string {
		r, _ := http.NewRequest("POST", base, nil)
		r.SetBasicAuth(u, p)
		return r.Header.Get("Authorization")
	}
	cfg := inbound.SendGrid{User: "sendgrid", Password: "s3cret-parse-password", Token: "path-token-0123456789"}
	tests := []struct {
		name     string
		src      inbound.SendGrid
		url      string
		auth     string
		body     []byte
		ct       string
		want     error
		wantID   string
		wantRcpt []string
	}{
		{"parsed, basic auth", cfg, base, basic("sendgrid", "s3cret-parse-password"), parsed, parsedCT, nil,
			"ig.77@mail.instagram.com", []string{"ops+ig@example.org", "ops@example.org", "codes@parse.relay.example.com"}},
		{"raw, token in the URL", cfg, base + "?token=path-token-0123456789", "", raw, rawCT, nil,
			"1234.5678@linkedin.com", []string{"jane.doe@gmail.com", "codes@inbound.relay.example.com", "codes@parse.relay.example.com"}},
		{"wrong password", cfg, base, basic("sendgrid", "guess"), parsed, parsedCT, inbound.ErrSignature, "", nil},
		{"wrong token", cfg, base + "?token=guess", "", parsed, parsedCT, inbound.ErrSignature, "", nil},
		{"no credentials", cfg, base, "", parsed, parsedCT, inbound.ErrSignature, "", nil},
		{"nothing configured", inbound.SendGrid{}, base + "?token=", "", parsed, parsedCT, inbound.ErrNotConfigured, "", nil},
		{"not multipart", cfg, base, basic("sendgrid", "s3cret-parse-password"), []byte("{}"), "application/json", inbound.ErrMalformed, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := header("Content-Type", tc.ct)
			if tc.auth != "" {
				h.Set("Authorization", tc.auth)
			}
			p, err := tc.src.Parse(context.Background(), inbound.Request{Method: "POST", URL: tc.url, Header: h, Body: tc.body, Now: now})
			wantErr(t, err, tc.want)
			if err != nil {
				return
			}
			m := p.Messages[0]
			if m.MessageID != tc.wantID || !equal(m.Recipients, tc.wantRcpt) {
				t.Errorf("message = id %q rcpt %v", m.MessageID, m.Recipients)
			}
			if m.RawMIME == nil && (m.Verdicts == nil || m.Verdicts.DKIMDomains["mail.instagram.com"] != "pass" || m.Verdicts.SPF != "pass" ||
				!strings.Contains(m.FromHeader, "@mail.instagram.com")) {
				t.Errorf("parsed mode: verdicts %+v, from %q", m.Verdicts, m.FromHeader)
			}
		})
	}
}

func TestSendGridDecodesCharsets(t *testing.T) {
	body, ct := sendgridParsed(t)
	p, err := inbound.SendGrid{Token: "t"}.Parse(context.Background(), inbound.Request{
		URL: "https://relay.example.com/x?token=t", Header: header("Content-Type", ct), Body: body, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	m := p.Messages[0]
	if m.Subject != "Código de segurança" || m.TextBody != "Use o código 771 204 para confirmar." {
		t.Errorf("subject %q text %q, want UTF-8", m.Subject, m.TextBody)
	}
}
