package secretbox

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

func newLocal(t *testing.T, b byte) *Local {
	t.Helper()
	l, err := NewLocal(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLocalSealOpen(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t, 7)
	sealed, err := l.Seal(ctx, []byte("JBSWY3DPEHPK3PXP"), "totp_secret:cp_1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("JBSWY3DPEHPK3PXP")) {
		t.Fatal("sealed value holds the plaintext")
	}
	again, _ := l.Seal(ctx, []byte("JBSWY3DPEHPK3PXP"), "totp_secret:cp_1")
	if bytes.Equal(sealed, again) {
		t.Fatal("two seals of one value are equal: nonce reused")
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1

	for _, tc := range []struct {
		name    string
		open    *Local
		sealed  []byte
		context string
		want    string
	}{
		{"same key and context opens", l, sealed, "totp_secret:cp_1", "JBSWY3DPEHPK3PXP"},
		{"other context is refused", l, sealed, "totp_secret:cp_2", ""},
		{"other key is refused", newLocal(t, 8), sealed, "totp_secret:cp_1", ""},
		{"altered value is refused", l, tampered, "totp_secret:cp_1", ""},
		{"truncated value is refused", l, sealed[:10], "totp_secret:cp_1", ""},
		{"KMS format is refused", l, append([]byte{formatKMS}, sealed[1:]...), "totp_secret:cp_1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.open.Open(ctx, tc.sealed, tc.context)
			if tc.want == "" {
				if !errors.Is(err, ErrOpen) {
					t.Fatalf("got %q, %v; want ErrOpen", got, err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

func TestLocalFingerprintIsKeyedAndStable(t *testing.T) {
	ctx := context.Background()
	a, b := newLocal(t, 1), newLocal(t, 2)
	fa1, _ := a.Fingerprint(ctx, "code:cp_1:123456")
	fa2, _ := a.Fingerprint(ctx, "code:cp_1:123456")
	fb, _ := b.Fingerprint(ctx, "code:cp_1:123456")
	other, _ := a.Fingerprint(ctx, "code:cp_1:123457")
	if fa1 != fa2 {
		t.Fatal("fingerprint not deterministic")
	}
	if fa1 == fb {
		t.Fatal("fingerprint does not depend on the key")
	}
	if fa1 == other {
		t.Fatal("two codes share a fingerprint")
	}
	if len(fa1) != 64 {
		t.Fatalf("fingerprint %q is not hex SHA-256", fa1)
	}
}

func TestParseLocalKey(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", true},
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", true},
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYX", false}, // 24 bytes
		{"not base64!", false},
	} {
		_, err := ParseLocalKey(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseLocalKey(%q): err %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
	if _, err := NewLocal(make([]byte, 16)); err == nil {
		t.Error("NewLocal accepted a 16-byte key")
	}
}
