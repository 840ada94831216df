package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/asl"
	"github.com/checkpoint-relay/checkpoint-relay/internal/localstack"
)

// target is the relay under load: where to send requests, the secrets to
// sign them with and, when the stack runs in this process, its runner.
type target struct {
	url            string
	publicURL      string // the base of the URL Twilio signs
	simURL         string
	apiKey         string
	twilioToken    string
	smsSecret      []byte
	emailSecret    []byte
	callbackSecret []byte

	// stack and runner are nil against a relay running elsewhere.
	stack  *localstack.Stack
	runner *asl.Runner
	// ready is how long localstack.Start took.
	ready time.Duration
}

func newTarget(ctx context.Context, o options, logs *logCounter) (*target, error) {
	if o.url != "" {
		return &target{
			url: strings.TrimRight(o.url, "/"), publicURL: strings.TrimRight(o.publicURL, "/"),
			simURL: strings.TrimRight(o.simURL, "/"), apiKey: o.apiKey, twilioToken: o.twilioToken,
			smsSecret: []byte(o.smsSecret), emailSecret: []byte(o.emailSecret), callbackSecret: []byte(o.callbackSecret),
		}, nil
	}
	// The relay's functions log through slog.Default, as they do in
	// Lambda: at this volume only warnings and errors are worth keeping,
	// and they are counted for the report.
	slog.SetDefault(slog.New(logs))
	// The simulator stands in for every API, whatever the shell exports:
	// a load run must never reach a real provider.
	stack, err := localstack.Start(ctx, localstack.Options{
		Addr: "127.0.0.1:0", TimeScale: o.timeScale, Simulate: true, Logger: slog.New(logs),
	})
	if err != nil {
		return nil, fmt.Errorf("start the local stack: %w", err)
	}
	// Start leaves the secrets it generated (or found) in the environment
	// the functions read; the load signs its webhooks with the same ones.
	return &target{
		url:            stack.URL,
		publicURL:      strings.TrimRight(os.Getenv("RELAY_PUBLIC_URL"), "/"),
		simURL:         stack.SimulatorURL,
		apiKey:         stack.RelayAPIKey,
		twilioToken:    os.Getenv("TWILIO_AUTH_TOKEN"),
		smsSecret:      []byte(os.Getenv("SMS_WEBHOOK_SECRET")),
		emailSecret:    []byte(os.Getenv("EMAIL_WEBHOOK_SECRET")),
		callbackSecret: []byte(os.Getenv("CALLBACK_SIGNING_SECRET")),
		stack:          stack,
		runner:         stack.Runner,
		ready:          stack.Ready,
	}, nil
}

// executionARN is the ARN of a checkpoint's execution: the relay names
// each execution after its checkpoint id.
func (t *target) executionARN(id string) string {
	if t.stack == nil {
		return ""
	}
	return strings.Replace(t.stack.StateMachineARN, ":stateMachine:", ":execution:", 1) + ":" + id
}

func (t *target) close(ctx context.Context) error {
	if t.stack == nil {
		return nil
	}
	return t.stack.Close(ctx)
}

// loopbackURL reports whether u points at this machine.
func loopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return false
	}
	host := p.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
