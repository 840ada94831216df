package extract

import (
	"sort"
	"strings"
)

// Scoring weights. A candidate starts from what its form alone is worth,
// gains from the words that name it as the code, and loses from the words
// that make it something else. acceptScore is the least a code needs; two
// different codes closer than ambiguityMargin are not told apart.
const (
	acceptScore     = 0.5
	ambiguityMargin = 0.15
	keywordGain     = 0.6
	serviceGain     = 0.2
	footerPenalty   = 0.3

	// windowBefore/After bound the text searched for keywords around a
	// candidate, in bytes.
	windowBefore = 240
	windowAfter  = 160
)

// baseScore is what a candidate's form alone says.
func baseScore(c *candidate) float64 {
	switch c.shape {
	case shapeOrigin:
		return 0.95
	case shapePrefixed:
		return 0.6
	case shapeAlnum, shapeSpaced, shapeLetters, shapeUneven:
		return 0.2
	case shapeGrouped:
		return 0.3
	}
	s := 0.25
	if len(c.code) == 6 {
		s = 0.3
	}
	if isYear(c.code) {
		s -= 0.1 // a prior only: dates around a year are penalised by context
	}
	return s
}

func isYear(code string) bool {
	return len(code) == 4 && (strings.HasPrefix(code, "19") || strings.HasPrefix(code, "20"))
}

// scoreContext scores c against the keywords around it. cands are all the
// candidates of the text: a keyword that another number sits closer to is
// that number's.
func scoreContext(t string, c *candidate, cands []candidate, footerAt int, all []match) {
	from := max(0, c.start-windowBefore)
	to := min(len(t), c.end+windowAfter)
	lo := sort.Search(len(all), func(i int) bool { return all[i].start >= from })
	hi := sort.Search(len(all), func(i int) bool { return all[i].start >= to })
	buf := all[lo:hi]

	// The nearest code word before the candidate shields it from penalty
	// words further back: "order confirmation code: 123456".
	shield := -1
	named := false // a code word stands right before: "code: #551029"
	best := 0.0
	strict := c.shape == shapeAlnum || c.shape == shapeLetters
	for i := range buf {
		m := &buf[i]
		if m.kw.kind != kindCode {
			continue
		}
		var p float64
		switch {
		case m.end <= c.start:
			gap := t[m.end:c.start]
			if o := listedAfter(t, cands, m.end, c); o >= 0 {
				// "482913 or 551920": the second has what the first has.
				gap = t[m.end:o]
			}
			p = proximityBefore(gap, strict)
			if p < 0.75 && m.kw.weight >= 0.9 && !strict && onOwnLine(t, c) && linesBetween(gap) {
				// The code set on its own line a few lines after its
				// code word, validity lines between: "Your code\nValid
				// for 10 minutes.\n\n482913".
				p = 0.75
			}
			if p > 0 {
				shield = max(shield, m.start)
			}
			// A letter code must be set apart by punctuation or a
			// connector ("code: KXPTMB", not "the code worked"); it may
			// end a phrase the code word opens ("código de acceso es:").
			if c.shape == shapeLetters {
				named = named || p >= 0.9 && m.kw.weight >= 0.9 && strings.TrimSpace(gap) != ""
			} else {
				named = named || p == 1 && m.kw.weight >= 0.9
			}
			if p > 0 && between(cands, m.end, c.start, c.code) && listedAfter(t, cands, m.end, c) < 0 {
				p *= 0.5
			}
		case m.start >= c.end && m.kw.weight >= 0.5:
			// Weak words are verbs that lead to the code ("use", "enter"):
			// after it they speak of something else. A code word right
			// before another number is that number's ("客户号 88120，验证码
			// 660421").
			if claimed(t, cands, m, c) {
				continue
			}
			p = proximityAfter(t[c.end:m.start], strict)
			if p > 0 && between(cands, c.end, m.start, c.code) {
				p *= 0.5
			}
		}
		best = max(best, p*m.kw.weight)
	}

	s := baseScore(c)
	switch {
	case c.shape == shapeOrigin:
		// The sender bound the code to its origin: no word around it
		// says otherwise.
		c.score, c.reason = s, "origin_bound"
		return
	case c.needsName && !named,
		(c.shape == shapeAlnum || c.shape == shapeUneven) && best < 0.8:
		c.score = 0 // these forms are a code only when named so
		return
	}
	s += keywordGain * best
	s -= penalties(t, c, buf, shield, named)
	if c.idPrefix {
		s -= 0.4
	}
	if footerAt >= 0 && c.start > footerAt {
		s -= footerPenalty
	}
	c.score = s
	switch {
	case c.shape == shapePrefixed:
		c.reason = "prefixed"
	case best > 0:
		c.reason = "keyword"
	default:
		c.reason = "form"
	}
}

