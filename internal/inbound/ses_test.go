package inbound_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
)

const topicARN = "arn:aws:sns:eu-west-1:123456789012:checkpoint-relay-inbound"

// snsFixture is a stand-in for SNS: a TLS server serving the signing
// certificate and the subscription confirmation, and the key that signs.
type snsFixture struct {
	srv       *httptest.Server
	key       *rsa.PrivateKey
	certURL   string
	certGets  atomic.Int32
	confirmed atomic.Int32
}

func newSNSFixture(t *testing.T) *snsFixture {
	t.Helper()
	f := &snsFixture{}
	var err error
	if f.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sns.eu-west-1.amazonaws.com"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &f.key.PublicKey, f.key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /SimpleNotificationService-0123456789abcdef.pem", func(w http.ResponseWriter, _ *http.Request) {
		f.certGets.Add(1)
		_, _ = w.Write(certPEM)
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("Action") == "ConfirmSubscription" {
			f.confirmed.Add(1)
			_, _ = w.Write([]byte(`<ConfirmSubscriptionResponse/>`))
			return
		}
		http.NotFound(w, r)
	})
	f.srv = httptest.NewTLSServer(mux)
	t.Cleanup(f.srv.Close)
	f.certURL = f.srv.URL + "/SimpleNotificationService-0123456789abcdef.pem"
	return f
}

func (f *snsFixture) verifier() *inbound.SNS {
	return inbound.NewSNS(inbound.SNSConfig{
		TopicARN:    topicARN,
		HTTPClient:  f.srv.Client(),
		HostAllowed: func(h string) bool { return h == "127.0.0.1" },
	})
}

