package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
)

func init() {
	commands["resend"] = command{
		summary: "ask postpress to resend the checkpoint notification",
		run:     runResend,
	}
}

// runResend makes exactly one resend call and prints its Result.
func runResend(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("resend", flag.ContinueOnError)
	var f apiFlags
	f.register(fs, "postpress (the only API with a resend endpoint)")
	provider := fs.String("provider", "", "LINKEDIN, INSTAGRAM or MESSENGER (postpress cannot resend for TWITTER)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: checkpoint-relay resend --api postpress --base-url URL --api-key KEY --account-id ID --provider LINKEDIN")
		fs.PrintDefaults()
	}
	if exit, ok := parseFlags(fs, args, stderr); !ok {
		return exit
	}
	if *provider == "" {
		return usageError(fs, stderr, errors.New("--provider is required"))
	}
	p := checkpoint.Provider(*provider)
	if !p.Valid() {
		return usageError(fs, stderr, fmt.Errorf("unknown provider %q: want LINKEDIN, INSTAGRAM or MESSENGER", *provider))
	}
	c, err := f.client()
	if err != nil {
		return usageError(fs, stderr, err)
	}
	res, err := c.Resend(ctx, providerapi.ResendRequest{AccountID: f.accountID, Provider: p})
	return callResult("resend", res, err, stdout, stderr)
}
