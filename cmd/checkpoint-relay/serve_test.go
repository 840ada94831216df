package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The stack itself is tested end to end in internal/localstack; here, only
// that serve refuses bad usage before starting anything.
func TestServeRefusesBadUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"zero time scale", []string{"serve", "--time-scale", "0"}, "--time-scale"},
		{"time scale above one", []string{"serve", "--time-scale", "2"}, "--time-scale"},
		{"unknown flag", []string{"serve", "--port", "3000"}, "port"},
		{"stray argument", []string{"serve", "now"}, "now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(tc.args...)
			if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
	}
}

func TestServeNamesAMissingTemplate(t *testing.T) {
	code, _, errOut := runCLI("serve", "--addr", "127.0.0.1:0", "--template", filepath.Join(t.TempDir(), "template.yaml"))
	if code != 1 || !strings.Contains(errOut, "template") || !strings.Contains(errOut, "no such file") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
