package inbound_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
)

// httpSMSToken is the token httpSMS's webhook service makes
// (getAuthToken): HS256 with the webhook's signing key.
func httpSMSToken(key []byte, aud string, at time.Time) string {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Audience: []string{aud}, ExpiresAt: jwt.NewNumericDate(at.Add(10 * time.Minute)),
		IssuedAt: jwt.NewNumericDate(at), Issuer: "api.httpsms.com",
		NotBefore: jwt.NewNumericDate(at.Add(-10 * time.Minute)), Subject: "user-1",
	}).SignedString(key)
	if err != nil {
		panic(err)
	}
	return tok
}

func httpSMSEvent(typ, id, content string, encrypted bool) string {
	return `{"specversion":"1.0","id":"` + id + `","source":"/v1/messages/receive","type":"` + typ + `",` +
		`"datacontenttype":"application/json","time":"2026-11-23T09:29:58Z","data":{"message_id":"0b7c4a3e-6f0a-4f5e-9c1d-2a3b4c5d6e7f",` +
		`"user_id":"user-1","owner":"+14155550111","encrypted":` + strconv.FormatBool(encrypted) + `,"contact":"+16505551212",` +
		`"timestamp":"2026-11-23T09:29:57Z","content":` + jsonString(content) + `,"sim":"SIM1","attachments":[]}}`
}

// httpSMSEncrypt is the app's Encrypter.encrypt: AES/CFB/NoPadding under
// SHA-256 of the key, a 16-byte IV first, base64.
func httpSMSEncrypt(key, text string) string {
	k := sha256.Sum256([]byte(key))
	block, _ := aes.NewCipher(k[:])
	iv := []byte("0123456789abcdef")
	out := make([]byte, len(text))
	//lint:ignore SA1019 the app's own mode
	cipher.NewCFBEncrypter(block, iv).XORKeyStream(out, []byte(text))
	return base64.StdEncoding.EncodeToString(append(iv, out...))
}

func TestHTTPSMS(t *testing.T) {
	withPass := device
	withPass.Passphrase = []byte("correct horse")
	text := "Your LinkedIn verification code is 482913."
	tests := []struct {
		name string
		dev  inbound.Device
		tok  string
		body string
		want error
		text string
	}{
		{"received", device, httpSMSToken(device.Secret, device.WebhookURL, now), httpSMSEvent("message.phone.received", "e1", text, false), nil, text},
		{"encrypted, with the passphrase", withPass, httpSMSToken(device.Secret, device.WebhookURL, now), httpSMSEvent("message.phone.received", "e2", httpSMSEncrypt("correct horse", text), true), nil, text},
		{"encrypted, no passphrase", device, httpSMSToken(device.Secret, device.WebhookURL, now), httpSMSEvent("message.phone.received", "e3", httpSMSEncrypt("correct horse", text), true), inbound.ErrMalformed, ""},
		{"heartbeat", device, httpSMSToken(device.Secret, device.WebhookURL, now), httpSMSEvent("phone.heartbeat.online", "h1", "", false), nil, ""},
		{"another webhook's audience", device, httpSMSToken(device.Secret, "https://evil.example/hook", now), httpSMSEvent("message.phone.received", "e4", text, false), inbound.ErrSignature, ""},
		{"forged key", device, httpSMSToken([]byte("guess"), device.WebhookURL, now), httpSMSEvent("message.phone.received", "e5", text, false), inbound.ErrSignature, ""},
		{"expired", device, httpSMSToken(device.Secret, device.WebhookURL, now.Add(-11*time.Minute)), httpSMSEvent("message.phone.received", "e6", text, false), inbound.ErrStale, ""},
		{"no token", device, "", httpSMSEvent("message.phone.received", "e7", text, false), inbound.ErrSignature, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := header("Content-Type", "application/json", "X-Event-Type", "message.phone.received")
			if tc.tok != "" {
				h.Set("Authorization", "Bearer "+tc.tok)
			}
			p, err := inbound.HTTPSMS{Device: tc.dev}.Parse(context.Background(), inbound.Request{Now: now, Body: []byte(tc.body), Header: h})
			wantErr(t, err, tc.want)
			if tc.want != nil {
				return
			}
			if tc.text == "" {
				if !p.Heartbeat || len(p.Messages) != 0 {
					t.Fatalf("parsed %+v, want a heartbeat", p)
				}
				return
			}
			if len(p.Messages) != 1 || p.Messages[0].Text != tc.text || !equal(p.Messages[0].Recipients, []string{"+14155550111"}) ||
				p.Messages[0].From != "+16505551212" {
				t.Fatalf("parsed %+v", p)
			}
		})
	}
}

