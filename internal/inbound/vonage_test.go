package inbound_test

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
)

// Vonage's own client libraries pin this vector: md5hash of a=1, b=2,
// timestamp=1461605396 with the secret "secret".
func TestVonageSignatureKnownVector(t *testing.T) {
	got, err := inbound.VonageSignature("secret", "md5hash",
		map[string]string{"a": "1", "b": "2", "timestamp": "1461605396", "sig": "ignored"})
	if err != nil || got != "6af838ef94998832dbfc29020b564830" {
		t.Fatalf("VonageSignature = %q, %v", got, err)
	}
}

// vonageSignIndependently follows Vonage's "manually generate a signature"
// steps for the HMAC methods, without the package's code.
func vonageSignHMAC(secret string, p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for _, k := range keys {
		v := strings.NewReplacer("&", "_", "=", "_").Replace(p[k])
		s += "&" + k + "=" + v
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(s))
	return strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
}

func vonageSignMD5Hash(secret string, p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for _, k := range keys {
		s += "&" + k + "=" + strings.NewReplacer("&", "_", "=", "_").Replace(p[k])
	}
	sum := md5.Sum([]byte(s + secret))
	return hex.EncodeToString(sum[:])
}

// vonageInbound is an SMS API inbound message as Vonage documents it.
func vonageInbound(ts time.Time) map[string]string {
	return map[string]string{
		"msisdn": "447700900001", "to": "447700900000", "messageId": "0A0000000123ABCD1",
		"text": "123456 is your LinkedIn code. Don't share it & stay safe=yes", "type": "text",
		"keyword": "123456", "api-key": "abcd1234",
		"message-timestamp": ts.UTC().Format("2006-01-02 15:04:05"),
		"timestamp":         strconv.FormatInt(ts.Unix(), 10),
		"nonce":             "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
	}
}

func TestVonageSMSAPI(t *testing.T) {
	const secret = "signature-secret-0123456789"
	signed := func(method string, mutate func(map[string]string)) map[string]string {
		p := vonageInbound(now.Add(-10 * time.Second))
		if mutate != nil {
			mutate(p)
		}
		if method == "sha256" {
			p["sig"] = vonageSignHMAC(secret, p)
		} else {
			p["sig"] = vonageSignMD5Hash(secret, p)
		}
		return p
	}
	tests := []struct {
		name     string
		method   string // configured signature method
		params   map[string]string
		encoding string // json, form, get
		want     error
		skipped  bool
	}{
		{"json md5hash", "md5hash", signed("md5hash", nil), "json", nil, false},
		{"form sha256 HMAC", "sha256", signed("sha256", nil), "form", nil, false},
		{"GET query md5hash", "", signed("md5hash", nil), "get", nil, false},
		{"method mismatch", "sha256", signed("md5hash", nil), "json", inbound.ErrSignature, false},
		{"forged text", "md5hash", func() map[string]string {
			p := signed("md5hash", nil)
			p["text"] = "999999 is your LinkedIn code"
			return p
		}(), "json", inbound.ErrSignature, false},
		{"unsigned", "md5hash", func() map[string]string {
			p := vonageInbound(now)
			return p
		}(), "json", inbound.ErrSignature, false},
		{"stale timestamp", "md5hash", signed("md5hash", func(p map[string]string) {
			p["timestamp"] = strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)
		}), "json", inbound.ErrStale, false},
		{"concatenated part", "md5hash", signed("md5hash", func(p map[string]string) {
			p["concat"], p["concat-ref"], p["concat-total"], p["concat-part"] = "true", "1", "2", "1"
		}), "json", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := inbound.Request{Method: "POST", URL: "https://relay.example.com/v1/webhooks/sms/vonage", Now: now, Header: header()}
			switch tc.encoding {
			case "json":
				r.Body, _ = json.Marshal(tc.params)
				r.Header.Set("Content-Type", "application/json")
			case "form", "get":
				v := url.Values{}
				for k, x := range tc.params {
					v.Set(k, x)
				}
				if tc.encoding == "get" {
					r.Method, r.URL = "GET", r.URL+"?"+v.Encode()
				} else {
					r.Body = []byte(v.Encode())
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
			}
			p, err := inbound.Vonage{SignatureSecret: secret, SignatureMethod: tc.method}.Parse(context.Background(), r)
			wantErr(t, err, tc.want)
			if err != nil {
				return
			}
			if tc.skipped {
				if len(p.Messages) != 0 || !strings.HasPrefix(p.Skipped, "partial") {
					t.Fatalf("parsed = %+v, want a skipped partial", p)
				}
				return
			}
			if len(p.Messages) != 1 {
				t.Fatalf("messages = %d", len(p.Messages))
			}
			m := p.Messages[0]
			if m.MessageID != "0A0000000123ABCD1" || !equal(m.Recipients, []string{"+447700900000"}) ||
				m.From != "+447700900001" || !strings.HasPrefix(m.Text, "123456 is your") ||
				!m.SentAt.Equal(now.Add(-10*time.Second).Truncate(time.Second)) {
				t.Errorf("message = %+v", m)
			}
		})
	}
}

func vonageJWT(t *testing.T, secret string, body []byte, iat time.Time) string {
	t.Helper()
	sum := sha256.Sum256(body)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iat": iat.Unix(), "jti": "c4b0c3c0-1111-2222-3333-444455556666", "iss": "Vonage",
		"payload_hash": hex.EncodeToString(sum[:]), "api_key": "abcd1234",
		"application_id": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
	})
	s, err := tok.SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVonageMessagesAPI(t *testing.T) {
	const secret = "signature-secret-0123456789"
	body := []byte(`{"channel":"sms","message_uuid":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab","to":"447700900000",` +
		`"from":"447700900001","timestamp":"2026-11-23T09:29:50Z","text":"Your code is 552211","sms":{"num_messages":"1"},"message_type":"text"}`)
	tests := []struct {
		name string
		auth string
		body []byte
		want error
	}{
		{"signed", "Bearer " + vonageJWT(t, secret, body, now.Add(-5*time.Second)), body, nil},
		{"wrong secret", "Bearer " + vonageJWT(t, "other", body, now), body, inbound.ErrSignature},
		{"body changed", "Bearer " + vonageJWT(t, secret, body, now), []byte(strings.Replace(string(body), "552211", "000000", 1)), inbound.ErrSignature},
		{"old token", "Bearer " + vonageJWT(t, secret, body, now.Add(-time.Hour)), body, inbound.ErrStale},
		{"not bearer", "Basic Zm9vOmJhcg==", body, inbound.ErrSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := inbound.Request{Method: "POST", Now: now, Body: tc.body,
				Header: header("Content-Type", "application/json", "Authorization", tc.auth)}
			p, err := inbound.Vonage{SignatureSecret: secret}.Parse(context.Background(), r)
			wantErr(t, err, tc.want)
			if err != nil {
				return
			}
			m := p.Messages[0]
			if !m.SentAt.Equal(time.Date(2026, 11, 23, 9, 29, 50, 0, time.UTC)) {
				t.Errorf("sent at %v, want the message's timestamp", m.SentAt)
			}
			if m.MessageID != "aaaaaaaa-bbbb-cccc-dddd-0123456789ab" || !equal(m.Recipients, []string{"+447700900000"}) || m.Text != "Your code is 552211" {
				t.Errorf("message = %+v", m)
			}
		})
	}
}
