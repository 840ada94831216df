package main

import (
	"strings"
	"testing"

	"github.com/checkpoint-relay/checkpoint-relay/internal/localstack"
)

// The banner shows the relay API key only when serve generated it: a key
// the operator set is theirs, and may be a real one that a shared terminal
// or a CI log should not show.
func TestServeBannerPrintsOnlyAGeneratedKey(t *testing.T) {
	const key = "operator-key-0123456789abcdef"
	for _, tc := range []struct {
		name      string
		generated bool
	}{{"generated", true}, {"set by the operator", false}} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			st := &localstack.Stack{URL: "http://127.0.0.1:3000", RelayAPIKey: key, Generated: map[string]string{}}
			if tc.generated {
				st.Generated["RELAY_API_KEY"] = key
			}
			printWalkthrough(&b, st, "checkpoint-relay")
			out := b.String()
			if got := strings.Contains(out, key); got != tc.generated {
				t.Fatalf("banner shows the key: %v, want %v\n%s", got, tc.generated, out)
			}
			if !tc.generated && !strings.Contains(out, "$RELAY_API_KEY") {
				t.Fatalf("banner does not say which key to use:\n%s", out)
			}
		})
	}
}
