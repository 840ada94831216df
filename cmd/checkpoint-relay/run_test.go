package main

import (
	"bufio"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startedServe is a serve process (or the make that runs it) and what its
// banner said.
type startedServe struct {
	cmd *exec.Cmd
	// banner is everything printed up to "Press Ctrl-C to stop."
	banner string
	// ports are the loopback ports the banner names: the gateway,
	// dynalite, the Step Functions API, the simulator.
	ports []string
	// done is closed once the process was waited for, with waitErr set.
	done    chan struct{}
	waitErr error
}

var loopbackPort = regexp.MustCompile(`http://127\.0\.0\.1:(\d+)`)

// startServe runs cmd, which must end up running serve, and reads its
// banner. Whatever happens, the process is killed when the test ends.
func startServe(t *testing.T, cmd *exec.Cmd) *startedServe {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := new(lockedBuffer)
	cmd.Stderr = stderr
	// Its own process group, so that the cleanup reaches whatever it left
	// behind even when the test fails; and Wait does not wait on pipes a
	// leftover child still holds.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &startedServe{cmd: cmd, done: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // past the banner nobody reads
			}
		}
		close(lines)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	})
	var banner strings.Builder
	// A cold build of the binary (make run) takes a while on a busy machine.
	deadline := time.After(4 * time.Minute)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				<-s.done
				t.Fatalf("%v exited before its banner (%v):\n%s%s", cmd.Args, s.waitErr, banner.String(), stderr.String())
			}
			banner.WriteString(line + "\n")
			if line == "Press Ctrl-C to stop." {
				s.banner = banner.String()
				head, _, _ := strings.Cut(s.banner, "Walkthrough")
				for _, m := range loopbackPort.FindAllStringSubmatch(head, -1) {
					s.ports = append(s.ports, m[1])
				}
				if len(s.ports) < 4 {
					t.Fatalf("banner names %d loopback ports, want the gateway, dynalite, Step Functions and the simulator:\n%s", len(s.ports), s.banner)
				}
				return s
			}
		case <-deadline:
			t.Fatalf("%v printed no banner in time:\n%s%s", cmd.Args, banner.String(), stderr.String())
		}
	}
}

// stopAndCheckPorts sends sig to the process, waits for it to exit and
// checks that nothing listens on the banner's ports any more.
func (s *startedServe) stopAndCheckPorts(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
		var exit *exec.ExitError
		if s.waitErr != nil && !errors.As(s.waitErr, &exit) {
			t.Fatalf("wait: %v", s.waitErr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%v did not exit within 30 s of %v", s.cmd.Args, sig)
	}
	for _, p := range s.ports {
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+p, time.Second); err == nil {
			c.Close()
			t.Errorf("after %v, something still listens on port %s", sig, p)
		}
	}
}

// lockedBuffer collects a process's stderr while the test may read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Makefile")); err != nil {
		t.Fatalf("no Makefile at %s", dir)
	}
	return dir
}

// TestMakeRunStopsEverythingItStarted is the newcomer's loop: `make run`,
// stop it by its PID (SIGTERM, as kill does), `make run` again. make
// forwards SIGTERM to its recipe, whose shell was replaced by the binary,
// so serve itself must stop dynalite, the runner and every listener. The
// binary make built is then started directly and stopped with SIGINT, as
// Ctrl-C does.
func TestMakeRunStopsEverythingItStarted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("make"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but make is missing")
		}
		t.Skip("make is not installed")
	}
	root := repoRoot(t)
	run := exec.Command("make", "--no-print-directory", "-C", root, "run", "RUN_FLAGS=--addr 127.0.0.1:0 --time-scale 0.01")
	run.Env = serveEnv()
	s := startServe(t, run)
	t.Run("walkthrough twice", func(t *testing.T) { playWalkthroughTwice(t, root, s.banner) })
	s.stopAndCheckPorts(t, syscall.SIGTERM)

	direct := exec.Command(filepath.Join(root, "bin", "checkpoint-relay"), "serve", "--addr", "127.0.0.1:0")
	direct.Dir = t.TempDir() // serve runs from anywhere: the template is in the binary
	direct.Env = serveEnv()
	s = startServe(t, direct)
	s.stopAndCheckPorts(t, syscall.SIGINT)
}

