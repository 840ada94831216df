package secretbox

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// Local seals with AES-256-GCM under a key held in the environment
// (RELAY_LOCAL_KEY): the local stack and tests.
type Local struct {
	aead  cipher.AEAD
	fpKey []byte
}

var _ Sealer = (*Local)(nil)

// NewLocal builds a Local sealer from a 32-byte root key. The sealing and
// fingerprint keys are derived from it with HKDF-SHA256 under distinct
// labels, so neither use can be turned against the other.
func NewLocal(root []byte) (*Local, error) {
	if len(root) != 32 {
		return nil, fmt.Errorf("secretbox: local key is %d bytes, want 32", len(root))
	}
	sealKey, err := hkdf.Key(sha256.New, root, nil, "checkpoint-relay seal v1", 32)
	if err != nil {
		return nil, err
	}
	fpKey, err := hkdf.Key(sha256.New, root, nil, fingerprintInfo, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Local{aead: aead, fpKey: fpKey}, nil
}

// ParseLocalKey decodes RELAY_LOCAL_KEY (standard or URL base64).
func ParseLocalKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("secretbox: local key decodes to %d bytes, want 32", len(b))
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("secretbox: local key is not base64")
}

// Seal returns format byte || nonce || ciphertext, with context as the
// associated data.
func (l *Local) Seal(_ context.Context, plaintext []byte, context string) ([]byte, error) {
	nonce := make([]byte, l.aead.NonceSize(), 1+l.aead.NonceSize()+len(plaintext)+l.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{formatLocal}, nonce...)
	return l.aead.Seal(out, nonce, plaintext, []byte(context)), nil
}

// Open reverses Seal.
func (l *Local) Open(_ context.Context, sealed []byte, context string) ([]byte, error) {
	n := l.aead.NonceSize()
	if len(sealed) < 1+n+l.aead.Overhead() || sealed[0] != formatLocal {
		return nil, ErrOpen
	}
	pt, err := l.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(context))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// Fingerprint is HMAC-SHA256 under the derived fingerprint key.
func (l *Local) Fingerprint(_ context.Context, value string) (string, error) {
	return hmacHex(l.fpKey, value), nil
}

func hmacHex(key []byte, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}
