package mailauth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-msgauth/authres"
)

// ARC (RFC 8617) lets a forwarder that changed a mail (so its DKIM
// signature broke) vouch for the authentication it saw on arrival.
// go-msgauth has no ARC verifier, so the chain is validated here, on the
// DKIM primitives of RFC 6376 (relaxed canonicalization, rsa-sha256 and
// ed25519-sha256 keys from DNS).
//
// A mail passes by ARC when the whole chain validates (each ARC-Seal over
// the sets up to it, the newest ARC-Message-Signature over the mail), the
// newest set was sealed by a forwarder the operator trusts, and that
// set's ARC-Authentication-Results records dmarc=pass or an aligned
// dkim=pass for the From domain. Only the newest sealer's word counts: a
// later hop could have changed the mail after an older, trusted one.

const (
	hdrSeal = "arc-seal"
	hdrAMS  = "arc-message-signature"
	hdrAAR  = "arc-authentication-results"
)

type field struct {
	name string // lower-cased
	raw  string // the whole field as received, without the final CRLF
}

type arcSet struct {
	seal, ams, aar *field
}

// arcPass validates the mail's ARC chain; "" when it has none or no
// forwarder is trusted.
func (v *Verifier) arcPass(ctx context.Context, raw []byte, fromDomain string) (string, bool) {
	if len(v.trusted) == 0 {
		return "", false
	}
	fields, body := splitMessage(raw)
	sets := map[int]*arcSet{}
	n := 0
	for i := range fields {
		f := &fields[i]
		if f.name != hdrSeal && f.name != hdrAMS && f.name != hdrAAR {
			continue
		}
		inst, err := instance(f)
		if err != nil || inst < 1 || inst > v.maxARCSet {
			return "arc=fail (bad instance)", false
		}
		s := sets[inst]
		if s == nil {
			s = &arcSet{}
			sets[inst] = s
		}
		slot := map[string]**field{hdrSeal: &s.seal, hdrAMS: &s.ams, hdrAAR: &s.aar}[f.name]
		if *slot != nil {
			return "arc=fail (repeated instance)", false
		}
		*slot = f
		n = max(n, inst)
	}
	if n == 0 {
		return "", false
	}
	for i := 1; i <= n; i++ {
		s := sets[i]
		if s == nil || s.seal == nil || s.ams == nil || s.aar == nil {
			return "arc=fail (incomplete set)", false
		}
		tags, err := parseTags(fieldValue(s.seal.raw))
		if err != nil {
			return "arc=fail (seal tags)", false
		}
		want := "pass"
		if i == 1 {
			want = "none"
		}
		if !strings.EqualFold(tags["cv"], want) {
			return "arc=fail (cv)", false
		}
	}
	newest := sets[n]
	if err := v.verifyAMS(ctx, fields, body, newest.ams); err != nil {
		return "arc=fail (message signature: " + err.Error() + ")", false
	}
	for i := n; i >= 1; i-- {
		if err := v.verifySeal(ctx, sets, i); err != nil {
			return fmt.Sprintf("arc=fail (seal %d: %v)", i, err), false
		}
	}
	sealTags, _ := parseTags(fieldValue(newest.seal.raw))
	sealer := normDomain(sealTags["d"])
	if !v.trusts(sealer) {
		return "arc=pass sealed by " + sealer + ", not a trusted forwarder", false
	}
	aar := fieldValue(newest.aar.raw)
	if semi := strings.IndexByte(aar, ';'); semi >= 0 {
		aar = aar[semi+1:] // drop "i=N;"
	}
	_, results, err := authres.Parse(aar)
	if err != nil {
		return "arc=pass sealed by " + sealer + ", unreadable results", false
	}
	if how, pass := resultsPass(results, fromDomain); pass {
		return "arc=pass sealed by " + sealer + ": " + how, true
	}
	return "arc=pass sealed by " + sealer + ", original not authenticated", false
}

func (v *Verifier) trusts(domain string) bool {
	for _, t := range v.trusted {
		if within(domain, t) {
			return true
		}
	}
	return false
}