// smsForwarderSign is the app's WebhookUtils: URL-encoded base64 of
// HmacSHA256(secret, timestamp + "\n" + secret).
func smsForwarderSign(secret string, ts int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10) + "\n" + secret))
	return url.QueryEscape(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}

func TestSMSForwarder(t *testing.T) {
	secret := string(device.Secret)
	ms := now.UnixMilli()
	text := "Your LinkedIn verification code is 482913."
	// Form mode: the app URL-encodes sign, then the form encodes it again.
	form := url.Values{"from": {"+16505551212"}, "content": {text}, "timestamp": {strconv.FormatInt(ms, 10)},
		"sign": {smsForwarderSign(secret, ms)}}.Encode()
	// JSON template mode: {"from":"[from]","content":"[org_content]","timestamp":"[timestamp]","sign":"[sign]"}.
	js := func(sign string, ts int64) string {
		return `{"from":"+16505551212","content":` + jsonString(text) + `,"timestamp":"` + strconv.FormatInt(ts, 10) + `","sign":"` + sign + `"}`
	}
	old := now.Add(-3 * time.Minute).UnixMilli()
	tests := []struct {
		name, ct, body string
		want           error
	}{
		{"form", "application/x-www-form-urlencoded", form, nil},
		{"json template", "application/json", js(smsForwarderSign(secret, ms), ms), nil},
		{"another secret", "application/json", js(smsForwarderSign("guess", ms), ms), inbound.ErrSignature},
		{"stale", "application/json", js(smsForwarderSign(secret, old), old), inbound.ErrStale},
		{"unsigned", "application/x-www-form-urlencoded", "from=x&content=1", inbound.ErrSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := inbound.SMSForwarder{Device: device}.Parse(context.Background(), inbound.Request{
				Now: now, Body: []byte(tc.body), Header: header("Content-Type", tc.ct)})
			wantErr(t, err, tc.want)
			if tc.want == nil && (len(p.Messages) != 1 || p.Messages[0].Text != text || p.Once == "" ||
				!equal(p.Messages[0].Recipients, []string{device.Phone})) {
				t.Fatalf("parsed %+v", p)
			}
		})
	}
	// The signature does not cover the body: the same sign over another
	// text verifies here, and Once (the same for both) is what stops it.
	a, _ := inbound.SMSForwarder{Device: device}.Parse(context.Background(), inbound.Request{Now: now, Body: []byte(js(smsForwarderSign(secret, ms), ms)), Header: header("Content-Type", "application/json")})
	b, _ := inbound.SMSForwarder{Device: device}.Parse(context.Background(), inbound.Request{Now: now, Body: []byte(strings.Replace(js(smsForwarderSign(secret, ms), ms), "482913", "000000", 1)), Header: header("Content-Type", "application/json")})
	if a.Once == "" || a.Once != b.Once {
		t.Fatalf("once keys %q %q, want one key per signature", a.Once, b.Once)
	}
}

