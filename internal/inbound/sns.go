package inbound

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// SNS message types.
const (
	SNSNotification             = "Notification"
	SNSSubscriptionConfirmation = "SubscriptionConfirmation"
	SNSUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// SNSMaxAge bounds how old a signed SNS message may be. SNS retries a
// failed HTTPS delivery for a while with the same signed message, so the
// window is wider than ReplayWindow; a replay within it is caught by the
// message-id de-duplication.
const SNSMaxAge = time.Hour

// snsHost is where SNS signing certificates and subscription URLs live.
var snsHost = regexp.MustCompile(`^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)

// DefaultSNSHost reports whether host is an SNS regional endpoint.
func DefaultSNSHost(host string) bool { return snsHost.MatchString(host) }

// SNSMessage is an SNS HTTP(S) delivery.
type SNSMessage struct {
	Type             string
	MessageId        string
	Token            string
	TopicArn         string
	Subject          string
	Message          string
	Timestamp        string
	SignatureVersion string
	Signature        string
	SigningCertURL   string
	SubscribeURL     string
	UnsubscribeURL   string
}

// SNSConfig configures an SNS verifier.
type SNSConfig struct {
	// TopicARN is the only topic accepted (SES_TOPIC_ARN).
	TopicARN string
	// HTTPClient fetches signing certificates and confirms subscriptions;
	// nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// HostAllowed decides which hosts certificates and subscription URLs
	// may come from; nil means DefaultSNSHost. Tests widen it.
	HostAllowed func(host string) bool
}

// SNS verifies SNS messages, caching signing certificates by URL (SNS
// rotates them rarely, and a warm Lambda then verifies without a fetch). A
// certificate is kept only once a message signed with it has verified: the
// URL comes from the unverified message, so anyone can make the verifier
// fetch one, but not make it remember it.
type SNS struct {
	cfg   SNSConfig
	mu    sync.Mutex
	certs map[string]*rsa.PublicKey
}

// NewSNS returns a verifier for cfg.
func NewSNS(cfg SNSConfig) *SNS {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.HostAllowed == nil {
		cfg.HostAllowed = DefaultSNSHost
	}
	return &SNS{cfg: cfg, certs: map[string]*rsa.PublicKey{}}
}

// Verify parses body as an SNS message and checks its signature, age and
// topic. The topic is checked last so that only a genuine SNS message for
// another topic is reported as ErrTopic.
func (s *SNS) Verify(ctx context.Context, body []byte, now time.Time) (SNSMessage, error) {
	var m SNSMessage
	if err := strictjson.Unmarshal(body, &m); err != nil {
		return SNSMessage{}, malformed("sns json: %v", err)
	}
	if m.Type == "" || m.Signature == "" || m.SigningCertURL == "" {
		return SNSMessage{}, badSignature("not a signed SNS message")
	}
	var h crypto.Hash
	switch m.SignatureVersion {
	case "1":
		h = crypto.SHA1
	case "2":
		h = crypto.SHA256
	default:
		return SNSMessage{}, badSignature("unknown SignatureVersion " + m.SignatureVersion)
	}
	canonical, err := snsCanonical(m)
	if err != nil {
		return SNSMessage{}, err
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return SNSMessage{}, badSignature("signature is not base64")
	}
	key, cached, err := s.cert(ctx, m.SigningCertURL)
	if err != nil {
		return SNSMessage{}, err
	}
	var digest []byte
	if h == crypto.SHA1 {
		d := sha1.Sum(canonical)
		digest = d[:]
	} else {
		d := sha256.Sum256(canonical)
		digest = d[:]
	}
	if err := rsa.VerifyPKCS1v15(key, h, digest, sig); err != nil {
		return SNSMessage{}, badSignature("SNS signature does not verify")
	}
	if !cached {
		s.mu.Lock()
		s.certs[m.SigningCertURL] = key
		s.mu.Unlock()
	}
	ts, err := time.Parse(time.RFC3339, m.Timestamp)
	if err != nil {
		return SNSMessage{}, malformed("sns timestamp: %v", err)
	}
	if now.Sub(ts) > SNSMaxAge || ts.Sub(now) > ReplayWindow {
		return SNSMessage{}, stale("SNS message outside its window")
	}
	if s.cfg.TopicARN == "" {
		return SNSMessage{}, fmt.Errorf("%w: SES_TOPIC_ARN", ErrNotConfigured)
	}
	if m.TopicArn != s.cfg.TopicARN {
		return SNSMessage{}, fmt.Errorf("%w: %s", ErrTopic, m.TopicArn)
	}
	return m, nil
}

// snsCanonical builds the string SNS signs: "Name\nValue\n" for a fixed,
// per-type list of fields in byte order; Subject only when present.
func snsCanonical(m SNSMessage) ([]byte, error) {
	type kv struct{ k, v string }
	var fields []kv
	switch m.Type {
	case SNSNotification:
		fields = []kv{{"Message", m.Message}, {"MessageId", m.MessageId}}
		if m.Subject != "" {
			fields = append(fields, kv{"Subject", m.Subject})
		}
		fields = append(fields, kv{"Timestamp", m.Timestamp}, kv{"TopicArn", m.TopicArn}, kv{"Type", m.Type})
	case SNSSubscriptionConfirmation, SNSUnsubscribeConfirmation:
		fields = []kv{{"Message", m.Message}, {"MessageId", m.MessageId}, {"SubscribeURL", m.SubscribeURL},
			{"Timestamp", m.Timestamp}, {"Token", m.Token}, {"TopicArn", m.TopicArn}, {"Type", m.Type}}
	default:
		return nil, malformed("unknown SNS message type %q", m.Type)
	}
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(f.k)
		b.WriteByte('\n')
		b.WriteString(f.v)
		b.WriteByte('\n')
	}
	return []byte(b.String()), nil
}

// checkSNSURL refuses any URL that is not https on an allowed SNS host.
func (s *SNS) checkSNSURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || !s.cfg.HostAllowed(u.Hostname()) {
		return nil, badSignature("URL is not an https SNS endpoint")
	}
	return u, nil
}

// maxCertBytes bounds a fetched signing certificate.
const maxCertBytes = 64 << 10

// cert returns the public key of the certificate at certURL, and whether
// it came from the cache. Verify caches it once a signature verified.
func (s *SNS) cert(ctx context.Context, certURL string) (*rsa.PublicKey, bool, error) {
	u, err := s.checkSNSURL(certURL)
	if err != nil {
		return nil, false, err
	}
	if !strings.HasSuffix(u.Path, ".pem") {
		return nil, false, badSignature("SigningCertURL is not a .pem")
	}
	s.mu.Lock()
	key, ok := s.certs[certURL]
	s.mu.Unlock()
	if ok {
		return key, true, nil
	}
	b, err := s.get(ctx, u.String(), maxCertBytes)
	if err != nil {
		return nil, false, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, false, fmt.Errorf("%w: signing certificate is not PEM", ErrUpstream)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, false, fmt.Errorf("%w: signing certificate: %v", ErrUpstream, err)
	}
	key, ok = cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, false, fmt.Errorf("%w: signing certificate key is not RSA", ErrUpstream)
	}
	return key, false, nil
}

func (s *SNS) get(ctx context.Context, rawURL string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUpstream, err)
	}
	// Never follow a redirect off the allowed hosts.
	c := *s.cfg.HTTPClient
	c.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if _, err := s.checkSNSURL(r.URL.String()); err != nil {
			return err
		}
		return nil
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: GET %s: %v", ErrUpstream, req.URL.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: GET %s: status %d", ErrUpstream, req.URL.Host, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %v", ErrUpstream, req.URL.Host, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: response from %s too large", ErrUpstream, req.URL.Host)
	}
	return b, nil
}

// Confirm confirms a subscription by visiting its SubscribeURL, which must
// be an https URL on an SNS host: the URL came in the (verified) message,
// but the check keeps the function from ever being made to call elsewhere.
func (s *SNS) Confirm(ctx context.Context, sub SNSSubscription) error {
	if sub.TopicARN != s.cfg.TopicARN {
		return fmt.Errorf("%w: %s", ErrTopic, sub.TopicARN)
	}
	if _, err := s.checkSNSURL(sub.SubscribeURL); err != nil {
		return err
	}
	_, err := s.get(ctx, sub.SubscribeURL, maxCertBytes)
	return err
}
