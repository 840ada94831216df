// Package app builds each Lambda's handler from the environment. The
// functions' main packages and the local stack both call Build, so what runs
// locally is, line for line, what runs in Lambda.
package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/checkpoint-relay/checkpoint-relay/internal/config"
	"github.com/checkpoint-relay/checkpoint-relay/internal/httpapi"
	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
)

// Environment variables read here beyond internal/config's.
const (
	EnvVonageSignatureMethod = "VONAGE_SIGNATURE_METHOD"
	EnvSendgridWebhookToken  = "SENDGRID_WEBHOOK_TOKEN"
	// EnvSendgridWebhookPublicKey is the public key (base64 DER) of the
	// Inbound Parse security policy that signs SendGrid's posts.
	EnvSendgridWebhookPublicKey = "SENDGRID_WEBHOOK_PUBLIC_KEY"
	// EnvFormCSRFKey (base64, at least 32 bytes) keys the form's CSRF
	// tokens; every instance must share it.
	EnvFormCSRFKey = "FORM_CSRF_KEY"
)

type builder func(ctx context.Context, c *config.Config) (any, error)

// Function is one Lambda: its name (its directory under functions/) and
// how its handler is built.
type Function struct {
	Name  string
	build builder
}

// The relay's Lambdas. They are functions rather than a table so that a
// main naming only its own Lambda links only that Lambda's handler and
// libraries (the task functions carry no webhook parsers), and so the
// template test's call-graph scan follows each main to its one builder.
func API() Function          { return Function{"api", buildAPI} }
func SMSWebhook() Function   { return Function{"sms-webhook", buildSMSWebhook} }
func EmailWebhook() Function { return Function{"email-webhook", buildEmailWebhook} }
func Form() Function         { return Function{"form", buildForm} }
func AwaitCode() Function    { return Function{"await-code", buildAwaitCode} }
func Solve() Function        { return Function{"solve", buildSolve} }
func Resend() Function       { return Function{"resend", buildResend} }
func Finish() Function       { return Function{"finish", buildFinish} }

// Functions lists every Lambda: the local stack runs them all in one
// process.
func Functions() []Function {
	return []Function{API(), SMSWebhook(), EmailWebhook(), Form(), AwaitCode(), Solve(), Resend(), Finish()}
}

// Build returns the handler of the Lambda with the given name.
func Build(ctx context.Context, name string) (any, error) {
	for _, f := range Functions() {
		if f.Name == name {
			return f.Build(ctx)
		}
	}
	return nil, fmt.Errorf("app: unknown function %q", name)
}

// Build returns the function's handler, ready for lambda.Start: an
// apigw.Handler for the HTTP functions, a typed task handler for the state
// machine's. It reads the environment and secrets once, so a warm Lambda
// reuses the clients.
func (f Function) Build(ctx context.Context) (any, error) {
	c, err := config.Load(ctx)
	if err != nil {
		return nil, err
	}
	h, err := f.build(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("app: %s: %w", f.Name, err)
	}
	return h, nil
}

func buildAPI(ctx context.Context, c *config.Config) (any, error) {
	svc, err := c.Relay(ctx)
	if err != nil {
		return nil, err
	}
	key, err := c.Secret(ctx, config.EnvRelayAPIKey)
	if err != nil {
		return nil, err
	}
	fw, err := c.Forwarders()
	if err != nil {
		return nil, err
	}
	return httpapi.NewCheckpointsHandler(httpapi.CheckpointsConfig{Service: svc, APIKey: key, Forwarders: fw})
}

// optionalSecret reads a secret that may be left unconfigured: the webhook
// source it protects then answers 404 rather than accept unsigned requests.
// A parameter name given for a parameter never created leaves the source
// unconfigured too, with a warning, rather than fail the cold start of
// every other source the function serves. Any other error (access denied,
// throttling) still fails it: that source is meant to work.
func optionalSecret(ctx context.Context, c *config.Config, name string) (string, error) {
	if !c.HasSecret(name) {
		return "", nil
	}
	v, err := c.Secret(ctx, name)
	var notFound *ssmtypes.ParameterNotFound
	if errors.As(err, &notFound) {
		slog.WarnContext(ctx, "webhook source left unconfigured: its SSM parameter does not exist",
			"secret", name, "parameter", c.Get(name+config.ParamSuffix))
		return "", nil
	}
	return v, err
}

