package dynalite

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts dynalite in a process group of its own, so that
// Close reaches the node process npx starts as well, and kills it when
// the process that started it dies, so that a test binary that exits
// without Close leaves no node behind.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup kills dynalite's process group.
func killGroup(cmd *exec.Cmd) {
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		_ = cmd.Process.Kill()
	}
}
