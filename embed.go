// Package checkpointrelay carries the files the local stack reads into the
// binary: template.yaml and the state machine definitions it names, so that
// `checkpoint-relay serve` runs the relay from any directory. It lives at
// the repository root because go:embed reaches no parent directory.
package checkpointrelay

import "embed"

// Files holds template.yaml and statemachine/*.asl.json, at the paths they
// have in the repository.
//
//go:embed template.yaml statemachine/*.asl.json
var Files embed.FS
