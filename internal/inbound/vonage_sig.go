package inbound

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
	"sort"
	"strings"
	"time"
)

// VonageSignature computes the sig of Vonage's signed SMS API requests:
// the fields other than sig, sorted by name, written as "&name=value" with
// every "&" and "=" in a value replaced by "_"; then either MD5 of that
// string followed by the secret (md5hash) or an HMAC of it keyed with the
// secret (md5, sha1, sha256, sha512), hex-encoded.
func VonageSignature(secret, method string, params map[string]string) (string, error) {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "sig" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	clean := strings.NewReplacer("&", "_", "=", "_")
	for _, k := range keys {
		b.WriteString("&")
		b.WriteString(k)
		b.WriteString("=")
		b.WriteString(clean.Replace(params[k]))
	}
	var newHash func() hash.Hash
	switch strings.ToLower(method) {
	case "", "md5hash":
		sum := md5.Sum([]byte(b.String() + secret))
		return hex.EncodeToString(sum[:]), nil
	case "md5":
		newHash = md5.New
	case "sha1":
		newHash = sha1.New
	case "sha256":
		newHash = sha256.New
	case "sha512":
		newHash = sha512.New
	default:
		return "", fmt.Errorf("unknown Vonage signature method %q", method)
	}
	m := hmac.New(newHash, []byte(secret))
	m.Write([]byte(b.String()))
	return hex.EncodeToString(m.Sum(nil)), nil
}

// verifyVonageSig checks sig, then the signed timestamp's window. Vonage's
// libraries upper-case HMAC digests and not MD5 ones, so case is ignored.
func verifyVonageSig(secret, method string, params map[string]string, now time.Time) error {
	got := strings.ToLower(params["sig"])
	if got == "" {
		return badSignature("missing sig (turn on signed webhooks)")
	}
	want, err := VonageSignature(secret, method, params)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotConfigured, err)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return badSignature("sig does not match")
	}
	if params["timestamp"] == "" {
		return stale("signed request without timestamp")
	}
	return checkUnixWindow(params["timestamp"], now)
}
