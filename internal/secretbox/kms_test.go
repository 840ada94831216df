package secretbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// fakeKMS speaks the KMS JSON protocol (X-Amz-Target TrentService.*) for
// Encrypt, Decrypt and GenerateMac, and enforces the encryption context as
// KMS does.
type fakeKMS struct {
	mu       sync.Mutex
	blobs    map[string]fakeBlob
	macCalls int
	// macRefusals is how many GenerateMac calls to refuse first, as a key
	// still being enabled is.
	macRefusals int
}

type fakeBlob struct {
	plaintext []byte
	context   map[string]string
}

func (f *fakeKMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	var in struct {
		KeyId             string
		Plaintext         []byte
		CiphertextBlob    []byte
		EncryptionContext map[string]string
		Message           []byte
		MacAlgorithm      string
	}
	if err := json.Unmarshal(body, &in); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	fail := func(typ string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"__type":%q,"message":"refused"}`, typ)
	}
	answer := func(v any) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(v)
	}
	switch target := r.Header.Get("X-Amz-Target"); target {
	case "TrentService.Encrypt":
		if in.KeyId != "seal-key" {
			fail("NotFoundException")
			return
		}
		id := fmt.Sprintf("blob-%d", len(f.blobs))
		f.blobs[id] = fakeBlob{in.Plaintext, in.EncryptionContext}
		answer(map[string]any{"CiphertextBlob": []byte(id), "KeyId": in.KeyId})
	case "TrentService.Decrypt":
		b, ok := f.blobs[string(in.CiphertextBlob)]
		if !ok || !reflect.DeepEqual(b.context, in.EncryptionContext) {
			fail("InvalidCiphertextException")
			return
		}
		answer(map[string]any{"Plaintext": b.plaintext, "KeyId": "seal-key"})
	case "TrentService.GenerateMac":
		if in.KeyId != "mac-key" || in.MacAlgorithm != "HMAC_SHA_256" {
			fail("InvalidKeyUsageException")
			return
		}
		if f.macRefusals > 0 {
			f.macRefusals--
			fail("DisabledException")
			return
		}
		f.macCalls++
		answer(map[string]any{"Mac": append([]byte("mac:"), in.Message...), "KeyId": in.KeyId, "MacAlgorithm": in.MacAlgorithm})
	default:
		http.Error(w, "unexpected target "+target, 400)
	}
}

func newKMS(t *testing.T) (*KMS, *fakeKMS) {
	t.Helper()
	fake := &fakeKMS{blobs: map[string]fakeBlob{}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client := kms.New(kms.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
	})
	k, err := NewKMS(client, "seal-key", "mac-key")
	if err != nil {
		t.Fatal(err)
	}
	return k, fake
}

func TestKMSSealOpenBindsTheContext(t *testing.T) {
	ctx := context.Background()
	k, _ := newKMS(t)
	sealed, err := k.Seal(ctx, []byte("secret"), "pending_code:cp_1")
	if err != nil {
		t.Fatal(err)
	}
	if sealed[0] != formatKMS || bytes.Contains(sealed, []byte("secret")) {
		t.Fatalf("sealed value %q", sealed)
	}
	got, err := k.Open(ctx, sealed, "pending_code:cp_1")
	if err != nil || string(got) != "secret" {
		t.Fatalf("open: %q, %v", got, err)
	}
	if _, err := k.Open(ctx, sealed, "pending_code:cp_2"); !errors.Is(err, ErrOpen) {
		t.Fatalf("open under another context: %v, want ErrOpen", err)
	}
	local, _ := NewLocal(make([]byte, 32))
	fromLocal, _ := local.Seal(ctx, []byte("secret"), "c")
	if _, err := k.Open(ctx, fromLocal, "c"); !errors.Is(err, ErrOpen) {
		t.Fatalf("open of a locally sealed value: %v, want ErrOpen", err)
	}
}

func TestKMSFingerprintDerivesItsKeyOnce(t *testing.T) {
	ctx := context.Background()
	k, fake := newKMS(t)
	a, err := k.Fingerprint(ctx, "code:cp_1:123456")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := k.Fingerprint(ctx, "code:cp_1:123456")
	c, _ := k.Fingerprint(ctx, "code:cp_1:654321")
	if a != b || a == c || len(a) != 64 {
		t.Fatalf("fingerprints %s %s %s", a, b, c)
	}
	if fake.macCalls != 1 {
		t.Fatalf("GenerateMac called %d times, want once", fake.macCalls)
	}
	want := hmacHex([]byte("mac:"+fingerprintInfo), "code:cp_1:123456")
	if a != want {
		t.Fatal("fingerprint is not HMAC under the KMS-derived key")
	}
}

func TestNewKMSNeedsBothKeys(t *testing.T) {
	if _, err := NewKMS(nil, "k", ""); err == nil {
		t.Fatal("accepted a missing HMAC key")
	}
}

func TestKMSFingerprintRetriesAFailedDerivation(t *testing.T) {
	ctx := context.Background()
	k, fake := newKMS(t)
	fake.macRefusals = 1
	if _, err := k.Fingerprint(ctx, "code:cp_1:123456"); err == nil {
		t.Fatal("fingerprint without a derived key: no error")
	}
	got, err := k.Fingerprint(ctx, "code:cp_1:123456")
	if err != nil {
		t.Fatalf("the next call did not derive the key again: %v", err)
	}
	if want := hmacHex([]byte("mac:"+fingerprintInfo), "code:cp_1:123456"); got != want || fake.macCalls != 1 {
		t.Fatalf("fingerprint %s after %d derivations, want %s after 1", got, fake.macCalls, want)
	}
}
