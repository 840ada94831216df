package mailauth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// testDNS is the resolver tests use: the keys they generate, nothing else.
type testDNS map[string]string

func (d testDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := d[name]; ok {
		return []string{v}, nil
	}
	return nil, errors.New("no such host")
}

// keyring holds one generated RSA key per signing domain.
type keyring struct {
	t    *testing.T
	dns  testDNS
	keys map[string]*rsa.PrivateKey
}

func newKeyring(t *testing.T) *keyring {
	return &keyring{t: t, dns: testDNS{}, keys: map[string]*rsa.PrivateKey{}}
}

// key returns the domain's key, publishing it as sel._domainkey.domain.
func (k *keyring) key(domain string) *rsa.PrivateKey {
	if key, ok := k.keys[domain]; ok {
		return key
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		k.t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		k.t.Fatal(err)
	}
	k.dns["sel._domainkey."+domain] = "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	k.keys[domain] = key
	return key
}

// sign DKIM-signs raw for domain with go-msgauth's signer (the verifier
// under test is go-msgauth's verifier plus the alignment around it).
func (k *keyring) sign(raw, domain string) string {
	var out bytes.Buffer
	err := dkim.Sign(&out, strings.NewReader(raw), &dkim.SignOptions{
		Domain: domain, Selector: "sel", Signer: k.key(domain),
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID"},
	})
	if err != nil {
		k.t.Fatal(err)
	}
	return out.String()
}

func linkedInMail(from string) string {
	return "From: LinkedIn <" + from + ">\r\n" +
		"To: Ada Example <ada@example.org>\r\n" +
		"Subject: Ada, here's your PIN 613309\r\n" +
		"Date: Tue, 08 Dec 2026 02:00:00 +0000\r\n" +
		"Message-ID: <1234.abcd@linkedin.com>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"\r\n" +
		"Hi Ada,\r\n\r\nPlease use this verification code to complete your sign in: 613309\r\n\r\n" +
		"If you didn't try to sign in, change your password.\r\n\r\nThanks,\r\nThe LinkedIn Team\r\n"
}

func TestDKIM(t *testing.T) {
	k := newKeyring(t)
	plain := linkedInMail("security-noreply@linkedin.com")
	signed := k.sign(plain, "linkedin.com")
	for _, tc := range []struct {
		name     string
		raw      string
		provider checkpoint.Provider
		detail   string
	}{
		{"without a signature", plain, "", "dkim=none"},
		{"with a valid signature", signed, checkpoint.ProviderLinkedIn, "dkim=pass d=linkedin.com"},
		{"with a broken signature (body changed after signing)",
			strings.Replace(signed, "613309", "613310", 2), "", "dkim=fail d=linkedin.com"},
		{"with a broken signature (From changed after signing)",
			strings.Replace(signed, "security-noreply@linkedin.com", "security@linkedin.com", 1), "", "dkim=fail"},
		{"signed by a subdomain of the From domain",
			k.sign(plain, "e.linkedin.com"), checkpoint.ProviderLinkedIn, "dkim=pass d=e.linkedin.com"},
		{"signed validly by another domain", k.sign(plain, "attacker.example"), "", "not aligned"},
		{"a lookalike From domain signed by itself",
			k.sign(linkedInMail("security-noreply@linkedin.com.attacker.example"), "attacker.example"), "", "no provider"},
		{"signed by Instagram", k.sign(linkedInMail("security@mail.instagram.com"), "mail.instagram.com"), checkpoint.ProviderInstagram, "dkim=pass"},
		{"two From headers", "From: x@attacker.example\r\n" + signed, "", "2 From headers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Config{Resolver: k.dns}).Verify(context.Background(), []byte(tc.raw), "", nil)
			if r.Provider != tc.provider || !strings.Contains(r.Detail, tc.detail) {
				t.Fatalf("result %+v, want provider %q and detail with %q", r, tc.provider, tc.detail)
			}
			if r.Authenticated() != (tc.provider != "") && tc.detail != "no provider" {
				t.Fatalf("authenticated = %v", r.Authenticated())
			}
		})
	}
}

