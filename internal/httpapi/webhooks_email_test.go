package httpapi

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/apigw"
	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
)

const (
	whTopic         = "arn:aws:sns:eu-west-1:123456789012:relay-inbound"
	whMailgunKey    = "mailgun-signing-key-0123456789"
	whSendGridToken = "sendgrid-path-token-0123456789"
	whEmailSecret   = "email-generic-secret"
	whMail          = "Delivered-To: jane@example.com\r\nX-Forwarded-To: codes@in.relay.example.com\r\n" +
		"From: LinkedIn <security-noreply@linkedin.com>\r\nTo: Jane <jane@example.com>\r\n" +
		"Subject: Jane, here's your PIN\r\nMessage-ID: <pin.1@linkedin.com>\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n" +
		"Hi Jane,\r\n\r\nPlease use this verification code to complete your sign in: 482913\r\n\r\nThe LinkedIn Team\r\n"
)

// whSNS stands in for SNS: a TLS server serving the signing certificate
// and answering subscription confirmations.
type whSNS struct {
	srv       *httptest.Server
	key       *rsa.PrivateKey
	confirmed atomic.Int32
}

func newWhSNS(t *testing.T) *whSNS {
	t.Helper()
	s := &whSNS{}
	var err error
	if s.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore: whNow.Add(-time.Hour), NotAfter: whNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &s.key.PublicKey, s.key)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /SimpleNotificationService-test.pem", func(w http.ResponseWriter, _ *http.Request) {
		_ = pemEncode(w, der)
	})
	mux.HandleFunc("GET /confirm", func(w http.ResponseWriter, _ *http.Request) {
		s.confirmed.Add(1)
		_, _ = w.Write([]byte("<ConfirmSubscriptionResponse/>"))
	})
	s.srv = httptest.NewTLSServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// signed returns the SNS message m signed with version 2 (SHA256withRSA)
