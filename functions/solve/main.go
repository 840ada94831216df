// Command solve is the checkpoint-relay "solve" Lambda. It only wires:
// internal/app builds the handler from the environment at cold start, the
// same way the local stack does.
package main

import "github.com/checkpoint-relay/checkpoint-relay/internal/app"

func main() { app.Main(app.Solve()) }