func postmarkBody(id string) string {
	return `{"FromName":"LinkedIn","MessageStream":"inbound","From":"security-noreply@linkedin.com",` +
		`"FromFull":{"Email":"security-noreply@linkedin.com","Name":"LinkedIn","MailboxHash":""},` +
		`"To":"\"Inbound\" <451d9b70cf9364d23ff6f9d51d870251569e+alice@inbound.postmarkapp.com>",` +
		`"ToFull":[{"Email":"451d9b70cf9364d23ff6f9d51d870251569e+alice@inbound.postmarkapp.com","Name":"Inbound","MailboxHash":"alice"}],` +
		`"OriginalRecipient":"451d9b70cf9364d23ff6f9d51d870251569e+alice@inbound.postmarkapp.com",` +
		`"Subject":"Your LinkedIn verification code","MessageID":"` + id + `","ReplyTo":"","MailboxHash":"alice",` +
		`"Date":"Mon, 23 Nov 2026 09:29:50 +0000","TextBody":"Your LinkedIn verification code is 482913.","HtmlBody":"",` +
		`"StrippedTextReply":"","Tag":"","Headers":[` +
		`{"Name":"X-Spam-Status","Value":"No"},` +
		`{"Name":"Received-SPF","Value":"Pass (sender SPF authorized) identity=mailfrom; client-ip=108.174.3.1; helo=mail.linkedin.com; envelope-from=s-abc@bounce.linkedin.com; receiver=451d9b70cf9364d23ff6f9d51d870251569e+alice@inbound.postmarkapp.com"},` +
		`{"Name":"Authentication-Results","Value":"inbound.postmarkapp.com; dkim=pass header.d=linkedin.com; dmarc=pass header.from=linkedin.com"},` +
		`{"Name":"Authentication-Results","Value":"forged.example; dkim=pass header.d=evil.example"}],` +
		`"Attachments":[]}`
}

func TestPostmark(t *testing.T) {
	tests := []struct {
		name, user, pass string
		want             error
	}{
		{"basic auth", "postmark", string(device.Secret), nil},
		{"wrong password", "postmark", "guess", inbound.ErrSignature},
		{"none", "", "", inbound.ErrSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := header("Content-Type", "application/json")
			if tc.user != "" {
				h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(tc.user+":"+tc.pass)))
			}
			p, err := inbound.Postmark{Device: device}.Parse(context.Background(), inbound.Request{Now: now, Body: []byte(postmarkBody("22c74902-a0c1-4511-804f-341342852c90")), Header: h})
			wantErr(t, err, tc.want)
			if tc.want != nil {
				return
			}
			m := p.Messages[0]
			v := m.Verdicts
			if !equal(m.Recipients, []string{device.Email}) || m.TextBody == "" || v == nil || v.SPF != "pass" ||
				v.EnvelopeFrom != "s-abc@bounce.linkedin.com" || v.AuthServID != "inbound.postmarkapp.com" ||
				v.DKIMDomains["linkedin.com"] != "pass" || v.DKIMDomains["evil.example"] != "" || v.DMARC != "pass" {
				t.Fatalf("message %+v verdicts %+v", m, v)
			}
		})
	}
}

func forwardEmailBody(id string) string {
	raw := "From: LinkedIn <security-noreply@linkedin.com>\r\nTo: alice@example.com\r\nMessage-ID: <" + id + ">\r\n" +
		"Subject: Your LinkedIn verification code\r\n\r\nYour LinkedIn verification code is 482913.\r\n"
	return `{"attachments":[],"headers":"","headerLines":[],"html":false,"text":"Your LinkedIn verification code is 482913.\n",` +
		`"subject":"Your LinkedIn verification code","messageId":"<` + id + `>","raw":` + jsonString(raw) + `,` +
		`"recipients":["alice@example.com"],"session":{"recipient":"alice@example.com","remoteAddress":"108.174.3.1",` +
		`"envelope":{"mailFrom":{"address":"s-abc@bounce.linkedin.com"},"rcptTo":[{"address":"alice@example.com"}]}},` +
		`"dkim":{"headerFrom":["security-noreply@linkedin.com"],"results":[{"signingDomain":"linkedin.com","selector":"d2048","status":{"result":"pass"}}]},` +
		`"spf":{"domain":"bounce.linkedin.com","status":{"result":"pass"}},"arc":{"status":{"result":"none"}},` +
		`"dmarc":{"domain":"linkedin.com","policy":"reject","status":{"result":"pass"}}}`
}

