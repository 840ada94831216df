package main

import (
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
