package providerapi

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/outcomes.md from the outcome table")

// The outcome table is documented in docs/outcomes.md; this keeps the
// document and the code from drifting apart.
func TestOutcomesDocIsCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "outcomes.md")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	const marker = "| api | endpoint |"
	i := strings.Index(doc, marker)
	if i < 0 {
		t.Fatalf("%s has no table", path)
	}
	if doc[i:] == MarkdownTable() {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(doc[:i]+MarkdownTable()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s is out of date with the outcome table: run go test ./internal/providerapi -run TestOutcomesDoc -update", path)
}
