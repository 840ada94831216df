package inbound

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// An unsigned request can name any certificate URL on an SNS host (a path
// SNS serves its certificate at under any spelling, say): what it makes
// the verifier fetch must not stay in memory, or a warm function's cache
// grows with every forged request.
func TestSNSKeepsNoCertificateOfAMessageThatDoesNotVerify(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sns"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".pem") {
			_, _ = w.Write(certPEM)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	s := NewSNS(SNSConfig{TopicARN: "arn:aws:sns:eu-west-1:123456789012:t", HTTPClient: srv.Client(),
		HostAllowed: func(h string) bool { return h == "127.0.0.1" }})

	for i := range 50 {
		body, _ := json.Marshal(map[string]string{
			"Type": SNSNotification, "MessageId": fmt.Sprint(i), "TopicArn": "arn:aws:sns:eu-west-1:123456789012:t",
			"Message": "{}", "Timestamp": now.UTC().Format(time.RFC3339), "SignatureVersion": "2",
			"Signature":      base64.StdEncoding.EncodeToString(make([]byte, 256)),
			"SigningCertURL": fmt.Sprintf("%s/forged-%d/SimpleNotificationService-x.pem", srv.URL, i),
		})
		if _, err := s.Verify(context.Background(), body, now); !errors.Is(err, ErrSignature) {
			t.Fatalf("forged message %d: err = %v, want ErrSignature", i, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.certs); n != 0 {
		t.Errorf("%d certificates cached from messages that did not verify", n)
	}
}