func TestNoDNSAnswerFailsClosed(t *testing.T) {
	k := newKeyring(t)
	signed := k.sign(linkedInMail("security-noreply@linkedin.com"), "linkedin.com")
	r := New(Config{Resolver: testDNS{}}).Verify(context.Background(), []byte(signed), "", nil)
	if r.Authenticated() || r.Provider != "" {
		t.Fatalf("verified without its key: %+v", r)
	}
}

func TestReceiverVerdicts(t *testing.T) {
	plain := []byte(linkedInMail("security-noreply@linkedin.com"))
	for _, tc := range []struct {
		name string
		raw  []byte
		from string
		vd   Verdicts
		want checkpoint.Provider
	}{
		{"SES dmarcVerdict PASS", plain, "", Verdicts{DMARC: "PASS", DKIM: "PASS", SPF: "PASS"}, checkpoint.ProviderLinkedIn},
		{"SES dmarcVerdict FAIL", plain, "", Verdicts{DMARC: "FAIL", DKIM: "FAIL", SPF: "FAIL"}, ""},
		{"SES dkimVerdict PASS alone names no domain", plain, "", Verdicts{DKIM: "PASS", DMARC: "GRAY"}, ""},
		{"SES spfVerdict PASS for an aligned envelope sender", plain, "",
			Verdicts{SPF: "PASS", EnvelopeFrom: "s-abc@bounce.linkedin.com"}, checkpoint.ProviderLinkedIn},
		{"SES spfVerdict PASS for another envelope sender", plain, "",
			Verdicts{SPF: "PASS", EnvelopeFrom: "bounce@attacker.example"}, ""},
		{"SendGrid dkim field, parsed parts only", nil, "LinkedIn <security-noreply@linkedin.com>",
			Verdicts{DKIMDomains: map[string]string{"@linkedin.com": "pass"}}, checkpoint.ProviderLinkedIn},
		{"SendGrid dkim field passing for another domain", nil, "LinkedIn <security-noreply@linkedin.com>",
			Verdicts{DKIMDomains: map[string]string{"@sendgrid.net": "pass", "@linkedin.com": "fail"}}, ""},
		{"parsed parts and no verdict", nil, "security-noreply@linkedin.com", Verdicts{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Config{Resolver: testDNS{}}).Verify(context.Background(), tc.raw, tc.from, &tc.vd)
			if r.Provider != tc.want {
				t.Fatalf("%+v, want %q", r, tc.want)
			}
		})
	}
}

func TestAuthenticationResultsOnlyTheReceiversTopmost(t *testing.T) {
	plain := linkedInMail("security-noreply@linkedin.com")
	pass := "Authentication-Results: amazonses.com;\r\n spf=pass smtp.mailfrom=bounce.linkedin.com;\r\n dkim=pass header.i=@linkedin.com;\r\n dmarc=pass header.from=linkedin.com\r\n"
	fail := "Authentication-Results: amazonses.com; spf=fail smtp.mailfrom=attacker.example; dkim=none; dmarc=fail header.from=linkedin.com\r\n"
	forgedOther := "Authentication-Results: mx.attacker.example; dkim=pass header.d=linkedin.com; dmarc=pass header.from=linkedin.com\r\n"
	for _, tc := range []struct {
		name string
		raw  string
		want checkpoint.Provider
	}{
		{"the receiver's header says pass", pass + plain, checkpoint.ProviderLinkedIn},
		{"the receiver's says fail above a forged pass with its id", fail + pass + plain, ""},
		{"only another server's header says pass", forgedOther + plain, ""},
		{"the receiver's pass above another's", pass + forgedOther + plain, checkpoint.ProviderLinkedIn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Config{Resolver: testDNS{}}).Verify(context.Background(), []byte(tc.raw), "", &Verdicts{AuthServID: "amazonses.com"})
			if r.Provider != tc.want {
				t.Fatalf("%+v, want %q", r, tc.want)
			}
		})
	}
	// Without a configured authserv-id no header counts.
	r := New(Config{Resolver: testDNS{}}).Verify(context.Background(), []byte(pass+plain), "", nil)
	if r.Authenticated() {
		t.Fatalf("a header counted with no receiving service configured: %+v", r)
	}
}