// verifyAMS checks an ARC-Message-Signature over the mail, as a DKIM
// signature is checked (RFC 8617 §4.1.2, RFC 6376 §6.1.3).
func (v *Verifier) verifyAMS(ctx context.Context, fields []field, body []byte, ams *field) error {
	tags, err := parseTags(fieldValue(ams.raw))
	if err != nil {
		return err
	}
	hc, bc, _ := strings.Cut(strings.ToLower(tags["c"]), "/")
	if hc == "" {
		hc = "simple"
	}
	if bc == "" {
		bc = "simple"
	}
	if (hc != "simple" && hc != "relaxed") || (bc != "simple" && bc != "relaxed") {
		return errors.New("unknown canonicalization")
	}
	bh, err := base64.StdEncoding.DecodeString(stripWS(tags["bh"]))
	if err != nil {
		return errors.New("bad bh")
	}
	sum := sha256.Sum256(canonBody(body, bc == "relaxed"))
	if !bytes.Equal(sum[:], bh) {
		return errors.New("body hash")
	}
	var data bytes.Buffer
	used := map[int]bool{}
	for _, name := range strings.Split(tags["h"], ":") {
		name = strings.ToLower(strings.TrimSpace(name))
		if strings.HasPrefix(name, "arc-") {
			return errors.New("signs ARC headers")
		}
		for i := len(fields) - 1; i >= 0; i-- {
			if fields[i].name == name && !used[i] {
				used[i] = true
				data.WriteString(canonHeader(fields[i].raw, hc == "relaxed"))
				data.WriteString("\r\n")
				break
			}
		}
	}
	data.WriteString(canonHeader(withoutB(ams.raw), hc == "relaxed"))
	return v.checkSignature(ctx, tags, data.Bytes())
}

// verifySeal checks ARC-Seal i over the sets 1..i (RFC 8617 §5.1.1).
func (v *Verifier) verifySeal(ctx context.Context, sets map[int]*arcSet, i int) error {
	tags, err := parseTags(fieldValue(sets[i].seal.raw))
	if err != nil {
		return err
	}
	if _, ok := tags["h"]; ok {
		return errors.New("seal has h=")
	}
	var data bytes.Buffer
	for j := 1; j <= i; j++ {
		s := sets[j]
		data.WriteString(canonHeader(s.aar.raw, true) + "\r\n")
		data.WriteString(canonHeader(s.ams.raw, true) + "\r\n")
		if j < i {
			data.WriteString(canonHeader(s.seal.raw, true) + "\r\n")
		}
	}
	data.WriteString(canonHeader(withoutB(sets[i].seal.raw), true))
	return v.checkSignature(ctx, tags, data.Bytes())
}

// checkSignature verifies b= over data with the key at s._domainkey.d.
func (v *Verifier) checkSignature(ctx context.Context, tags map[string]string, data []byte) error {
	sig, err := base64.StdEncoding.DecodeString(stripWS(tags["b"]))
	if err != nil || len(sig) == 0 {
		return errors.New("bad b")
	}
	d, s := normDomain(tags["d"]), strings.TrimSpace(tags["s"])
	if d == "" || s == "" {
		return errors.New("no d= or s=")
	}
	key, err := v.lookupKey(ctx, s+"._domainkey."+d)
	if err != nil {
		return err
	}
	hashed := sha256.Sum256(data)
	switch strings.ToLower(strings.TrimSpace(tags["a"])) {
	case "rsa-sha256":
		pub, ok := key.(*rsa.PublicKey)
		if !ok {
			return errors.New("key is not rsa")
		}
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, hashed[:], sig) != nil {
			return errors.New("signature")
		}
	case "ed25519-sha256":
		pub, ok := key.(ed25519.PublicKey)
		if !ok {
			return errors.New("key is not ed25519")
		}
		if !ed25519.Verify(pub, hashed[:], sig) {
			return errors.New("signature")
		}
	default:
		return errors.New("unsupported algorithm")
	}
	return nil
}

