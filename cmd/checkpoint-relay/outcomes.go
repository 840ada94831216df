package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
)

func init() {
	commands["outcomes"] = command{
		summary: "print the table that maps every provider answer to an outcome",
		run:     runOutcomes,
	}
}

// runOutcomes prints the providerapi outcome table, as Markdown or JSON.
func runOutcomes(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("outcomes", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON rows instead of a Markdown table")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: checkpoint-relay outcomes [--json]")
		fs.PrintDefaults()
	}
	if exit, ok := parseFlags(fs, args, stderr); !ok {
		return exit
	}
	if !*asJSON {
		fmt.Fprint(stdout, providerapi.MarkdownTable())
		return 0
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(providerapi.OutcomeTable()); err != nil {
		fmt.Fprintf(stderr, "checkpoint-relay outcomes: %v\n", err)
		return 1
	}
	return 0
}