// gmailForward is what Gmail's automatic forwarding delivers: the
// original mail with Gmail's ARC set (i=1) and trace fields on top.
// breakBody changes the body after Gmail sealed nothing yet (as a
// forwarding hop that rewrites the mail would), so the original DKIM
// signature no longer verifies; Gmail seals what it forwards.
func gmailForward(t *testing.T, k *keyring, original string, breakBody bool, aarResults string) string {
	t.Helper()
	msg := original
	if breakBody {
		msg = strings.Replace(msg, "Thanks,", "Thanks,\r\n-- \r\nSent through a forwarding rule", 1)
	}
	msg = "Received: by mail-sor-f41.google.com with SMTPS id x1sor; Tue, 08 Dec 2026 02:00:02 +0000\r\n" + msg
	return arcSeal(t, k, msg, 1, "google.com", "mx.google.com; "+aarResults)
}

// arcSeal adds one ARC set to raw, written from RFC 8617 §4 and RFC 6376
// §3.4 (relaxed canonicalization) independently of the verifier.
func arcSeal(t *testing.T, k *keyring, raw string, i int, domain, results string) string {
	t.Helper()
	key := k.key(domain)
	hdr, body, _ := strings.Cut(raw, "\r\n\r\n")
	canonBodyRelaxed := func(b string) string {
		ls := strings.Split(strings.TrimSuffix(b, "\r\n"), "\r\n")
		for j, l := range ls {
			l = strings.Join(strings.Fields(l), " ")
			if strings.HasPrefix(ls[j], " ") || strings.HasPrefix(ls[j], "\t") {
				l = " " + l
			}
			ls[j] = l
		}
		for len(ls) > 0 && ls[len(ls)-1] == "" {
			ls = ls[:len(ls)-1]
		}
		if len(ls) == 0 {
			return ""
		}
		return strings.Join(ls, "\r\n") + "\r\n"
	}
	relaxed := func(f string) string {
		name, v, _ := strings.Cut(f, ":")
		v = strings.ReplaceAll(v, "\r\n", "")
		return strings.ToLower(strings.TrimSpace(name)) + ":" + strings.Join(strings.Fields(v), " ")
	}
	// Header fields in order (unfolded continuation lines kept raw).
	var fields []string
	for _, l := range strings.Split(hdr, "\r\n") {
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(fields) > 0 {
			fields[len(fields)-1] += "\r\n" + l
			continue
		}
		fields = append(fields, l)
	}
	pick := func(name string) string {
		for j := len(fields) - 1; j >= 0; j-- {
			if strings.EqualFold(strings.SplitN(fields[j], ":", 2)[0], name) {
				return fields[j]
			}
		}
		return ""
	}
	signB64 := func(data string) string {
		sum := sha256.Sum256([]byte(data))
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(sig)
	}
	bh := sha256.Sum256([]byte(canonBodyRelaxed(body)))
	signed := []string{"from", "to", "subject", "date", "message-id"}
	amsNoB := "ARC-Message-Signature: i=" + itoa(i) + "; a=rsa-sha256; c=relaxed/relaxed; d=" + domain +
		"; s=sel; h=" + strings.Join(signed, ":") + "; bh=" + base64.StdEncoding.EncodeToString(bh[:]) + "; b="
	var data strings.Builder
	for _, h := range signed {
		if f := pick(h); f != "" {
			data.WriteString(relaxed(f) + "\r\n")
		}
	}
	data.WriteString(relaxed(amsNoB))
	ams := amsNoB + signB64(data.String())
	aar := "ARC-Authentication-Results: i=" + itoa(i) + "; " + results
	// The seal covers every earlier set (already in fields) and this one.
	var prior []string
	for j := 1; j < i; j++ {
		for _, name := range []string{"ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal"} {
			for _, f := range fields {
				if strings.EqualFold(strings.SplitN(f, ":", 2)[0], name) && strings.Contains(f, "i="+itoa(j)+";") {
					prior = append(prior, relaxed(f)+"\r\n")
				}
			}
		}
	}
	cv := "none"
	if i > 1 {
		cv = "pass"
	}
	sealNoB := "ARC-Seal: i=" + itoa(i) + "; a=rsa-sha256; cv=" + cv + "; d=" + domain + "; s=sel; b="
	sealData := strings.Join(prior, "") + relaxed(aar) + "\r\n" + relaxed(ams) + "\r\n" + relaxed(sealNoB)
	seal := sealNoB + signB64(sealData)
	return seal + "\r\n" + ams + "\r\n" + aar + "\r\n" + raw
}

