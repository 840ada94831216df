package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
)

func TestOutcomesPrintsTheTable(t *testing.T) {
	code, out, errOut := runCLI("outcomes")
	if code != 0 || errOut != "" || out != providerapi.MarkdownTable() {
		t.Fatalf("exit %d err %q", code, errOut)
	}
	code, out, _ = runCLI("outcomes", "--json")
	var rows []providerapi.Row
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != len(providerapi.OutcomeTable()) {
		t.Fatalf("exit %d, %d rows from %q", code, len(rows), out[:min(len(out), 80)])
	}
	if code, _, errOut := runCLI("outcomes", "--yaml"); code == 0 || !strings.Contains(errOut, "not defined") {
		t.Fatalf("unknown flag: exit %d err %q", code, errOut)
	}
}