func TestForwardEmail(t *testing.T) {
	body := forwardEmailBody("abc.123@linkedin.com")
	sign := func(key []byte, b string) string {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(b))
		return hex.EncodeToString(mac.Sum(nil))
	}
	tests := []struct {
		name, sig, body string
		want            error
	}{
		{"signed", sign(device.Secret, body), body, nil},
		{"another key", sign([]byte("guess"), body), body, inbound.ErrSignature},
		{"altered body", sign(device.Secret, body), strings.Replace(body, "482913", "000000", 1), inbound.ErrSignature},
		{"unsigned", "", body, inbound.ErrSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := inbound.ForwardEmail{Device: device}.Parse(context.Background(), inbound.Request{Now: now, Body: []byte(tc.body),
				Header: header("Content-Type", "application/json", "X-Webhook-Signature", tc.sig)})
			wantErr(t, err, tc.want)
			if tc.want != nil {
				return
			}
			m := p.Messages[0]
			if m.MessageID != device.ID+"/abc.123@linkedin.com" || len(m.RawMIME) == 0 || m.Verdicts == nil ||
				m.Verdicts.DMARC != "pass" || m.Verdicts.DKIMDomains["linkedin.com"] != "pass" || m.Verdicts.EnvelopeFrom == "" {
				t.Fatalf("message %+v", m)
			}
		})
	}
}

// cloudflareSign is the worker's signature (integrations/cloudflare-email-worker):
// hex HMAC-SHA256(secret, timestamp "." body).
func cloudflareSign(secret []byte, ts time.Time, body string) (string, string) {
	t := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(t + "." + body))
	return t, "v1=" + hex.EncodeToString(mac.Sum(nil))
}

func TestCloudflare(t *testing.T) {
	raw := "From: LinkedIn <security-noreply@linkedin.com>\r\nTo: alice@example.com\r\nMessage-ID: <cf-1@linkedin.com>\r\nSubject: code\r\n\r\nYour LinkedIn verification code is 482913.\r\n"
	body := `{"envelope_from":"s-abc@bounce.linkedin.com","envelope_to":"alice@example.com","raw":"` + base64.StdEncoding.EncodeToString([]byte(raw)) + `"}`
	tests := []struct {
		name   string
		secret []byte
		at     time.Time
		body   string
		want   error
	}{
		{"signed", device.Secret, now, body, nil},
		{"forged", []byte("guess"), now, body, inbound.ErrSignature},
		{"stale", device.Secret, now.Add(-6 * time.Minute), body, inbound.ErrStale},
		{"not base64", device.Secret, now, `{"raw":"%%%"}`, inbound.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, sig := cloudflareSign(tc.secret, tc.at, tc.body)
			p, err := inbound.Cloudflare{Device: device}.Parse(context.Background(), inbound.Request{Now: now, Body: []byte(tc.body),
				Header: header("X-Relay-Timestamp", ts, "X-Relay-Signature", sig)})
			wantErr(t, err, tc.want)
			if tc.want == nil && (p.Messages[0].MessageID != device.ID+"/cf-1@linkedin.com" || string(p.Messages[0].RawMIME) != raw ||
				!equal(p.Messages[0].Recipients, []string{device.Email})) {
				t.Fatalf("parsed %+v", p)
			}
		})
	}
}

// The Cloudflare Worker's test vector (integrations/cloudflare-email-worker,
// whose signing Node's test runner checks) verifies here too.
func TestCloudflareWorkerVector(t *testing.T) {
	raw, err := os.ReadFile("../../integrations/cloudflare-email-worker/test/vector.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Secret, Body, Signature, Raw string
		Timestamp                    int64
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	d := device
	d.Secret = []byte(v.Secret)
	p, err := inbound.Cloudflare{Device: d}.Parse(context.Background(), inbound.Request{Now: time.Unix(v.Timestamp, 0), Body: []byte(v.Body),
		Header: header("X-Relay-Timestamp", strconv.FormatInt(v.Timestamp, 10), "X-Relay-Signature", v.Signature)})
	if err != nil || len(p.Messages) != 1 || string(p.Messages[0].RawMIME) != v.Raw {
		t.Fatalf("vector: %+v %v", p, err)
	}
}
