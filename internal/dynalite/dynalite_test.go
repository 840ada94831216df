package dynalite

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartListensOnLoopbackAndCloseStopsIt(t *testing.T) {
	s, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Endpoint, "http://127.0.0.1:") {
		t.Fatalf("endpoint %q is not on loopback", s.Endpoint)
	}
	addr := strings.TrimPrefix(s.Endpoint, "http://")
	if c, err := net.DialTimeout("tcp", addr, time.Second); err != nil {
		t.Fatalf("dynalite not listening: %v", err)
	} else {
		c.Close()
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("dynalite still listening after Close")
	}
	// Close twice is harmless.
	_ = s.Close()
}

func TestRepoRootHoldsGoMod(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("RepoRoot %q holds no go.mod: %v", root, err)
	}
}
