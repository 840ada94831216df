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

// Version is the dynalite package.json pins; npx runs this one when no
// installed dynalite is found.
const Version = "4.0.0"

// ErrNotInstalled is returned when no dynalite and no npx are found.
var ErrNotInstalled = errors.New("dynalite is not installed: run `npm install` in the checkpoint-relay repository " +
	"(or `make node_modules`), or `npm install -g dynalite@" + Version + "`; both need Node.js and npm")

// startTimeout bounds how long node may take to answer; generous because
// tests share a small machine and npx may first download the package.
const startTimeout = 60 * time.Second

// Server is one running dynalite process.
type Server struct {
	// Endpoint is the base URL to give the DynamoDB client,
	// e.g. http://127.0.0.1:41234.
	Endpoint string
	// Program is which dynalite runs and where it was found.
	Program Program

	cmd       *exec.Cmd
	exited    chan struct{}
	closeOnce sync.Once
}

// Program is a way to run dynalite: a command line and where it came from.
type Program struct {
	// Argv is the command before dynalite's own flags.
	Argv []string
	// Source says in plain words which dynalite this is, e.g.
	// "node_modules/.bin/dynalite in /src/checkpoint-relay".
	Source string
}

// Find looks for dynalite, in this order: a node_modules/.bin/dynalite in
// the working directory or a parent of it (a checkout whose `npm install`
// pinned the version), the same beside the running executable (make run's
// bin/checkpoint-relay, started from elsewhere), dynalite on PATH, and
// last `npx --yes dynalite@Version`, which downloads it once.
func Find() (Program, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			starts = append(starts, filepath.Dir(exe))
		}
	}
	return find(starts)
}

func find(starts []string) (Program, error) {
	for _, start := range starts {
		for dir := start; ; {
			bin := filepath.Join(dir, "node_modules", ".bin", "dynalite")
			if st, err := os.Stat(bin); err == nil && !st.IsDir() {
				return Program{Argv: []string{bin}, Source: "node_modules/.bin/dynalite in " + dir}, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	if bin, err := exec.LookPath("dynalite"); err == nil {
		return Program{Argv: []string{bin}, Source: "dynalite on PATH (" + bin + ")"}, nil
	}
	if npx, err := exec.LookPath("npx"); err == nil {
		return Program{
			Argv:   []string{npx, "--yes", "dynalite@" + Version},
			Source: "npx --yes dynalite@" + Version + " (no installed dynalite found; `npm install` in the repository avoids the download)",
		}, nil
	}
	return Program{}, ErrNotInstalled
}

// Start runs dynalite in memory on a free loopback port and waits until it
// accepts connections. dynalite cannot pick its own port (--port 0), so a
// free one is chosen here; if another process takes it first, dynalite
// exits and Start tries another.
func Start(ctx context.Context) (*Server, error) {
	prog, err := Find()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := start(ctx, prog, port)
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

func start(ctx context.Context, prog Program, port int) (*Server, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// Tables become ACTIVE at once: the relay never waits on table state.
	args := append(append([]string(nil), prog.Argv[1:]...), "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	cmd := exec.Command(prog.Argv[0], args...)
	cmd.Stdout = nil
	cmd.Stderr = os.Stderr
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dynalite (%s): %w", prog.Source, err)
	}
	s := &Server{Endpoint: "http://" + addr, Program: prog, cmd: cmd, exited: make(chan struct{})}
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
			return nil, fmt.Errorf("dynalite (%s) exited before listening on %s", prog.Source, addr)
		case <-deadline.C:
			_ = s.Close()
			return nil, fmt.Errorf("dynalite (%s) did not listen on %s within %s", prog.Source, addr, startTimeout)
		case <-ctx.Done():
			_ = s.Close()
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// Close stops the process, and whatever it started (npx runs dynalite
// as a child of its own), and waits for it to exit.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		killGroup(s.cmd)
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
