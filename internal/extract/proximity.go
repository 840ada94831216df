package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// listWords join numbers given as alternatives: "482913 or 771204".
var listWords = map[string]bool{
	"or": true, "and": true, "ou": true, "oder": true, "o": true, "y": true, "e": true, "или": true,
	"und": true, "et": true, "of": true, "en": true, "veya": true, "或": true, "/": true, ",": true,
}

// listedAfter returns where the candidate starts that c directly follows
// as an alternative to it, after from, or -1; both then share the code word
// before them.
func listedAfter(t string, cands []candidate, from int, c *candidate) int {
	for i := range cands {
		o := &cands[i]
		if o.start >= from && o.end <= c.start && o.code != c.code {
			gap := strings.TrimSpace(t[o.end:c.start])
			if listWords[gap] {
				return o.start
			}
		}
	}
	return -1
}

// proximityBefore rates a code word that ends gap before the candidate.
func proximityBefore(gap string, strict bool) float64 {
	if adjacent(gap) {
		return 1
	}
	n := units(gap)
	brk := sentenceBreak(gap)
	// "Please use this verification code to complete your sign in: 804706":
	// a sentence that names the code and ends in a colon introduces it.
	if !brk && n <= 60 && strings.HasSuffix(strings.TrimRight(gap, " \n"), ":") {
		return 0.9
	}
	// "Ihre TAN für den Auftrag vom 12.05.2025 über 1.250,00 EUR ...
	// lautet 482913": the sentence the code word opens ends in "is".
	if !brk && !strict && n <= 80 && endsWithCopula(gap) {
		return 0.8
	}
	if strict {
		return 0
	}
	var p float64
	switch {
	case n <= 20:
		p = 0.8
	case n <= 50:
		p = 0.55
	case n <= 100:
		p = 0.35
	default:
		return 0
	}
	if brk {
		return p * 0.5
	}
	return p
}

// proximityAfter rates a code word that starts gap after the candidate:
// "804706 is your LinkedIn verification code".
func proximityAfter(gap string, strict bool) float64 {
	n := units(gap)
	brk := sentenceBreak(gap)
	if strict && (n > 25 || brk) {
		return 0
	}
	var p float64
	switch {
	case n <= 30:
		p = 0.85
	case n <= 60:
		p = 0.55
	default:
		return 0
	}
	if brk {
		p *= 0.4
	}
	return p
}

// units measures a gap in characters, a run of spaces counting as one.
func units(gap string) int {
	n := 0
	space := false
	for _, r := range gap {
		if r == ' ' || r == '\n' {
			if !space {
				n++
			}
			space = true
			continue
		}
		space = false
		n++
	}
	return n
}

// sentenceBreak reports whether a sentence ends inside gap.
func sentenceBreak(gap string) bool {
	for i := 0; i < len(gap); i++ {
		switch gap[i] {
		case '.', '!', '?':
			if c := byteAt(gap, i+1); c == ' ' || c == '\n' {
				return true
			}
		}
	}
	return strings.Contains(gap, "。") || strings.Contains(gap, "！") || strings.Contains(gap, "？")
}

// connectors are the words allowed between a code word and the code for the
// two to count as one phrase: "code is 123456", "code est : 123456",
// "コードは123456", "인증번호는 123456".
var connectors = map[string]bool{
	"is": true, "est": true, "ist": true, "lautet": true, "es": true, "é": true, "è": true, "jest": true,
	"er": true, "är": true, "on": true, "là": true, "adalah": true, "anda": true, "hu": true, "was": true, "will": true, "be": true, "de": true, "van": true, "da": true, "del": true,
	"het": true, "sind": true, "le": true, "este": true, "je": true, "ni": true, "olarak": true, "budur": true,
	"为": true, "為": true, "是": true, "は": true, "：": true, "는": true, "은": true, "이": true, "가": true,
	"هو": true, "هي": true, "است": true, "הוא": true, "—": true, "号": true, "码": true, "番号": true,
}

// copulas end a sentence that states what its subject is.
var copulas = []string{" is", " lautet", " ist", " est", " es", " é", " è", " jest", " är", " er", " là", " adalah", " hu"}

func endsWithCopula(gap string) bool {
	g := strings.TrimRight(gap, " \n")
	for _, c := range copulas {
		if strings.HasSuffix(g, c) {
			return true
		}
	}
	return false
}

// adjacent reports whether gap holds only punctuation and connector words.
func adjacent(gap string) bool {
	words := 0
	for f := range strings.FieldsFuncSeq(gap, isJoinPunct) {
		if !connectors[f] || words == 2 {
			return false
		}
		words++
	}
	return true
}

func isJoinPunct(r rune) bool {
	switch r {
	case ' ', '\n', ':', '-', '=', '*', '"', '\'', '«', '»', '“', '”', '‘', '’', '(', '[', '【', '「',
		'『', '<', '>', '》', '《', '〔', '（', '→', '#', '|':
		return true
	}
	return r >= utf8.RuneSelf && unicode.IsSpace(r)
}
