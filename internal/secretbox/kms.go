package secretbox

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// KMSAPI is the part of the KMS client KMS uses.
type KMSAPI interface {
	Encrypt(ctx context.Context, in *kms.EncryptInput, opts ...func(*kms.Options)) (*kms.EncryptOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, opts ...func(*kms.Options)) (*kms.DecryptOutput, error)
	GenerateMac(ctx context.Context, in *kms.GenerateMacInput, opts ...func(*kms.Options)) (*kms.GenerateMacOutput, error)
}

var _ KMSAPI = (*kms.Client)(nil)

// KMS seals with AWS KMS in AWS.
//
// Seal and Open are kms:Encrypt and kms:Decrypt on a symmetric key, with
// the context as EncryptionContext {"relay": context}: KMS refuses to
// decrypt under any other context, and CloudTrail records which item a
// decryption was for. The values sealed are small (a TOTP secret, a code),
// well under Encrypt's 4 KiB limit, so no envelope is needed.
//
// Fingerprints must be cheap (one per code received) and deterministic,
// which Encrypt is not. The fingerprint key is therefore derived once per
// cold start as kms:GenerateMac(HMAC_SHA_256 key, fingerprintInfo) and
// used for local HMACs. The IAM policy needs only kms:Encrypt and
// kms:Decrypt on the sealing key and kms:GenerateMac on the HMAC key; no
// key material is ever exported from KMS, and the derived key never leaves
// the Lambda's memory.
type KMS struct {
	client   KMSAPI
	keyID    string
	macKeyID string

	mu    sync.Mutex
	fpKey []byte
}

var _ Sealer = (*KMS)(nil)

// NewKMS returns a KMS sealer: keyID is the symmetric sealing key,
// macKeyID the HMAC_256 key the fingerprint key is derived from.
func NewKMS(client KMSAPI, keyID, macKeyID string) (*KMS, error) {
	if keyID == "" || macKeyID == "" {
		return nil, errors.New("secretbox: KMS sealer needs a key id and an HMAC key id")
	}
	return &KMS{client: client, keyID: keyID, macKeyID: macKeyID}, nil
}

func encryptionContext(c string) map[string]string { return map[string]string{"relay": c} }

// Seal encrypts under the sealing key.
func (k *KMS) Seal(ctx context.Context, plaintext []byte, c string) ([]byte, error) {
	out, err := k.client.Encrypt(ctx, &kms.EncryptInput{
		KeyId: aws.String(k.keyID), Plaintext: plaintext, EncryptionContext: encryptionContext(c),
	})
	if err != nil {
		return nil, fmt.Errorf("secretbox: kms encrypt: %w", err)
	}
	return append([]byte{formatKMS}, out.CiphertextBlob...), nil
}

// Open decrypts; KMS checks the context.
func (k *KMS) Open(ctx context.Context, sealed []byte, c string) ([]byte, error) {
	if len(sealed) < 2 || sealed[0] != formatKMS {
		return nil, ErrOpen
	}
	out, err := k.client.Decrypt(ctx, &kms.DecryptInput{
		KeyId: aws.String(k.keyID), CiphertextBlob: sealed[1:], EncryptionContext: encryptionContext(c),
	})
	if err != nil {
		var invalid *types.InvalidCiphertextException
		if errors.As(err, &invalid) {
			return nil, ErrOpen
		}
		return nil, fmt.Errorf("secretbox: kms decrypt: %w", err)
	}
	return out.Plaintext, nil
}

// Fingerprint is HMAC-SHA256 under the derived key; the first call (per
// process) derives it, and a failed derivation is retried on the next
// call rather than cached.
func (k *KMS) Fingerprint(ctx context.Context, value string) (string, error) {
	key, err := k.fingerprintKey(ctx)
	if err != nil {
		return "", err
	}
	return hmacHex(key, value), nil
}

func (k *KMS) fingerprintKey(ctx context.Context) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fpKey != nil {
		return k.fpKey, nil
	}
	out, err := k.client.GenerateMac(ctx, &kms.GenerateMacInput{
		KeyId: aws.String(k.macKeyID), MacAlgorithm: types.MacAlgorithmSpecHmacSha256,
		Message: []byte(fingerprintInfo),
	})
	if err != nil {
		return nil, fmt.Errorf("secretbox: kms generate mac: %w", err)
	}
	k.fpKey = out.Mac
	return k.fpKey, nil
}