// sign fills in the signature fields the way SNS documents: the canonical
// "Name\nValue\n" string of the type's fields, RSA PKCS#1 v1.5 over SHA1
// (version 1) or SHA256 (version 2), base64.
func (f *snsFixture) sign(t *testing.T, m map[string]string, version string, key *rsa.PrivateKey) []byte {
	t.Helper()
	var names []string
	if m["Type"] == "Notification" {
		names = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	} else {
		names = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var b strings.Builder
	for _, n := range names {
		if v, ok := m[n]; ok {
			b.WriteString(n + "\n" + v + "\n")
		}
	}
	var sig []byte
	var err error
	if version == "1" {
		d := sha1.Sum([]byte(b.String()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA1, d[:])
	} else {
		d := sha256.Sum256([]byte(b.String()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	m["SignatureVersion"] = version
	m["Signature"] = base64.StdEncoding.EncodeToString(sig)
	if _, ok := m["SigningCertURL"]; !ok {
		m["SigningCertURL"] = f.certURL
	}
	out, _ := json.Marshal(m)
	return out
}

const forwardedMail = "Return-Path: <security-noreply@linkedin.com>\r\n" +
	"Delivered-To: jane.doe@gmail.com\r\n" +
	"X-Forwarded-To: codes@inbound.relay.example.com\r\n" +
	"X-Forwarded-For: jane.doe@gmail.com codes@inbound.relay.example.com\r\n" +
	"From: LinkedIn <security-noreply@linkedin.com>\r\n" +
	"To: Jane Doe <Jane.Doe@gmail.com>\r\n" +
	"Subject: Jane, here's your PIN\r\n" +
	"Message-ID: <1234.5678@linkedin.com>\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n\r\n" +
	"Please use this verification code to complete your sign in: 482913\r\n"

// sesNotification is an SES "Received" notification as SES documents it.
func sesNotification(action map[string]string, content *string, spam string) string {
	n := map[string]any{
		"notificationType": "Received",
		"mail": map[string]any{
			"timestamp": "2026-11-23T09:29:40.000Z", "source": "security-noreply@linkedin.com",
			"messageId":        "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1",
			"destination":      []string{"codes@inbound.relay.example.com"},
			"headersTruncated": false,
			"commonHeaders": map[string]any{"from": []string{"LinkedIn <security-noreply@linkedin.com>"},
				"to": []string{"Jane Doe <Jane.Doe@gmail.com>"}, "subject": "Jane, here's your PIN"},
		},
		"receipt": map[string]any{
			"timestamp": "2026-11-23T09:29:40.000Z", "processingTimeMillis": 574,
			"recipients":  []string{"codes@inbound.relay.example.com"},
			"spamVerdict": map[string]string{"status": spam}, "virusVerdict": map[string]string{"status": "PASS"},
			"spfVerdict": map[string]string{"status": "PASS"}, "dkimVerdict": map[string]string{"status": "PASS"},
			"dmarcVerdict": map[string]string{"status": "PASS"}, "action": action,
		},
	}
	if content != nil {
		n["content"] = *content
	}
	b, _ := json.Marshal(n)
	return string(b)
}

func notification(message string) map[string]string {
	return map[string]string{
		"Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324", "TopicArn": topicARN,
		"Subject": "Amazon SES Email Receipt Notification", "Message": message,
		"Timestamp":      now.Add(-20 * time.Second).Format("2006-01-02T15:04:05.000Z"),
		"UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
	}
}

type fakeObjects struct {
	objects map[string]string
	gets    int
}

func (o *fakeObjects) GetObject(_ context.Context, bucket, key string, _ int64) ([]byte, error) {
	o.gets++
	v, ok := o.objects[bucket+"/"+key]
	if !ok {
		return nil, inbound.ErrUpstream
	}
	return []byte(v), nil
}

func TestSESNotification(t *testing.T) {
	f := newSNSFixture(t)
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	utf8 := forwardedMail
	b64 := base64.StdEncoding.EncodeToString([]byte(forwardedMail))
	snsAction := map[string]string{"type": "SNS", "topicArn": topicARN, "encoding": "UTF8"}
	snsB64Action := map[string]string{"type": "SNS", "topicArn": topicARN, "encoding": "BASE64"}
	s3Action := map[string]string{"type": "S3", "topicArn": topicARN, "bucketName": "relay-inbound",
		"objectKeyPrefix": "mail/", "objectKey": "mail/o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1"}
	objects := &fakeObjects{objects: map[string]string{"relay-inbound/mail/o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1": forwardedMail}}

	tests := []struct {
		name    string
		msg     map[string]string
		version string
		key     *rsa.PrivateKey
		want    error
		skipped string
	}{
		{"SNS action, UTF8, signature v1", notification(sesNotification(snsAction, &utf8, "PASS")), "1", f.key, nil, ""},
		{"SNS action, BASE64, signature v2", notification(sesNotification(snsB64Action, &b64, "PASS")), "2", f.key, nil, ""},
		{"S3 action", notification(sesNotification(s3Action, nil, "PASS")), "2", f.key, nil, ""},
		{"forged signature", notification(sesNotification(snsAction, &utf8, "PASS")), "1", otherKey, inbound.ErrSignature, ""},
		{"another topic", func() map[string]string {
			m := notification(sesNotification(snsAction, &utf8, "PASS"))
			m["TopicArn"] = "arn:aws:sns:eu-west-1:999999999999:someone-else"
			return m
		}(), "1", f.key, inbound.ErrTopic, ""},
		{"certificate off SNS hosts", func() map[string]string {
			m := notification(sesNotification(snsAction, &utf8, "PASS"))
			m["SigningCertURL"] = "https://evil.example.com/SimpleNotificationService-0123456789abcdef.pem"
			return m
		}(), "1", f.key, inbound.ErrSignature, ""},
		{"certificate over http", func() map[string]string {
			m := notification(sesNotification(snsAction, &utf8, "PASS"))
			m["SigningCertURL"] = strings.Replace(f.certURL, "https://", "http://", 1)
			return m
		}(), "1", f.key, inbound.ErrSignature, ""},
		{"old message", func() map[string]string {
			m := notification(sesNotification(snsAction, &utf8, "PASS"))
			m["Timestamp"] = now.Add(-2 * time.Hour).Format(time.RFC3339)
			return m
		}(), "1", f.key, inbound.ErrStale, ""},
		{"spam", notification(sesNotification(snsAction, &utf8, "FAIL")), "1", f.key, nil, "spam verdict FAIL"},
		{"SES setup notification", notification(`{"notificationType":"AmazonSnsSubscriptionSucceeded","message":"You have successfully subscribed"}`),
			"1", f.key, nil, "notification AmazonSnsSubscriptionSucceeded"},
	}
	ses := inbound.SES{SNS: f.verifier(), Objects: objects, Bucket: "relay-inbound"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := f.sign(t, tc.msg, tc.version, tc.key)
			p, err := ses.Parse(context.Background(), inbound.Request{Method: "POST", Body: body, Now: now,
				Header: header("Content-Type", "text/plain; charset=UTF-8", "X-Amz-Sns-Message-Type", tc.msg["Type"])})
			wantErr(t, err, tc.want)
			if err != nil {
				return
			}
			if tc.skipped != "" {
				if p.Skipped != tc.skipped || len(p.Messages) != 0 {
					t.Fatalf("parsed = %+v, want skipped %q", p, tc.skipped)
				}
				return
			}
			m := p.Messages[0]
			want := []string{"jane.doe@gmail.com", "codes@inbound.relay.example.com"}
			if m.Source != "ses" || m.MessageID != "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1" ||
				m.Channel != checkpoint.ChannelEmail || !equal(m.Recipients, want) || string(m.RawMIME) != forwardedMail {
				t.Errorf("message = %+v", m)
			}
			if v := m.Verdicts; v == nil || v.AuthServID != "amazonses.com" || v.DKIM != "PASS" || v.SPF != "PASS" || v.DMARC != "PASS" ||
				v.EnvelopeFrom != "security-noreply@linkedin.com" {
				t.Errorf("verdicts = %+v", v)
			}
		})
	}
	if got := f.certGets.Load(); got != 1 {
		t.Errorf("certificate fetched %d times, want once (cached)", got)
	}
	if objects.gets != 1 {
		t.Errorf("S3 read %d times, want 1", objects.gets)
	}
}

func TestSESRefusesForeignBucket(t *testing.T) {
	f := newSNSFixture(t)
	action := map[string]string{"type": "S3", "topicArn": topicARN, "bucketName": "someone-elses", "objectKey": "k"}
	body := f.sign(t, notification(sesNotification(action, nil, "PASS")), "2", f.key)
	objects := &fakeObjects{}
	_, err := inbound.SES{SNS: f.verifier(), Objects: objects, Bucket: "relay-inbound"}.Parse(context.Background(),
		inbound.Request{Body: body, Now: now, Header: header()})
	wantErr(t, err, inbound.ErrMalformed)
	if objects.gets != 0 {
		t.Error("read an object outside the inbound bucket")
	}
}

func TestSNSSubscriptionConfirmation(t *testing.T) {
	f := newSNSFixture(t)
	sub := map[string]string{
		"Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		"Token":        "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
		"TopicArn":     topicARN,
		"Message":      "You have chosen to subscribe to the topic " + topicARN + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		"SubscribeURL": f.srv.URL + "/?Action=ConfirmSubscription&TopicArn=" + topicARN + "&Token=2336412f37",
		"Timestamp":    now.Add(-time.Second).Format("2006-01-02T15:04:05.000Z"),
	}
	verifier := f.verifier()
	ses := inbound.SES{SNS: verifier}
	p, err := ses.Parse(context.Background(), inbound.Request{Body: f.sign(t, sub, "1", f.key), Now: now, Header: header()})
	if err != nil {
		t.Fatal(err)
	}
	if p.Confirm == nil || p.Confirm.SubscribeURL != sub["SubscribeURL"] || len(p.Messages) != 0 {
		t.Fatalf("parsed = %+v, want a confirmation", p)
	}
	if err := verifier.Confirm(context.Background(), *p.Confirm); err != nil {
		t.Fatal(err)
	}
	if f.confirmed.Load() != 1 {
		t.Fatal("SubscribeURL not visited")
	}

	for name, c := range map[string]inbound.SNSSubscription{
		"off SNS hosts": {TopicARN: topicARN, SubscribeURL: "https://attacker.example.com/?Action=ConfirmSubscription"},
		"plain http":    {TopicARN: topicARN, SubscribeURL: strings.Replace(sub["SubscribeURL"], "https", "http", 1)},
		"other topic":   {TopicARN: "arn:aws:sns:eu-west-1:1:x", SubscribeURL: sub["SubscribeURL"]},
	} {
		if err := verifier.Confirm(context.Background(), c); err == nil {
			t.Errorf("%s: confirmed", name)
		}
	}
	if f.confirmed.Load() != 1 {
		t.Error("a refused SubscribeURL was visited")
	}
}

func TestDefaultSNSHost(t *testing.T) {
	for host, want := range map[string]bool{
		"sns.us-east-1.amazonaws.com":             true,
		"sns.cn-north-1.amazonaws.com.cn":         true,
		"sns.us-gov-west-1.amazonaws.com":         true,
		"sns.us-east-1.amazonaws.com.evil.com":    false,
		"evilsns.us-east-1.amazonaws.com":         false,
		"sns.us-east-1.amazonaws.com:8443":        false,
		"s3.us-east-1.amazonaws.com":              false,
		"sns.us-east-1.amazonaws.com.":            false,
		"xsns.us-east-1.amazonaws.com.attack.net": false,
	} {
		if got := inbound.DefaultSNSHost(host); got != want {
			t.Errorf("DefaultSNSHost(%q) = %v, want %v", host, got, want)
		}
	}
}
