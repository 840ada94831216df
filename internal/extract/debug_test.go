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
	var buf []match
	for i := range cands {
		buf = scoreContext(n, &cands[i], cands, footerStart(n), buf)
		for _, m := range buf {
			t.Logf("   kw %q kind %d", m.kw.text, m.kw.kind)
		}
		t.Logf("cand %q shape %d score %.2f %s", cands[i].code, cands[i].shape, cands[i].score, cands[i].reason)
	}
	t.Logf("%+v", SMS(s))
}
