// Package config reads the relay's environment (ARCHITECTURE.md lists every
// variable) and builds the clients the Lambdas share: the store, the
// sealer, the workflow and the provider API clients.
//
// A secret NAME is the value of NAME when set (locally), else the SSM
// Parameter Store SecureString named by NAME_PARAM (in AWS), read once
// with decryption and kept for the life of the process, so only a cold
// start pays for it.
//
// The AWS SDK itself honours AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SFN
// (and AWS_ENDPOINT_URL for all services): the local stack points the
// functions at dynalite and the local Step Functions runner with those.
package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Environment variables.
const (
	EnvTableName       = "TABLE_NAME"
	EnvStateMachineARN = "STATE_MACHINE_ARN"
	// EnvRelayAPIKey is a secret (RELAY_API_KEY or RELAY_API_KEY_PARAM).
	EnvRelayAPIKey = "RELAY_API_KEY"
	// EnvKMSKeyID and EnvKMSMacKeyID select the KMS sealer: a symmetric
	// key for sealing, an HMAC_256 key for fingerprints.
	EnvKMSKeyID    = "KMS_KEY_ID"
	EnvKMSMacKeyID = "KMS_MAC_KEY_ID"
	// EnvRelayLocalKey (base64, 32 bytes) selects the local sealer.
	EnvRelayLocalKey = "RELAY_LOCAL_KEY"
	EnvPublicURL     = "RELAY_PUBLIC_URL"
	// EnvTimeScale is set by the local stack only: its time scale, which
	// shrinks the provider deadline as it shrinks the state machine's.
	EnvTimeScale = "RELAY_TIME_SCALE"

	EnvPostpressBaseURL = "POSTPRESS_BASE_URL"
	EnvPostpressAPIKey  = "POSTPRESS_API_KEY"
	EnvLinkupBaseURL    = "LINKUP_BASE_URL"
	EnvLinkupAPIKey     = "LINKUP_API_KEY"
	EnvEdgesBaseURL     = "EDGES_BASE_URL"
	EnvEdgesAPIKey      = "EDGES_API_KEY"

	EnvTwilioAuthToken         = "TWILIO_AUTH_TOKEN"
	EnvVonageSignatureSecret   = "VONAGE_SIGNATURE_SECRET"
	EnvTelnyxPublicKey         = "TELNYX_PUBLIC_KEY"
	EnvSMSWebhookSecret        = "SMS_WEBHOOK_SECRET"
	EnvMailgunSigningKey       = "MAILGUN_SIGNING_KEY"
	EnvSendgridWebhookUser     = "SENDGRID_WEBHOOK_USER"
	EnvSendgridWebhookPassword = "SENDGRID_WEBHOOK_PASSWORD"
	EnvSESTopicARN             = "SES_TOPIC_ARN"
	EnvInboundBucket           = "INBOUND_BUCKET"
	EnvEmailWebhookSecret      = "EMAIL_WEBHOOK_SECRET"
	EnvCallbackSigningSecret   = "CALLBACK_SIGNING_SECRET"

	// ParamSuffix names the SSM parameter that holds a secret in AWS.
	ParamSuffix = "_PARAM"
)

// SSMAPI is the part of the SSM client Secret uses.
type SSMAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

var _ SSMAPI = (*ssm.Client)(nil)

// ErrMissing is returned for a required variable (or secret) that is not
// set.
var ErrMissing = errors.New("config: not set")

// Config is one process's environment.
type Config struct {
	// AWS is the SDK configuration every client is built from.
	AWS aws.Config

	lookup func(string) (string, bool)
	ssm    SSMAPI

	mu      sync.Mutex
	secrets map[string]string
}

// Load reads the process environment and the default AWS configuration.
func Load(ctx context.Context) (*Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("config: load AWS configuration: %w", err)
	}
	return New(cfg, os.LookupEnv, ssm.NewFromConfig(cfg)), nil
}

// New builds a Config from an AWS configuration, an environment lookup and
// an SSM client (tests pass fakes).
func New(cfg aws.Config, lookup func(string) (string, bool), ssmClient SSMAPI) *Config {
	return &Config{AWS: cfg, lookup: lookup, ssm: ssmClient, secrets: map[string]string{}}
}

// Get returns a variable, "" if unset.
func (c *Config) Get(name string) string {
	v, _ := c.lookup(name)
	return strings.TrimSpace(v)
}

// Require returns a variable or an error naming it.
func (c *Config) Require(name string) (string, error) {
	if v := c.Get(name); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("%w: %s", ErrMissing, name)
}

// HasSecret reports whether a secret is configured, as a value or as a
// parameter name, without reading it.
func (c *Config) HasSecret(name string) bool {
	return c.Get(name) != "" || c.Get(name+ParamSuffix) != ""
}

// Secret returns the secret name: the variable's value when set, else the
// SSM parameter named by name_PARAM, decrypted. Values read from SSM are
// cached for the life of the process; errors are not, so a throttled cold
// start recovers on the next call.
func (c *Config) Secret(ctx context.Context, name string) (string, error) {
	if v := c.Get(name); v != "" {
		return v, nil
	}
	param := c.Get(name + ParamSuffix)
	if param == "" {
		return "", fmt.Errorf("%w: %s (or %s%s)", ErrMissing, name, name, ParamSuffix)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.secrets[name]; ok {
		return v, nil
	}
	if c.ssm == nil {
		return "", fmt.Errorf("config: %s%s is set but no SSM client is configured", name, ParamSuffix)
	}
	out, err := c.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(param), WithDecryption: aws.Bool(true)})
	if err != nil {
		// The parameter name is not secret; its value never appears here.
		return "", fmt.Errorf("config: read SSM parameter %s for %s: %w", param, name, err)
	}
	if out.Parameter == nil || aws.ToString(out.Parameter.Value) == "" {
		return "", fmt.Errorf("config: SSM parameter %s for %s is empty", param, name)
	}
	v := aws.ToString(out.Parameter.Value)
	c.secrets[name] = v
	return v, nil
}