// over the documented canonical string.
func (s *whSNS) signed(t *testing.T, m map[string]string) []byte {
	t.Helper()
	names := []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	if m["Type"] != "Notification" {
		names = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var b strings.Builder
	for _, n := range names {
		if v, ok := m[n]; ok {
			b.WriteString(n + "\n" + v + "\n")
		}
	}
	d := sha256.Sum256([]byte(b.String()))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	m["SignatureVersion"], m["Signature"] = "2", base64.StdEncoding.EncodeToString(sig)
	m["SigningCertURL"] = s.srv.URL + "/SimpleNotificationService-test.pem"
	out, _ := json.Marshal(m)
	return out
}

func (s *whSNS) notification(t *testing.T, topic, mail string) []byte {
	n, _ := json.Marshal(map[string]any{
		"notificationType": "Received",
		"mail":             map[string]any{"messageId": "ses-msg-1", "source": "security-noreply@linkedin.com", "destination": []string{"codes@in.relay.example.com"}},
		"receipt": map[string]any{"recipients": []string{"codes@in.relay.example.com"},
			"spamVerdict": map[string]string{"status": "PASS"}, "virusVerdict": map[string]string{"status": "PASS"},
			"action": map[string]string{"type": "SNS", "topicArn": topic, "encoding": "BASE64"}},
		"content": base64.StdEncoding.EncodeToString([]byte(mail)),
	})
	return s.signed(t, map[string]string{"Type": "Notification", "MessageId": "b2c1-…", "TopicArn": topic,
		"Subject": "Amazon SES Email Receipt Notification", "Message": string(n),
		"Timestamp": whNow.Add(-5 * time.Second).Format("2006-01-02T15:04:05.000Z")})
}

type whEmailFixture struct {
	h    apigw.Handler
	d    *whDeliverer
	logs *bytes.Buffer
	sns  *whSNS
}

func newWhEmail(t *testing.T) *whEmailFixture {
	t.Helper()
	f := &whEmailFixture{d: &whDeliverer{}, logs: &bytes.Buffer{}, sns: newWhSNS(t)}
	var err error
	f.h, err = NewEmailWebhookHandler(EmailWebhookConfig{
		Deliverer:     f.d,
		SESTopicARN:   whTopic,
		SNSHTTPClient: f.sns.srv.Client(),
		SNSHostAllowed: func(h string) bool {
			return h == "127.0.0.1"
		},
		MailgunSigningKey: whMailgunKey,
		SendGridToken:     whSendGridToken,
		GenericSecret:     []byte(whEmailSecret),
		Logger:            whLogger(f.logs),
		Now:               func() time.Time { return whNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func whMultipart(t *testing.T, fields [][2]string) ([]byte, string) {
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

func whMailgun(t *testing.T, key, token string) ([]byte, string) {
	ts := strconv.FormatInt(whNow.Unix(), 10)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(ts + token))
	return whMultipart(t, [][2]string{
		{"recipient", "codes@mg.relay.example.com"}, {"sender", "security-noreply@linkedin.com"},
		{"from", "LinkedIn <security-noreply@linkedin.com>"}, {"subject", "Jane, here's your PIN"},
		{"body-plain", "Please use this verification code to complete your sign in: 482913"},
		{"stripped-text", "Please use this verification code to complete your sign in: 482913"},
		{"body-html", "<p>Please use this verification code to complete your sign in: <b>482913</b></p>"},
		{"message-headers", `[["To","jane@example.com"],["Message-Id","<pin.2@linkedin.com>"]]`},
		{"timestamp", ts}, {"token", token}, {"signature", hex.EncodeToString(m.Sum(nil))},
	})
}

func TestEmailWebhookDeliversEachSource(t *testing.T) {
	f := newWhEmail(t)
	mg, mgCT := whMailgun(t, whMailgunKey, "mg-token-1")
	sg, sgCT := whMultipart(t, [][2]string{{"email", whMail}, {"to", "jane@example.com"},
		{"envelope", `{"to":["codes@parse.relay.example.com"],"from":"security-noreply@linkedin.com"}`}})
	gen, _ := json.Marshal(map[string]string{"id": "zap-1", "to": "jane@example.com", "subject": "Your PIN",
		"text": "Please use this verification code to complete your sign in: 482913"})
	genTS, genSig := inbound.RelaySignature([]byte(whEmailSecret), whNow, gen)
	tests := []struct {
		name, path, ct string
		body           []byte
		headers        map[string]string
		wantSource     string
		wantID         string
		wantLast       string // the last (least specific) recipient
	}{
		{"ses", "/v1/webhooks/email/ses", "text/plain; charset=UTF-8", f.sns.notification(t, whTopic, whMail),
			map[string]string{"X-Amz-Sns-Message-Type": "Notification", "X-Amz-Sns-Topic-Arn": whTopic},
			"ses", "ses-msg-1", "codes@in.relay.example.com"},
		{"mailgun", "/v1/webhooks/email/mailgun", mgCT, mg, nil, "mailgun", "pin.2@linkedin.com", "codes@mg.relay.example.com"},
		{"sendgrid", "/v1/webhooks/email/sendgrid?token=" + whSendGridToken, sgCT, sg, nil,
			"sendgrid", "pin.1@linkedin.com", "codes@parse.relay.example.com"},
		{"generic", "/v1/webhooks/email/generic", "application/json", gen,
			map[string]string{"X-Relay-Timestamp": genTS, "X-Relay-Signature": genSig}, "email-generic", "zap-1", "jane@example.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := len(f.d.calls)
			resp := whCall(t, f.h, whEvent(t, tc.path, tc.ct, tc.body, tc.headers))
			if got := whStatuses(t, resp); resp.StatusCode != 200 || len(got) != 1 || got[0] != "accepted" {
				t.Fatalf("answer %d %s", resp.StatusCode, resp.Body)
			}
			d := f.d.calls[n]
			if d.Channel != checkpoint.ChannelEmail || d.Source != tc.wantSource || d.MessageID != tc.wantID ||
				d.Recipients[0] != "jane@example.com" || d.Recipients[len(d.Recipients)-1] != tc.wantLast ||
				d.Code != "482913" {
				t.Errorf("delivery = %+v", d)
			}
		})
	}
	whNoSecrets(t, f.logs.String(), "482913", "verification code", whMailgunKey, whSendGridToken, whEmailSecret)
}

func TestEmailWebhookRefusesWithoutDelivering(t *testing.T) {
	f := newWhEmail(t)
	forgedMG, mgCT := whMailgun(t, "not-the-key", "mg-token-2")
	sg, sgCT := whMultipart(t, [][2]string{{"email", whMail}})
	tests := []struct {
		name, path, ct string
		body           []byte
		status         int
		problem        string
	}{
		{"ses for another topic", "/v1/webhooks/email/ses", "text/plain",
			f.sns.notification(t, "arn:aws:sns:eu-west-1:999999999999:other", whMail), 403, "errors/forbidden"},
		{"ses forged", "/v1/webhooks/email/ses", "text/plain",
			bytes.Replace(f.sns.notification(t, whTopic, whMail), []byte(`ses-msg-1`), []byte(`ses-msg-2`), 1), 401, "errors/invalid_signature"},
		{"ses not json", "/v1/webhooks/email/ses", "text/plain", []byte("hello"), 400, "errors/malformed_request"},
		{"mailgun forged", "/v1/webhooks/email/mailgun", mgCT, forgedMG, 401, "errors/invalid_signature"},
		{"sendgrid without token", "/v1/webhooks/email/sendgrid", sgCT, sg, 401, "errors/invalid_signature"},
		{"sendgrid wrong token", "/v1/webhooks/email/sendgrid?token=guess", sgCT, sg, 401, "errors/invalid_signature"},
		{"oversize", "/v1/webhooks/email/generic", "application/octet-stream", bytes.Repeat([]byte{0xff}, apigw.MaxBodyBytes+1), 413, "errors/content_too_large"},
		// Mailgun retries everything but 200 and 406 for hours.
		{"mailgun oversize", "/v1/webhooks/email/mailgun", "application/octet-stream", bytes.Repeat([]byte{0xff}, apigw.MaxBodyBytes+1), 406, "errors/content_too_large"},
		{"mailgun malformed", "/v1/webhooks/email/mailgun", "application/json", []byte(`{}`), 406, "errors/malformed_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := whCall(t, f.h, whEvent(t, tc.path, tc.ct, tc.body, nil))
			if resp.StatusCode != tc.status || whProblemType(t, resp) != tc.problem {
				t.Errorf("answer %d %s, want %d %s", resp.StatusCode, resp.Body, tc.status, tc.problem)
			}
		})
	}
	if len(f.d.calls) != 0 {
		t.Errorf("Deliver called %d times for refused requests", len(f.d.calls))
	}
}

func TestEmailWebhookConfirmsSNSSubscription(t *testing.T) {
	f := newWhEmail(t)
	body := f.sns.signed(t, map[string]string{
		"Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		"Token":    "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
		"TopicArn": whTopic, "Message": "You have chosen to subscribe to the topic " + whTopic + ".",
		"SubscribeURL": f.sns.srv.URL + "/confirm?Action=ConfirmSubscription&TopicArn=" + whTopic,
		"Timestamp":    whNow.Format("2006-01-02T15:04:05.000Z"),
	})
	resp := whCall(t, f.h, whEvent(t, "/v1/webhooks/email/ses", "text/plain; charset=UTF-8", body,
		map[string]string{"X-Amz-Sns-Message-Type": "SubscriptionConfirmation"}))
	if resp.StatusCode != 200 || f.sns.confirmed.Load() != 1 || len(f.d.calls) != 0 {
		t.Fatalf("answer %d %s, confirmed %d, deliveries %d", resp.StatusCode, resp.Body, f.sns.confirmed.Load(), len(f.d.calls))
	}
}

func TestEmailWebhookSESDisabledWithoutTopic(t *testing.T) {
	d := &whDeliverer{}
	h, err := NewEmailWebhookHandler(EmailWebhookConfig{Deliverer: d, Logger: whLogger(&bytes.Buffer{})})
	if err != nil {
		t.Fatal(err)
	}
	resp := whCall(t, h, whEvent(t, "/v1/webhooks/email/ses", "text/plain", []byte(`{"Type":"Notification"}`), nil))
	if resp.StatusCode != 404 || len(d.calls) != 0 {
		t.Errorf("answer %d %s, deliveries %d", resp.StatusCode, resp.Body, len(d.calls))
	}
}

func pemEncode(w http.ResponseWriter, der []byte) error {
	return pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: der})
}
