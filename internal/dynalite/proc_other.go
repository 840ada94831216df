//go:build !linux

package dynalite

import "os/exec"

// setProcessGroup has no portable equivalent outside Linux; callers must
// Close the server.
func setProcessGroup(*exec.Cmd) {}

// killGroup kills the process dynalite was started as.
func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
