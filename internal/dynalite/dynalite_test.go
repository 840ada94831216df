package dynalite

import (
	"context"
	"encoding/json"
	"errors"
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

// TestFindLooksInNodeModulesThenPathThenNpx builds each situation a user
// may be in: a checkout with node_modules (from a subdirectory), a global
// install on PATH, only npx, nothing at all.
func TestFindLooksInNodeModulesThenPathThenNpx(t *testing.T) {
	exe := func(dir, name string) string {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	checkout := t.TempDir()
	local := exe(filepath.Join(checkout, "node_modules", ".bin"), "dynalite")
	sub := filepath.Join(checkout, "cmd", "x")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	global := exe(filepath.Join(t.TempDir(), "global"), "dynalite")
	npx := exe(filepath.Join(t.TempDir(), "npxonly"), "npx")

	for _, tc := range []struct {
		name       string
		start      string
		path       string
		wantArgv0  string
		wantSource string
	}{
		{"checkout", sub, filepath.Dir(global), local, "node_modules/.bin/dynalite in " + checkout},
		{"global install", elsewhere, filepath.Dir(global) + string(os.PathListSeparator) + filepath.Dir(npx), global, "dynalite on PATH"},
		{"npx only", elsewhere, filepath.Dir(npx), npx, "npx --yes dynalite@" + Version},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", tc.path)
			p, err := find([]string{tc.start})
			if err != nil {
				t.Fatal(err)
			}
			if p.Argv[0] != tc.wantArgv0 || !strings.HasPrefix(p.Source, tc.wantSource) {
				t.Fatalf("got %q from %q, want %s from %q", p.Argv, p.Source, tc.wantArgv0, tc.wantSource)
			}
		})
	}
	t.Run("nothing", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := find([]string{elsewhere})
		if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "npm install") {
			t.Fatalf("got %v, want ErrNotInstalled saying how to install it", err)
		}
	})
}

// TestVersionIsWhatPackageJSONPins keeps npx running the version the
// checkout installs.
func TestVersionIsWhatPackageJSONPins(t *testing.T) {
	b, err := os.ReadFile("../../package.json")
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		t.Fatal(err)
	}
	if got := pkg.DevDependencies["dynalite"]; got != Version {
		t.Fatalf("package.json pins dynalite %q, Version is %q", got, Version)
	}
}
