package extract

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusCase is one line of a testdata/*.jsonl corpus file. Exactly one of
// Text (an SMS), File (a raw mail under testdata/) or Subject/Body/HTML (a
// mail already parsed by a webhook) is the message.
type corpusCase struct {
	Channel string  `json:"channel"` // sms, email, parts
	Text    string  `json:"text,omitempty"`
	File    string  `json:"file,omitempty"`
	Subject string  `json:"subject,omitempty"`
	Body    string  `json:"body,omitempty"`
	HTML    string  `json:"html,omitempty"`
	Code    *string `json:"code"`
	Service *string `json:"service,omitempty"` // checked when present
	Note    string  `json:"note,omitempty"`
	// Class is the class of message a testdata/class_NAME.jsonl file
	// holds (NAME), "" for the regression corpus.
	Class string `json:"-"`
}

func loadCorpus(t testing.TB) (cases []corpusCase, where []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in testdata: %v", err)
	}
	for _, f := range files {
		class := ""
		if base := filepath.Base(f); strings.HasPrefix(base, "class_") {
			class = strings.TrimSuffix(strings.TrimPrefix(base, "class_"), ".jsonl")
		}
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "//") {
				continue
			}
			var c corpusCase
			if err := json.Unmarshal([]byte(line), &c); err != nil {
				t.Fatalf("%s:%d: %v", f, n, err)
			}
			c.Class = class
			cases = append(cases, c)
			where = append(where, f+":"+itoa(n))
		}
		fh.Close()
	}
	return cases, where
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func (c corpusCase) run(t testing.TB) Result {
	switch c.Channel {
	case "sms", "":
		return SMS(c.Text)
	case "email":
		raw, err := os.ReadFile(filepath.Join("testdata", c.File))
		if err != nil {
			t.Fatal(err)
		}
		return Email(raw)
	case "parts":
		return EmailParts(c.Subject, c.Body, c.HTML)
	}
	t.Fatalf("unknown channel %q", c.Channel)
	return Result{}
}

// TestCorpus runs every message of the regression corpus (the files that
// are not a class's) and fails on any miss: a wrong code, a missed code, a
// code where there is none, or a wrong service where the case names one.
func TestCorpus(t *testing.T) {
	cases, where := loadCorpus(t)
	if len(cases) < 400 {
		t.Errorf("corpus has %d messages, want at least 400", len(cases))
	}
	ok, n := 0, 0
	byChannel := map[string][2]int{}
	for i, c := range cases {
		if c.Class != "" {
			continue // measured per class by TestAccuracyByClass
		}
		n++
		got := c.run(t)
		want := ""
		if c.Code != nil {
			want = *c.Code
		}
		good := got.Code == want
		if good && c.Service != nil && got.Service != *c.Service {
			good = false
		}
		if got.Code == "" && got.Confidence != 0 || got.Code != "" && (got.Confidence < acceptScore || got.Confidence > 1) {
			t.Errorf("%s: confidence %v out of range for code %q", where[i], got.Confidence, got.Code)
		}
		st := byChannel[c.Channel]
		st[1]++
		if good {
			ok++
			st[0]++
		} else {
			svc := ""
			if c.Service != nil {
				svc = *c.Service
			}
			t.Errorf("%s: got code %q service %q (%.2f %s), want code %q service %q; %s",
				where[i], got.Code, got.Service, got.Confidence, got.Reason, want, svc, c.Note)
		}
		byChannel[c.Channel] = st
	}
	for ch, st := range byChannel {
		t.Logf("%-6s %d/%d", ch, st[0], st[1])
	}
	t.Logf("accuracy: %d/%d = %.2f%%", ok, n, 100*float64(ok)/float64(n))
}
