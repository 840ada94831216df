// Package envlib is part of the code-scan fixture: a config-like package
// that reads the environment through a helper and an injected lookup.
package envlib

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// Names of the variables, as a config package would declare them.
const (
	EnvViaHelper   = "FIXTURE_VIA_HELPER"
	EnvViaLookup   = "FIXTURE_DOCUMENTED"
	EnvUnreachable = "FIXTURE_UNREACHABLE"
)

// str reads one variable: its callers' constant arguments are reads.
func str(name string) string { return os.Getenv(name) }

// twice forwards its parameter to str.
func twice(name string) string { return str(name) + str(name) }

// Load reads through the helper and through an injected lookup.
func Load(lookup func(string) string) string {
	return twice(EnvViaHelper) + lookup(EnvViaLookup)
}

// Unused is never called from the fixture's main.
func Unused() string { return str(EnvUnreachable) }

// Sealer is the part of the KMS client the fixture uses.
type Sealer interface {
	Encrypt(ctx context.Context, in *kms.EncryptInput, opts ...func(*kms.Options)) (*kms.EncryptOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, opts ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// Box seals with a Sealer.
type Box struct{ S Sealer }

// Seal is reached from main.
func (b Box) Seal(ctx context.Context) error {
	_, err := b.S.Encrypt(ctx, &kms.EncryptInput{})
	return err
}

// Open is never reached.
func (b Box) Open(ctx context.Context) error {
	_, err := b.S.Decrypt(ctx, &kms.DecryptInput{})
	return err
}

// Runner is satisfied by Job.
type Runner interface {
	Run(ctx context.Context) error
}

// Job is only ever called through Runner.
type Job struct{ Box Box }

// Run seals.
func (j Job) Run(ctx context.Context) error { return j.Box.Seal(ctx) }

// handlers is a dispatch table: only the entries whose key reachable code
// uses are reached.
var handlers = map[string]func() string{
	"used":   func() string { return os.Getenv("FIXTURE_DISPATCH_USED") },
	"unused": func() string { return os.Getenv("FIXTURE_DISPATCH_UNUSED") },
}

// Pick runs a handler by name.
func Pick(name string) string { return handlers[name]() }
