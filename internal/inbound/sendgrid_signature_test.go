package inbound_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"strconv"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
)

// sendgridSign signs as a Parse security policy does (SendGrid's docs and
// its libraries' verifySignature): ECDSA P-256 over SHA-256 of the
// timestamp followed by the raw body, base64 of the ASN.1 signature.
func sendgridSign(t *testing.T, key *ecdsa.PrivateKey, ts time.Time, body []byte) (string, string) {
	t.Helper()
	stamp := strconv.FormatInt(ts.Unix(), 10)
	digest := sha256.Sum256(append([]byte(stamp), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return stamp, base64.StdEncoding.EncodeToString(sig)
}

func TestSendGridSignature(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pub := base64.StdEncoding.EncodeToString(der) // the policy's "public_key"
	body, ct := sendgridParsed(t)
	tests := []struct {
		name string
		key  *ecdsa.PrivateKey
		at   time.Time
		body []byte
		want error
	}{
		{"signed", key, now, body, nil},
		{"another key", other, now, body, inbound.ErrSignature},
		{"stale", key, now.Add(-6 * time.Minute), body, inbound.ErrStale},
		{"altered body", key, now, append(append([]byte{}, body...), ' '), inbound.ErrSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, sig := sendgridSign(t, tc.key, tc.at, body)
			_, err := inbound.SendGrid{PublicKey: pub}.Parse(context.Background(), inbound.Request{Now: now, URL: "https://r/sendgrid", Body: tc.body,
				Header: header("Content-Type", ct, inbound.HeaderSendGridTimestamp, ts, inbound.HeaderSendGridSignature, sig)})
			wantErr(t, err, tc.want)
		})
	}
	// Only a key configured: an unsigned post is refused.
	_, err := inbound.SendGrid{PublicKey: pub}.Parse(context.Background(), inbound.Request{Now: now, URL: "https://r/sendgrid", Body: body,
		Header: header("Content-Type", ct)})
	wantErr(t, err, inbound.ErrSignature)
	// A signature that does not verify is refused even when the token would pass.
	ts, sig := sendgridSign(t, other, now, body)
	_, err = inbound.SendGrid{PublicKey: pub, Token: "tok"}.Parse(context.Background(), inbound.Request{Now: now, URL: "https://r/sendgrid?token=tok", Body: body,
		Header: header("Content-Type", ct, inbound.HeaderSendGridTimestamp, ts, inbound.HeaderSendGridSignature, sig)})
	wantErr(t, err, inbound.ErrSignature)
}