func buildSMSWebhook(ctx context.Context, c *config.Config) (any, error) {
	svc, err := c.Relay(ctx)
	if err != nil {
		return nil, err
	}
	fw, err := c.Forwarders()
	if err != nil {
		return nil, err
	}
	cfg := httpapi.SMSWebhookConfig{
		Deliverer:             svc,
		Forwarders:            fw,
		PublicURL:             c.Get(config.EnvPublicURL),
		TelnyxPublicKey:       c.Get(config.EnvTelnyxPublicKey),
		VonageSignatureMethod: c.Get(EnvVonageSignatureMethod),
	}
	if cfg.TwilioAuthToken, err = optionalSecret(ctx, c, config.EnvTwilioAuthToken); err != nil {
		return nil, err
	}
	if cfg.VonageSignatureSecret, err = optionalSecret(ctx, c, config.EnvVonageSignatureSecret); err != nil {
		return nil, err
	}
	generic, err := optionalSecret(ctx, c, config.EnvSMSWebhookSecret)
	if err != nil {
		return nil, err
	}
	if generic != "" {
		cfg.GenericSecret = []byte(generic)
	}
	return httpapi.NewSMSWebhookHandler(cfg)
}

func buildEmailWebhook(ctx context.Context, c *config.Config) (any, error) {
	svc, err := c.Relay(ctx)
	if err != nil {
		return nil, err
	}
	fw, err := c.Forwarders()
	if err != nil {
		return nil, err
	}
	cfg := httpapi.EmailWebhookConfig{
		Deliverer:         svc,
		Confirmations:     fw,
		PublicURL:         c.Get(config.EnvPublicURL),
		SESTopicARN:       c.Get(config.EnvSESTopicARN),
		InboundBucket:     c.Get(config.EnvInboundBucket),
		SendGridUser:      c.Get(config.EnvSendgridWebhookUser),
		SendGridPublicKey: c.Get(EnvSendgridWebhookPublicKey),
	}
	if cfg.InboundBucket != "" {
		cfg.Objects = inbound.S3Objects{Client: s3.NewFromConfig(c.AWS)}
	}
	if cfg.MailgunSigningKey, err = optionalSecret(ctx, c, config.EnvMailgunSigningKey); err != nil {
		return nil, err
	}
	if cfg.SendGridPassword, err = optionalSecret(ctx, c, config.EnvSendgridWebhookPassword); err != nil {
		return nil, err
	}
	if cfg.SendGridToken, err = optionalSecret(ctx, c, EnvSendgridWebhookToken); err != nil {
		return nil, err
	}
	generic, err := optionalSecret(ctx, c, config.EnvEmailWebhookSecret)
	if err != nil {
		return nil, err
	}
	if generic != "" {
		cfg.GenericSecret = []byte(generic)
	}
	return httpapi.NewEmailWebhookHandler(cfg)
}

func buildForm(ctx context.Context, c *config.Config) (any, error) {
	svc, err := c.Relay(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := c.Secret(ctx, EnvFormCSRFKey)
	if err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: not base64: %w", EnvFormCSRFKey, err)
	}
	return httpapi.NewFormHandler(svc, key)
}

func buildAwaitCode(ctx context.Context, c *config.Config) (any, error) {
	svc, err := c.Relay(ctx)
	if err != nil {
		return nil, err
	}
	return svc.AwaitCode, nil
}

func buildSolve(ctx context.Context, c *config.Config) (any, error) {
	svc, err := c.Relay(ctx)
	if err != nil {
		return nil, err
	}
	return svc.Solve, nil
}

func buildResend(ctx context.Context, c *config.Config) (any, error) {
	svc, err := c.Relay(ctx)
	if err != nil {
		return nil, err
	}
	return svc.Resend, nil
}

func buildFinish(ctx context.Context, c *config.Config) (any, error) {
	svc, err := c.Relay(ctx)
	if err != nil {
		return nil, err
	}
	return svc.Finish, nil
}

// Main is the whole of a function's main: build the handler once at cold
// start and hand it to the Lambda runtime. A handler that cannot be built
// fails the cold start, so Lambda reports an init error and retries,
// rather than serving with half a configuration.
//
// Logs go through aws-lambda-go's slog handler: JSON lines (the template
// sets LogFormat JSON) carrying the invocation's requestId on every record
// logged with its context, at the level Lambda's logging configuration
// sets. It replaces the default logger, so the standard log package writes
// through it too.
func Main(f Function) {
	slog.SetDefault(lambdacontext.NewLogger())
	ctx := context.Background()
	h, err := f.Build(ctx)
	if err != nil {
		slog.ErrorContext(ctx, "cold start failed", "function", f.Name, "error", err)
		os.Exit(1)
	}
	lambda.Start(h)
}