// serveEnv is the test's environment without the variables serve reads,
// so it starts as it would in a fresh shell.
func serveEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "RELAY_"), strings.HasSuffix(k, "_BASE_URL"), strings.HasSuffix(k, "_API_KEY"),
			k == "TWILIO_AUTH_TOKEN", k == "CALLBACK_SIGNING_SECRET", k == "FORM_CSRF_KEY":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// walkthroughCommands returns the banner's commands in order: each starts
// on a line "   $ " and goes on while a line ends with a backslash.
func walkthroughCommands(banner string) []string {
	var cmds []string
	cont := false
	for _, line := range strings.Split(banner, "\n") {
		switch {
		case cont:
			cmds[len(cmds)-1] += "\n" + line
		case strings.HasPrefix(line, "   $ "):
			cmds = append(cmds, strings.TrimPrefix(line, "   $ "))
		default:
			continue
		}
		cont = strings.HasSuffix(line, "\\")
	}
	return cmds
}

// playWalkthroughTwice runs the banner's commands as printed, in a shell
// in the checkout (where make run's bin/checkpoint-relay is), twice against
// the same serve: register, send the SMS, watch the checkpoint and the
// callback receiver. The callback receiver's port is the only change,
// so that the test cannot collide with one a developer left running.
func playWalkthroughTwice(t *testing.T, root, banner string) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("CI=true but %s is missing", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	cmds := walkthroughCommands(banner)
	if len(cmds) != 5 || !strings.HasPrefix(cmds[0], "export ") {
		t.Fatalf("want 5 commands (export, callbacks, register, sms, status), got %d:\n%s", len(cmds), strings.Join(cmds, "\n---\n"))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().String()
	ln.Close()
	for i := range cmds {
		cmds[i] = strings.ReplaceAll(cmds[i], "127.0.0.1:8098", port)
	}
	shell := func(cmd string) *exec.Cmd {
		c := exec.Command("bash", "-c", cmds[0]+"\n"+cmd)
		c.Dir = root
		c.Env = serveEnv()
		return c
	}
	run := func(cmd string) string {
		t.Helper()
		out, err := shell(cmd).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", cmd, err, out)
		}
		return string(out)
	}

	receiver := shell("exec " + cmds[1])
	out, err := receiver.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	receiver.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := receiver.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-receiver.Process.Pid, syscall.SIGKILL)
		_ = receiver.Wait()
	})
	received := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			received <- sc.Text()
		}
		close(received)
	}()
	if line := <-received; !strings.Contains(line, "receiving callbacks on http://"+port) {
		t.Fatalf("callback receiver said %q", line)
	}

	idOf := regexp.MustCompile(`"id":"(cp_[a-z2-7]+)"`)
	statusOf := regexp.MustCompile(`"status":"([a-z_]+)"`)
	for round := 1; round <= 2; round++ {
		reg := run(cmds[2])
		m := idOf.FindStringSubmatch(reg)
		if m == nil {
			t.Fatalf("round %d: registration answered %s", round, reg)
		}
		id := m[1]
		if sms := run(cmds[3]); !strings.Contains(sms, "200 OK") {
			t.Fatalf("round %d: the SMS got %s", round, sms)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			view := run(strings.ReplaceAll(cmds[4], "<id>", id))
			st := statusOf.FindStringSubmatch(view)
			if st != nil && st[1] == "connected" {
				break
			}
			if st != nil && st[1] != "pending" || time.Now().After(deadline) {
				t.Fatalf("round %d: %s is not connected: %s", round, id, view)
			}
			time.Sleep(100 * time.Millisecond)
		}
		timeout := time.After(30 * time.Second)
		for got := false; !got; {
			select {
			case line, ok := <-received:
				if !ok {
					t.Fatalf("round %d: the callback receiver stopped", round)
				}
				if strings.Contains(line, id) {
					if !strings.Contains(line, "connected") || !strings.Contains(line, "signature verified") {
						t.Fatalf("round %d: callback %q", round, line)
					}
					got = true
				}
			case <-timeout:
				t.Fatalf("round %d: no callback for %s", round, id)
			}
		}
	}
}
