package providerapi

import (
	"bytes"
	"encoding/json"
	"html"
	"regexp"
	"strings"
	"unicode"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// Codes never leave the relay in a Result: a provider may echo the code it
// was sent (`"the code 12345678 is not valid"`, an HTML error page that
// repeats the request), and a Result's text is logged, stored while an
// outcome waits, and handed to the state machine, whose history keeps it.
// So every Result a client returns goes through finish, which removes the
// codes sent from every provider text in it, in whatever form they came
// back, and only then clips the text.

// redactedCode replaces a code in provider text.
const redactedCode = "[code]"

// minRedacted: shorter "codes" (none is: extract reads 4 to 8
// characters) would blank ordinary text.
const minRedacted = 4

// maxSeparators is how many non-alphanumeric characters may stand between
// two characters of an echoed code ("123 456", "1-2-3-4", "12. 34").
const maxSeparators = 3

// finish is deferred by every Solve and Resend: it gives the Result the
// account it was about, and removes the codes sent from its provider texts
// before clipping them.
func finish(res *Result, err *error, accountID string, codes ...string) {
	if *err == nil && res.AccountID == "" {
		res.AccountID = accountID
	}
	res.Detail = clip(redact(res.Detail, codes...))
	res.ErrorType = clip(redact(res.ErrorType, codes...))
	if n := res.NextCheckpoint; n != nil {
		n.Type = checkpoint.Type(clip(redact(string(n.Type), codes...)))
		n.Platform = clip(redact(n.Platform, codes...))
	}
}

// redact removes every code from s: matched without regard to case or
// width (full-width digits and letters), with up to maxSeparators
// non-alphanumeric characters (spaces, dashes, dots, no-break spaces,
// zero-width characters) between its characters, after HTML tags and
// entities are removed.
func redact(s string, codes ...string) string {
	if s == "" {
		return s
	}
	text := []rune(plain(s))
	folded := make([]rune, len(text))
	for i, r := range text {
		folded[i] = fold(r)
	}
	cut := make([]bool, len(text))
	found := false
	for _, c := range codes {
		var want []rune
		for _, r := range c {
			if r = fold(r); significant(r) {
				want = append(want, r)
			}
		}
		if len(want) < minRedacted {
			continue
		}
		for i := 0; i < len(folded); i++ {
			if end, ok := matchAt(folded, i, want); ok {
				for j := i; j < end; j++ {
					cut[j] = true
				}
				found = true
				i = end - 1
			}
		}
	}
	if !found {
		return string(text)
	}
	var b strings.Builder
	for i, r := range text {
		switch {
		case !cut[i]:
			b.WriteRune(r)
		case i == 0 || !cut[i-1]:
			b.WriteString(redactedCode)
		}
	}
	return b.String()
}

// matchAt reports whether want starts at text[i], and where it ends.
func matchAt(text []rune, i int, want []rune) (int, bool) {
	if text[i] != want[0] {
		return 0, false
	}
	j, k := i+1, 1
	for k < len(want) {
		seps := 0
		for j < len(text) && !significant(text[j]) && seps < maxSeparators {
			j, seps = j+1, seps+1
		}
		if j >= len(text) || text[j] != want[k] {
			return 0, false
		}
		j, k = j+1, k+1
	}
	return j, true
}

// fold maps full-width digits and letters to ASCII and letters to upper
// case.
func fold(r rune) rune {
	switch {
	case r >= '０' && r <= '９':
		r = r - '０' + '0'
	case r >= 'Ａ' && r <= 'Ｚ':
		r = r - 'Ａ' + 'A'
	case r >= 'ａ' && r <= 'ｚ':
		r = r - 'ａ' + 'a'
	}
	return unicode.ToUpper(r)
}

func significant(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

var htmlMarkup = regexp.MustCompile(`(?s)<!--.*?-->|<[^>]*>`)

// plain is provider text as a reader sees it: HTML tags and comments
// removed, entities decoded, whitespace runs made one space. A code split
// by markup ("<b>1234</b>5678") or spelled as entities is then one text.
func plain(s string) string {
	if strings.ContainsAny(s, "<&") {
		s = html.UnescapeString(htmlMarkup.ReplaceAllString(s, " "))
	}
	return strings.Join(strings.Fields(s), " ")
}

// bodyText is a body that could not be branched on, as text for the
// operator: a JSON body re-encoded without its escapes (so an escaped code
// is redacted like any other), anything else as plain text.
func bodyText(body []byte) string {
	trimmed := bytes.TrimSpace(body)
	var v any
	if len(trimmed) > 0 && json.Unmarshal(trimmed, &v) == nil {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if enc.Encode(v) == nil {
			return strings.TrimSpace(b.String())
		}
	}
	if s := plain(string(body)); s != "" {
		return s
	}
	return "(empty)"
}
