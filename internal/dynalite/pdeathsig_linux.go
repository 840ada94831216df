package dynalite

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills dynalite when the process that started it
// dies, so a test binary that exits without Close leaves no node behind.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
