package main

import (
	"context"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// syncBuffer lets the test read what the running command printed.
type syncBuffer struct{ ch chan string }

func (b syncBuffer) Write(p []byte) (int, error) { b.ch <- string(p); return len(p), nil }

// TestSolveAndResendAgainstTheSimulator runs the CLI end to end: the
// simulate command serves the APIs, solve and resend call them.
func TestSolveAndResendAgainstTheSimulator(t *testing.T) {
	t.Setenv("POSTPRESS_API_KEY", "pp-secret")
	t.Setenv("LINKUP_API_KEY", "")
	t.Setenv("EDGES_API_KEY", "")
	ctx, cancel := context.WithCancel(context.Background())
	out := syncBuffer{make(chan string, 4)}
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"simulate", "--addr", "127.0.0.1:0"}, strings.NewReader(""), out, io.Discard)
	}()
	var banner string
	select {
	case banner = <-out.ch:
	case code := <-exited:
		t.Fatalf("simulate exited %d", code)
	case <-time.After(10 * time.Second):
		t.Fatal("simulate printed nothing")
	}
	base := regexp.MustCompile(`http://[0-9.:]+`).FindString(banner)
	if base == "" {
		t.Fatalf("no address in %q", banner)
	}

	tests := []struct {
		args        []string
		wantOutcome string
	}{
		{[]string{"solve", "--api", "postpress", "--api-key", "pp-secret", "--account-id", "demo", "--code", "000000"}, "invalid_code"},
		{[]string{"resend", "--api", "postpress", "--api-key", "pp-secret", "--account-id", "demo", "--provider", "LINKEDIN"}, "resent"},
		{[]string{"solve", "--api", "postpress", "--api-key", "pp-secret", "--account-id", "demo", "--code", "123456"}, "connected"},
		{[]string{"solve", "--api", "postpress", "--api-key", "wrong", "--account-id", "demo2", "--code", "123456"}, "rejected"},
		{[]string{"solve", "--api", "edges", "--api-key", "sim-key", "--account-id", "uid-1"}, "pending"},
		{[]string{"solve", "--api", "linkup", "--api-key", "sim-key", "--account-id", "l-1", "--code", "123456"}, "connected"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCLI(append(tt.args, "--base-url", base)...)
		var res map[string]any
		if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res["outcome"] != tt.wantOutcome {
			t.Errorf("%v: exit %d out %q err %q, want outcome %s", tt.args, code, stdout, stderr, tt.wantOutcome)
		}
	}
	cancel()
	if code := <-exited; code != 0 {
		t.Fatalf("simulate exited %d after cancel", code)
	}
}

func TestSimulateRefusesBadFlags(t *testing.T) {
	if code, _, errOut := runCLI("simulate", "--time-scale", "0"); code == 0 || !strings.Contains(errOut, "positive") {
		t.Fatalf("exit %d err %q", code, errOut)
	}
}
