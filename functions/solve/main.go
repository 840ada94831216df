// Command solve is the checkpoint-relay "solve" Lambda: wiring only, the
// handler is built by internal/app from the environment at cold start.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/checkpoint-relay/checkpoint-relay/internal/app"
)

func main() {
	h, err := app.Build(context.Background(), "solve")
	if err != nil {
		// Failing the cold start makes Lambda report an init error and
		// retry, rather than serving with a half-built handler.
		slog.Error("cold start failed", "function", "solve", "err", err)
		os.Exit(1)
	}
	lambda.Start(h)
}
