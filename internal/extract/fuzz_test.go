package extract

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkInvariants holds for every result, whatever the input: confidence in
// [0, 1] and zero without a code; a code of 3 to 10 ASCII digits and
// letters that occurs, letters in the same case, in the input once its
// separators (space, dash) are taken out; a reason always.
func checkInvariants(t *testing.T, r Result, inputs ...string) {
	t.Helper()
	if r.Confidence < 0 || r.Confidence > 1 || r.Code == "" && r.Confidence != 0 {
		t.Fatalf("confidence %v with code %q", r.Confidence, r.Code)
	}
	if r.Reason == "" {
		t.Fatalf("no reason for %+v", r)
	}
	if r.Code == "" {
		return
	}
	if n := len(r.Code); n < minNamedLen || n > maxNamedLen {
		t.Fatalf("code %q has %d characters", r.Code, n)
	}
	for i := 0; i < len(r.Code); i++ {
		if c := r.Code[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			t.Fatalf("code %q holds %q", r.Code, c)
		}
	}
	for _, in := range inputs {
		_, cased := normalizeCased(in)
		squeezed := strings.NewReplacer(" ", "", "-", "", "\n", "").Replace(cased)
		if strings.Contains(squeezed, r.Code) {
			return
		}
	}
	t.Fatalf("code %q does not occur in the input", r.Code)
}

// addCorpusSeeds seeds a fuzz target with the corpus messages of a channel.
func addCorpusSeeds(f *testing.F, channel string, add func(c corpusCase)) {
	cases, _ := loadCorpus(f)
	for _, c := range cases {
		if c.Channel == channel {
			add(c)
		}
	}
}

// hostileSeeds are inputs built to make the scan slow or confused: long
// runs of digits, keywords and separators, deep HTML, lines of origin-bound
// codes.
var hostileSeeds = []string{
	strings.Repeat("1 ", 4000), strings.Repeat("pin 1234 ", 800), strings.Repeat("code promo 123456 ", 400),
	strings.Repeat("a1", 4000), strings.Repeat("code: 1234\n", 600), strings.Repeat("验证码123456，", 500),
	strings.Repeat("@a.b #1234\n", 600), strings.Repeat("1.", 4000), strings.Repeat("<td>1</td>", 2000),
	strings.Repeat("<span>", 3000) + "804706", "\u200f\u0661\u0662\u0663\u0664\u0665\u0666\u200e is your code",
}

func FuzzSMS(f *testing.F) {
	addCorpusSeeds(f, "sms", func(c corpusCase) { f.Add(c.Text) })
	for _, s := range hostileSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkInvariants(t, SMS(text), text)
	})
}

func FuzzEmailParts(f *testing.F) {
	addCorpusSeeds(f, "parts", func(c corpusCase) { f.Add(c.Subject, c.Body, c.HTML) })
	for _, s := range hostileSeeds {
		f.Add("Your code", s, s)
	}
	f.Fuzz(func(t *testing.T, subject, text, html string) {
		// The HTML part is read as rendered text; compare against that.
		checkInvariants(t, EmailParts(subject, text, html), subject+"\n"+text, subject+"\n"+htmlToText(html))
	})
}

func FuzzEmail(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "mail", "*.eml"))
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := Email(raw)
		// The code must come from the decoded message: its subject, text
		// or rendered HTML, or the raw bytes when they are not a message.
		inputs := []string{string(raw)}
		if env, err := mailParser.ReadEnvelope(strings.NewReader(string(raw))); err == nil {
			inputs = append(inputs, env.GetHeader("Subject")+"\n"+env.Text, env.GetHeader("Subject")+"\n"+htmlToText(env.HTML))
		}
		checkInvariants(t, r, inputs...)
	})
}