func itoa(i int) string { return string(rune('0' + i)) }

func TestGmailForwardedCopy(t *testing.T) {
	k := newKeyring(t)
	original := k.sign(linkedInMail("security-noreply@linkedin.com"), "linkedin.com")
	gmailPass := "dkim=pass header.i=@linkedin.com header.s=sel; spf=pass smtp.mailfrom=bounce.linkedin.com; dmarc=pass (p=REJECT) header.from=linkedin.com"
	trusted := Config{Resolver: k.dns, TrustedForwarders: []string{"google.com"}}
	for _, tc := range []struct {
		name   string
		raw    string
		cfg    Config
		want   checkpoint.Provider
		detail string
	}{
		{"forwarded intact: the original signature still verifies",
			gmailForward(t, k, original, false, gmailPass), Config{Resolver: k.dns}, checkpoint.ProviderLinkedIn, "dkim=pass d=linkedin.com"},
		{"signature broken, Gmail trusted: its ARC chain vouches",
			gmailForward(t, k, original, true, gmailPass), trusted, checkpoint.ProviderLinkedIn, "arc=pass sealed by google.com: dkim=pass d=linkedin.com"},
		{"signature broken, Gmail not trusted",
			gmailForward(t, k, original, true, gmailPass), Config{Resolver: k.dns, TrustedForwarders: []string{"outlook.com"}}, "", "not a trusted forwarder"},
		{"signature broken, ARC results of a failed original",
			gmailForward(t, k, original, true, "dkim=fail header.i=@linkedin.com; dmarc=fail header.from=linkedin.com"), trusted, "", "original not authenticated"},
		{"signature broken, ARC results edited after sealing",
			strings.Replace(gmailForward(t, k, original, true, "dkim=fail header.i=@linkedin.com; dmarc=fail header.from=linkedin.com"),
				"dmarc=fail", "dmarc=pass", 1), trusted, "", "arc=fail (seal 1"},
		{"signature broken, body edited after Gmail sealed",
			strings.Replace(gmailForward(t, k, original, true, gmailPass), "613309", "000000", 2), trusted, "", "arc=fail (message signature"},
		{"sealed by an untrusted hop after Gmail",
			arcSeal(t, k, gmailForward(t, k, original, true, gmailPass), 2, "relay.attacker.example", "relay.attacker.example; arc=pass"),
			trusted, "", "not a trusted forwarder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(tc.cfg).Verify(context.Background(), []byte(tc.raw), "", nil)
			if r.Provider != tc.want || !strings.Contains(r.Detail, tc.detail) {
				t.Fatalf("%+v, want %q with %q", r, tc.want, tc.detail)
			}
		})
	}
}

func TestProviderOf(t *testing.T) {
	for domain, want := range map[string]checkpoint.Provider{
		"linkedin.com": checkpoint.ProviderLinkedIn, "e.linkedin.com": checkpoint.ProviderLinkedIn,
		"LinkedIn.COM.": checkpoint.ProviderLinkedIn, "mail.instagram.com": checkpoint.ProviderInstagram,
		"facebookmail.com": checkpoint.ProviderMessenger, "x.com": checkpoint.ProviderTwitter,
		"twitter.com": checkpoint.ProviderTwitter, "linkedin.com.evil.example": "", "notlinkedin.com": "",
		"google.com": "",
	} {
		if got := ProviderOf(domain); got != want {
			t.Errorf("ProviderOf(%q) = %q, want %q", domain, got, want)
		}
	}
	for _, p := range checkpoint.Providers {
		if len(SendingDomains(p)) == 0 {
			t.Errorf("%s has no sending domain", p)
		}
	}
}
