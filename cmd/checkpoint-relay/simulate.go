package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providersim"
)

func init() {
	commands["simulate"] = command{
		summary: "serve the provider simulator alone (postpress, linkup, edges routes)",
		run:     runSimulate,
	}
}

// runSimulate serves providersim until the context ends, so solve and
// resend can be tried against a local server. The API keys it accepts are
// $POSTPRESS_API_KEY, $LINKUP_API_KEY and $EDGES_API_KEY, or "sim-key".
func runSimulate(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8099", "listen address")
	scale := fs.Float64("time-scale", 1, "multiplies every account's expire_after_seconds")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: checkpoint-relay simulate [--addr 127.0.0.1:8099] [--time-scale F]")
		fs.PrintDefaults()
	}
	if exit, ok := parseFlags(fs, args, stderr); !ok {
		return exit
	}
	if *scale <= 0 {
		return usageError(fs, stderr, errors.New("--time-scale must be positive"))
	}
	keys := map[checkpoint.API]string{
		checkpoint.APIPostpress: os.Getenv("POSTPRESS_API_KEY"),
		checkpoint.APILinkup:    os.Getenv("LINKUP_API_KEY"),
		checkpoint.APIEdges:     os.Getenv("EDGES_API_KEY"),
	}
	sim := providersim.New(providersim.Config{Keys: keys, TimeScale: *scale})
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "checkpoint-relay simulate: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(stdout, "provider simulator on http://%s (right code %s; control API /_sim/accounts)\n", l.Addr(), providersim.DefaultCode)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
		return 0
	case err := <-done:
		fmt.Fprintf(stderr, "checkpoint-relay simulate: %v\n", err)
		return 1
	}
}