// lookupKey reads a DKIM key record (RFC 6376 §3.6.1).
func (v *Verifier) lookupKey(ctx context.Context, name string) (crypto.PublicKey, error) {
	txts, err := v.resolver.LookupTXT(ctx, name)
	if err != nil {
		return nil, errors.New("key lookup failed")
	}
	if len(txts) != 1 {
		return nil, errors.New("no single key record")
	}
	tags, err := parseTags(txts[0])
	if err != nil {
		return nil, err
	}
	p, err := base64.StdEncoding.DecodeString(stripWS(tags["p"]))
	if err != nil || len(p) == 0 {
		return nil, errors.New("key revoked or unreadable")
	}
	switch k := strings.ToLower(strings.TrimSpace(tags["k"])); k {
	case "", "rsa":
		pub, err := x509.ParsePKIXPublicKey(p)
		if err != nil {
			if pub, err = x509.ParsePKCS1PublicKey(p); err != nil {
				return nil, errors.New("unreadable rsa key")
			}
		}
		r, ok := pub.(*rsa.PublicKey)
		if !ok || r.N.BitLen() < 1024 {
			return nil, errors.New("rsa key too short")
		}
		return r, nil
	case "ed25519":
		if len(p) != ed25519.PublicKeySize {
			return nil, errors.New("bad ed25519 key")
		}
		return ed25519.PublicKey(p), nil
	default:
		return nil, errors.New("unsupported key type")
	}
}

// splitMessage returns the header fields in order and the body.
func splitMessage(raw []byte) ([]field, []byte) {
	var fields []field
	rest := raw
	for len(rest) > 0 {
		line, next := cutLine(rest)
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return fields, next
		}
		if (line[0] == ' ' || line[0] == '\t') && len(fields) > 0 {
			fields[len(fields)-1].raw += "\r\n" + strings.TrimRight(string(line), "\r\n")
		} else {
			s := strings.TrimRight(string(line), "\r\n")
			name, _, _ := strings.Cut(s, ":")
			fields = append(fields, field{name: strings.ToLower(strings.TrimSpace(name)), raw: s})
		}
		rest = next
	}
	return fields, nil
}

func cutLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i+1], b[i+1:]
	}
	return b, nil
}

func fieldValue(raw string) string {
	_, v, _ := strings.Cut(raw, ":")
	return v
}

// instance reads the i= tag that starts every ARC header field.
func instance(f *field) (int, error) {
	v := fieldValue(f.raw)
	if f.name == hdrAAR {
		v, _, _ = strings.Cut(v, ";")
		k, val, ok := strings.Cut(strings.TrimSpace(v), "=")
		if !ok || strings.TrimSpace(k) != "i" {
			return 0, errors.New("no i=")
		}
		return strconv.Atoi(strings.TrimSpace(val))
	}
	tags, err := parseTags(v)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(tags["i"]))
}

// parseTags reads a DKIM tag list ("a=b; c=d").
func parseTags(s string) (map[string]string, error) {
	tags := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, errors.New("malformed tag list")
		}
		k = strings.TrimSpace(k)
		if _, dup := tags[k]; dup {
			return nil, errors.New("repeated tag " + k)
		}
		tags[k] = strings.TrimSpace(v)
	}
	return tags, nil
}

// withoutB empties the value of the b= tag (not bh=) of a signature field.
func withoutB(raw string) string {
	name, v, _ := strings.Cut(raw, ":")
	parts := strings.Split(v, ";")
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		if ok && strings.TrimSpace(k) == "b" {
			parts[i] = k + "="
		}
	}
	return name + ":" + strings.Join(parts, ";")
}

// canonHeader canonicalizes one header field (RFC 6376 §3.4.1, §3.4.2),
// without the final CRLF.
func canonHeader(raw string, relaxed bool) string {
	if !relaxed {
		return raw
	}
	name, v, _ := strings.Cut(raw, ":")
	v = strings.NewReplacer("\r\n", "", "\n", "").Replace(v)
	return strings.ToLower(strings.TrimSpace(name)) + ":" + strings.TrimSpace(compressWS(v))
}

// canonBody canonicalizes a body (RFC 6376 §3.4.3, §3.4.4).
func canonBody(body []byte, relaxed bool) []byte {
	lines := strings.Split(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1] // the split after the final line break
	}
	if relaxed {
		for i, l := range lines {
			lines[i] = strings.TrimRight(compressWS(l), " ")
		}
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		if relaxed {
			return nil
		}
		return []byte("\r\n")
	}
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

func compressWS(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\t' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}

func stripWS(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
}
