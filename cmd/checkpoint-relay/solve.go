package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
)

func init() {
	commands["solve"] = command{
		summary: "submit a checkpoint code (or poll an in-app approval) to postpress, linkup or edges",
		run:     runSolve,
	}
}

// runSolve makes exactly one solve call and prints its Result.
func runSolve(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("solve", flag.ContinueOnError)
	var f apiFlags
	f.register(fs, "postpress, linkup or edges")
	provider := fs.String("provider", string(checkpoint.ProviderLinkedIn), "LINKEDIN, INSTAGRAM, TWITTER or MESSENGER")
	code := fs.String("code", "", "the code; leave out to poll an in-app validation (edges, linkup)")
	typ := fs.String("type", "", "the checkpoint type, e.g. app_challenge for linkup (sends no code)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: checkpoint-relay solve --api postpress|linkup|edges --base-url URL --api-key KEY --account-id ID [--provider LINKEDIN] [--code CODE] [--type TYPE]")
		fs.PrintDefaults()
	}
	if exit, ok := parseFlags(fs, args, stderr); !ok {
		return exit
	}
	p := checkpoint.Provider(*provider)
	if !p.Valid() {
		return usageError(fs, stderr, fmt.Errorf("unknown provider %q: want LINKEDIN, INSTAGRAM, TWITTER or MESSENGER", *provider))
	}
	t := checkpoint.Type(*typ)
	if t != "" && !t.Valid() {
		return usageError(fs, stderr, fmt.Errorf("unknown checkpoint type %q", *typ))
	}
	c, err := f.client()
	if err != nil {
		return usageError(fs, stderr, err)
	}
	res, err := c.Solve(ctx, providerapi.SolveRequest{AccountID: f.accountID, Provider: p, Type: t, Code: *code})
	return callResult("solve", res, err, stdout, stderr)
}
