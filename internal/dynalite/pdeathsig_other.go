//go:build !linux

package dynalite

import "os/exec"

// setParentDeathSignal has no portable equivalent outside Linux; callers
// must Close the server.
func setParentDeathSignal(*exec.Cmd) {}
