package extract

import (
	"os"
	"testing"
)

func TestDebugOne(t *testing.T) {
	s := os.Getenv("EXTRACT_DEBUG")
	if s == "" {
		t.Skip()
	}
	n := normalize(s)
	cands := findCandidates(n, nil)
	ms := matchAround(n, cands, nil)
	for _, m := range ms {
		t.Logf("   kw %q kind %d at %d", m.kw.text, m.kw.kind, m.start)
	}
	for i := range cands {
		scoreContext(n, &cands[i], cands, footerStart(n), ms)
		t.Logf("cand %q shape %d score %.2f %s", cands[i].code, cands[i].shape, cands[i].score, cands[i].reason)
	}
	t.Logf("%+v", SMS(s))
}