// matchAround matches the lexicon once over the windows around all
// candidates, merged, so that text shared by neighbouring windows is read
// once. The matches come out ordered by start.
func matchAround(t string, cands []candidate, out []match) []match {
	var spanBuf [16][2]int
	spans := spanBuf[:0]
	for i := range cands {
		spans = append(spans, [2]int{max(0, cands[i].start-windowBefore), min(len(t), cands[i].end+windowAfter)})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	for i := 0; i < len(spans); {
		from, to := spans[i][0], spans[i][1]
		j := i + 1
		for j < len(spans) && spans[j][0] <= to {
			to = max(to, spans[j][1])
			j++
		}
		out = matchKeywords(t, from, to, out)
		i = j
	}
	return out
}

// penalties sums what the words around c say against it.
func penalties(t string, c *candidate, ms []match, shield int, named bool) float64 {
	var pen [kindNone + 1]float64
	fourDigits := len(c.code) == 4
	for i := range ms {
		m := &ms[i]
		k := m.kw.kind
		if k == kindCode || k == kindNone {
			continue
		}
		before := m.end <= c.start
		after := m.start >= c.end
		if !before && !after {
			continue
		}
		if k == kindMeeting {
			pen[k] = 0.6 // the whole message is an invitation
			continue
		}
		if k == kindTravel {
			if c.shape == shapeAlnum || c.shape == shapeLetters {
				pen[k] = 0.6 // a booking reference ("confirmation code: XK7P2Q")
			}
			continue
		}
		g := gapText(t, m, c)
		if k == kindPromo && after {
			// "code ZX9KQ2 for 10% off": the figure is the offer's.
			g = strings.TrimRight(g, "0123456789 ")
		}
		if before && m.end <= shield || detached(g) {
			continue // the word belongs to a nearer number, or to another sentence
		}
		var gap int
		if before {
			gap = units(t[m.end:c.start])
		} else {
			gap = units(t[c.end:m.start])
		}
		// A word between a code word and the number, in the same sentence,
		// with the number set apart after a colon or a line break, is most
		// likely part of that sentence: "enter this code to confirm your
		// account: 478120" (but "code for order 55128" names the order).
		weak := before && shield >= 0 && m.start >= shield && !sentenceBreak(t[shield:m.start]) &&
			strings.ContainsAny(t[m.end:c.start], ":\n")
		var p float64
		switch k {
		case kindNotCode:
			if before && gap <= 12 {
				p = 0.8
			}
		case kindCurrency:
			// "$1234", "USD 1234", "1234 EUR", "1234€"; but in "120,00 PLN:
			// 5510 2941" the currency is the amount's before it.
			g := strings.Trim(gapText(t, m, c), " :")
			if g == "" && !(before && isDigit(lastNonSpace(t[:m.start]))) {
				p = 0.9
			}
		case kindMoney:
			if before && gap <= 20 {
				p = 0.6
			}
		case kindRef:
			switch {
			case m.kw.text == "#" && (gap > 0 || named):
				// "<#>" opens Android SMS Retriever messages; "code: #551029"
			case before && gap <= 6:
				p = 0.6
			case before && gap <= 25:
				p = 0.35
			}
		case kindMask:
			if before && gap <= 4 {
				p = 0.8
			}
		case kindPhone:
			if before && gap <= 15 {
				p = 0.7
			}
		case kindDate:
			// A year follows "©", a month or a day ("12 May 2025"); it is
			// followed only by a year particle ("2025年", "2025 г.").
			switch {
			case !fourDigits:
			case before && gap <= 6:
				p = 0.6
			case after && gap <= 1 && m.kw.text != "©" && !strings.Contains(gapText(t, m, c), "\n"):
				p = 0.6
			}
		case kindAddress:
			if gap <= 20 {
				p = 0.4
			}
		case kindStaleBefore:
			if before && gap <= 12 {
				p = 0.5
			}
		case kindStaleAfter:
			if after && gap <= 20 {
				p = 0.5
			}
		case kindPromo:
			if gap <= 25 {
				p = 0.6
			}
		case kindError:
			// "code 404 not found", "error 500": a status, not a code.
			if after && gap <= 10 || before && gap <= 6 {
				p = 0.6
			}
		}
		if weak && (k == kindRef || k == kindPhone || k == kindMoney) {
			p *= 0.4
		}
		pen[k] = max(pen[k], p)
	}
	sum := 0.0
	for _, p := range pen {
		sum += p
	}
	return sum
}

// detached reports whether gap holds another number, a link, a comma
// or the end of a sentence: a word before it then says nothing of what
// follows ("Order 55120 ships...", "Dear Customer, 551920 is your OTP").
func detached(gap string) bool {
	for i := 0; i < len(gap); i++ {
		if isDigit(gap[i]) || gap[i] == '/' || gap[i] == ',' {
			return true
		}
	}
	return sentenceBreak(gap)
}

// lastNonSpace returns the last byte of s that is not a space, or 0.
func lastNonSpace(s string) byte {
	s = strings.TrimRight(s, " ")
	return byteAt(s, len(s)-1)
}

// gapText is the text between a match and a candidate, in either order.
func gapText(t string, m *match, c *candidate) string {
	if m.end <= c.start {
		return t[m.end:c.start]
	}
	return t[c.end:m.start]
}

// onOwnLine reports whether c is alone on its line.
func onOwnLine(t string, c *candidate) bool {
	s := c.start
	for s > 0 && t[s-1] == ' ' {
		s--
	}
	e := c.end
	for e < len(t) && (t[e] == ' ' || t[e] == '.') {
		e++
	}
	return (s == 0 || t[s-1] == '\n') && (e == len(t) || t[e] == '\n')
}

// linesBetween reports whether gap, between a code word and a code on its
// own line, spans at most four short lines: the code word's own line ending
// and validity or instruction lines.
func linesBetween(gap string) bool {
	return strings.Count(gap, "\n") <= 6 && units(gap) <= 120 && strings.Contains(gap, "\n")
}

// claimed reports whether the code word m, after c, stands right before
// another candidate, which it then names instead of c.
func claimed(t string, cands []candidate, m *match, c *candidate) bool {
	for i := range cands {
		o := &cands[i]
		if o.start >= m.end && o.code != c.code && o.start-m.end <= 16 && adjacent(t[m.end:o.start]) {
			return true
		}
	}
	return false
}

// between reports whether a candidate with another code lies in t[from:to].
func between(cands []candidate, from, to int, code string) bool {
	for i := range cands {
		if cands[i].start >= from && cands[i].end <= to && cands[i].code != code {
			return true
		}
	}
	return false
}
