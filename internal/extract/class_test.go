package extract

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// classFloors is the least accuracy each class of the corpus
// (testdata/class_NAME.jsonl) must keep. They only go up.
var classFloors = map[string]float64{
	"groups":     1,
	"letters":    1,
	"origin":     1,
	"languages":  1,
	"distance":   1,
	"twonumbers": 1,
	"lengths":    1,
	"nocode":     1,
}

// minClassCases is the least number of cases a class holds.
const minClassCases = 8

// TestAccuracyByClass reports the accuracy of every class of the corpus
// (visible with -v) and fails when a class falls below its floor, and on
// any code read out of a message that holds none, whatever its file: a
// wrong code costs one of a checkpoint's few attempts.
func TestAccuracyByClass(t *testing.T) {
	cases, where := loadCorpus(t)
	type tally struct{ ok, total, falseCodes, wrongCodes int }
	byClass := map[string]*tally{}
	for class := range classFloors {
		byClass[class] = &tally{}
	}
	falseCodes, noCode := 0, 0
	for i, c := range cases {
		got := c.run(t)
		want := ""
		if c.Code != nil {
			want = *c.Code
		}
		if want == "" {
			noCode++
			if got.Code != "" {
				falseCodes++
				t.Errorf("%s: false code %q (%.2f %s) in a message without one; %s", where[i], got.Code, got.Confidence, got.Reason, c.Note)
			}
		}
		if c.Class == "" {
			continue
		}
		st, ok := byClass[c.Class]
		if !ok {
			t.Fatalf("%s: class %q has no floor in classFloors", where[i], c.Class)
		}
		st.total++
		switch {
		case got.Code == want:
			st.ok++
			continue
		case want == "":
			st.falseCodes++
		case got.Code != "":
			st.wrongCodes++
		}
		t.Logf("miss %s: got %q (%.2f %s), want %q; %s", where[i], got.Code, got.Confidence, got.Reason, want, c.Note)
	}
	classes := make([]string, 0, len(byClass))
	for class := range byClass {
		classes = append(classes, class)
	}
	sort.Strings(classes)
	var summary []string
	for _, class := range classes {
		st := byClass[class]
		if st.total < minClassCases {
			t.Errorf("class %s has %d cases, want at least %d", class, st.total, minClassCases)
			continue
		}
		acc := float64(st.ok) / float64(st.total)
		t.Logf("class %-10s %3d/%-3d %6.1f%%  (floor %5.1f%%, wrong codes %d, false codes %d)",
			class, st.ok, st.total, 100*acc, 100*classFloors[class], st.wrongCodes, st.falseCodes)
		if acc < classFloors[class] {
			t.Errorf("class %s: accuracy %.1f%% below its floor %.1f%%", class, 100*acc, 100*classFloors[class])
		}
		summary = append(summary, fmt.Sprintf("%s %.0f%%", class, 100*acc))
	}
	t.Logf("accuracy by class: %s; false codes %d/%d no-code messages", strings.Join(summary, ", "), falseCodes, noCode)
}
