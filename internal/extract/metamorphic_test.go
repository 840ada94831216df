package extract

import (
	"strings"
	"testing"
)

// trapSentences carry numbers that are never the code. Put after a message,
// they must change neither the code read nor the absence of one.
var trapSentences = []string{
	"Questions? Call +1 650 555 0134.",
	"Sent 12/05/2025 at 10:32.",
	"Order 55120 ships on May 14.",
	"Balance: 1,204.50 EUR.",
	"© 2025 Example Corp, 500 Main Street, Springfield, IL 62701.",
	"Reply STOP to 72211 to opt out.",
	"Details: https://example.com/a/88120931?id=4410",
	"Card ending in 4821.",
	"Use promo code SUMMER25 for 10% off.",
}

// TestTrapSentencesChangeNothing puts each trap sentence, on a line of its
// own, after and before every SMS of the corpus and expects the same answer.
func TestTrapSentencesChangeNothing(t *testing.T) {
	cases, where := loadCorpus(t)
	misses, runs := 0, 0
	for i, c := range cases {
		if c.Channel != "sms" || strings.TrimSpace(c.Text) == "" {
			continue
		}
		// The answer on the message alone: the regression corpus holds it
		// to the expected code, the class files to their floors.
		want := SMS(c.Text).Code
		for _, trap := range trapSentences {
			for _, text := range [...]string{c.Text + "\n" + trap, trap + "\n" + c.Text} {
				runs++
				if got := SMS(text); got.Code != want {
					misses++
					t.Errorf("%s as %q: got %q (%s), want %q", where[i], text, got.Code, got.Reason, want)
				}
			}
		}
	}
	t.Logf("%d/%d unchanged", runs-misses, runs)
}

// TestForwardingChangesNothing forwards every SMS of the corpus as the body
// of a Gmail and an Outlook forward and expects the same code.
func TestForwardingChangesNothing(t *testing.T) {
	cases, where := loadCorpus(t)
	wrappers := []string{
		"FYI\n\n---------- Forwarded message ---------\nFrom: Alerts <alerts@example.com>\nDate: Mon, May 12, 2025 at 10:32 AM\nSubject: Message\nTo: <me@example.com>\n\n%s\n",
		"\n________________________________\nFrom: Alerts <alerts@example.com>\nSent: Monday, May 12, 2025 10:32 AM\nTo: me@example.com\nSubject: Message\n\n%s\n",
	}
	for i, c := range cases {
		if c.Channel != "sms" || strings.TrimSpace(c.Text) == "" {
			continue
		}
		want := SMS(c.Text).Code
		for _, w := range wrappers {
			if got := EmailParts("Fwd: Message", strings.Replace(w, "%s", c.Text, 1), ""); got.Code != want {
				t.Errorf("%s forwarded: got %q (%s), want %q", where[i], got.Code, got.Reason, want)
			}
		}
	}
}

// TestDigitScriptsChangeNothing writes every SMS of the corpus with
// Arabic-Indic, Persian and full-width digits and expects the same code.
func TestDigitScriptsChangeNothing(t *testing.T) {
	cases, where := loadCorpus(t)
	for i, c := range cases {
		if c.Channel != "sms" {
			continue
		}
		want := SMS(c.Text)
		for _, zero := range []rune{0x0660, 0x06F0, 0xFF10} {
			text := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return zero + r - '0'
				}
				return r
			}, c.Text)
			if got := SMS(text); got.Code != want.Code {
				t.Errorf("%s with digits from U+%04X: got %q (%s), want %q", where[i], zero, got.Code, got.Reason, want.Code)
			}
		}
	}
}
