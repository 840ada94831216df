// Package dynalite starts dynalite, the in-memory DynamoDB server from npm,
// on loopback. The tests and the local stack use it so the store runs the
// real AWS SDK against a real DynamoDB wire protocol with no AWS account.
package dynalite

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// ErrNotInstalled is returned when node_modules/.bin/dynalite is missing.
var ErrNotInstalled = errors.New("dynalite is not installed: run npm install (or make node_modules) in the repository root")

// startTimeout bounds how long node may take to answer; generous because
// tests share a small machine.
const startTimeout = 30 * time.Second

// Server is one running dynalite process.
type Server struct {
	// Endpoint is the base URL to give the DynamoDB client,
	// e.g. http://127.0.0.1:41234.
	Endpoint string

	cmd       *exec.Cmd
	exited    chan struct{}
	closeOnce sync.Once
}

// RepoRoot walks up from the working directory to the directory holding
// go.mod, where package.json and node_modules live.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Binary returns the path of the dynalite executable in the repository.
func Binary() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(root, "node_modules", ".bin", "dynalite")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("%w (looked for %s)", ErrNotInstalled, bin)
	}
	return bin, nil
}

// Start runs dynalite in memory on a free loopback port and waits until it
// accepts connections. dynalite cannot pick its own port (--port 0), so a
// free one is chosen here; if another process takes it first, dynalite
// exits and Start tries another.
func Start(ctx context.Context) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := start(ctx, bin, port)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func start(ctx context.Context, bin string, port int) (*Server, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// Tables become ACTIVE at once: the relay never waits on table state.
	cmd := exec.Command(bin, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	cmd.Stdout = nil
	cmd.Stderr = os.Stderr
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dynalite: %w", err)
	}
	s := &Server{Endpoint: "http://" + addr, cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()

	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.Close()
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("dynalite exited before listening on %s", addr)
		case <-deadline.C:
			_ = s.Close()
			return nil, fmt.Errorf("dynalite did not listen on %s within %s", addr, startTimeout)
		case <-ctx.Done():
			_ = s.Close()
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// Close stops the process and waits for it to exit.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		_ = s.cmd.Process.Kill()
		<-s.exited
	})
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
