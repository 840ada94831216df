package extract

import "strings"

// shape says how a candidate was written; it sets the candidate's base score
// and what evidence it needs before it can be believed.
type shape uint8

const (
	shapeDigits   shape = iota // "804706"
	shapeGrouped               // "123 456", "123-456", "12 34 56"
	shapeSpaced                // "8 0 4 7 0 6" (often a code box in HTML)
	shapePrefixed              // "G-123456", "FB-12345"
	shapeUneven                // "734-2190", "1180 442": a 3+4 or 4+3 group
	shapeAlnum                 // "5xv8x3ck": believed only when named as the code
	shapeLetters               // "KXPTMB", "ABC-D12", "K 7 X Q 2 P": only right after a code word
	shapeOrigin                // "@linkedin.com #804706"
)

// candidate is one string in the normalised text that could be the code.
type candidate struct {
	code       string // as returned: separators removed, letters as written
	start, end int    // byte offsets in the normalised text
	shape      shape
	service    string // service implied by the form itself (prefix, origin line)
	idPrefix   bool   // letters and a dash before it: "ORD-123456", "REF-2291"
	// needsName marks a form that is a code only when a strong code word
	// stands right before it ("code: 548", "OTP: 1234567890", "passcode:
	// KXPTMB"): 3, 9 and 10 digits, letters-only, dashed and spaced-out
	// letter codes.
	needsName bool
	score     float64
	reason    string
}

const (
	minCodeLen = 4
	maxCodeLen = 8
	// minNamedLen and maxNamedLen bound the digits-only codes taken right
	// after a strong code word.
	minNamedLen = 3
	maxNamedLen = 10
	// maxCandidates bounds the work on hostile input; a real message has a
	// handful of numbers near its code.
	maxCandidates = 64
)

// codePrefixes are the letter prefixes services put before a numeric code.
var codePrefixes = map[string]string{"g": "GOOGLE", "fb": "MESSENGER"}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }

// byteAt returns t[i], or 0 outside t, so that neighbour checks need no
// bounds checks of their own.
func byteAt(t string, i int) byte {
	if i < 0 || i >= len(t) {
		return 0
	}
	return t[i]
}

// findCandidates lists the strings of t (normalised) that have the form of a
// code; cased is t with its ASCII letters as written, which codes are read
// from. Forms that are never a code are rejected here: numbers that
// continue with a decimal, date or time separator, phone numbers, numbers
// inside URLs and e-mail addresses, masked card numbers, app signature
// hashes.
func findCandidates(t, cased string, out []candidate) []candidate {
	out = findOriginBound(t, cased, out)
	for i := 0; i < len(t) && len(out) < maxCandidates; {
		if !isAlnum(t[i]) {
			i++
			continue
		}
		if c, ok := spacedLetters(t, cased, i); ok {
			out = append(out, c)
			i = c.end
			continue
		}
		j, letters := i, 0
		for j < len(t) && isAlnum(t[j]) {
			if isLetter(t[j]) {
				letters++
			}
			j++
		}
		if letters == 0 {
			var next int
			out, next = numericRun(t, i, out)
			i = next
			continue
		}
		if c, ok := dashedLetters(t, cased, i, j); ok {
			out = append(out, c)
			i = c.end
			continue
		}
		if c, ok := alnumCandidate(t, cased, i, j, letters); ok {
			out = append(out, c)
		}
		i = j
	}
	return out
}

// group is one all-digit word of a numeric run and the separator before it.
type group struct {
	start, end int
	sep        byte
}

// maxGroups bounds a numeric run; longer runs are tables of figures.
const maxGroups = 12

// numericRun reads the run of digit groups starting at t[i] (groups joined by
// one separator character: space, dash, dot, comma, colon or slash) and
// appends the candidates it holds. It returns the offset after the run.
func numericRun(t string, i int, out []candidate) ([]candidate, int) {
	var groups [maxGroups]group
	n := 0
	var sep byte
	k := i
	for {
		e := k
		for e < len(t) && isDigit(t[e]) {
			e++
		}
		if n < len(groups) {
			groups[n] = group{k, e, sep}
		}
		n++
		sep = byteAt(t, e)
		if sep == 0 || strings.IndexByte(" -.,:/", sep) < 0 || !digitWordAt(t, e+1) {
			k = e
			break
		}
		k = e + 1
	}
	end := k
	if n > len(groups) {
		return out, end
	}
	gs := groups[:n]
	if n == 1 {
		return appendDigits(t, gs[0].start, gs[0].end, out), end
	}
	if code, sh, ok := joinGroups(t, gs); ok && numericBoundsOK(t, gs[0].start, end) && !insideLink(t, gs[0].start, end) {
		return append(out, candidate{code: code, start: gs[0].start, end: end, shape: sh}), end
	}
	if phoneLike(t, gs) {
		return out, end
	}
	// Split at spaces: "8812093 657-992", "Ref: 99-1203 839464" hold
	// separate numbers side by side.
	for a := 0; a < n; {
		b := a + 1
		for b < n && gs[b].sep != ' ' {
			b++
		}
		sub := gs[a:b]
		switch {
		case len(sub) == 1:
			out = appendDigits(t, sub[0].start, sub[0].end, out)
		case sameSep(sub, '-'):
			s, e := sub[0].start, sub[len(sub)-1].end
			if code, sh, ok := joinGroups(t, sub); ok && numericBoundsOK(t, s, e) && !insideLink(t, s, e) {
				out = append(out, candidate{code: code, start: s, end: e, shape: sh})
			}
		}
		a = b
	}
	return out, end
}

// appendDigits appends t[s:e], a number standing alone, if it can be a code.
func appendDigits(t string, s, e int, out []candidate) []candidate {
	if l := e - s; l < minNamedLen || l > maxNamedLen || !numericBoundsOK(t, s, e) || insideLink(t, s, e) {
		return out
	}
	l := e - s
	c := candidate{code: t[s:e], start: s, end: e, shape: shapeDigits, needsName: l < minCodeLen || l > maxCodeLen}
	withPrefix(t, &c)
	return append(out, c)
}

// sameSep reports whether every group after the first follows sep.
func sameSep(gs []group, sep byte) bool {
	for _, g := range gs[1:] {
		if g.sep != sep {
			return false
		}
	}
	return true
}

// phoneLike reports whether a run of groups that is no grouped code reads as
// a phone number: it follows '+' or '(', or it is made of short groups only
// ("555 1234", "06 12 34 56 78"), or it is a long number starting with 0
// ("07700 900123"). Dates and times of short groups fall here too.
func phoneLike(t string, gs []group) bool {
	if b := byteAt(t, gs[0].start-1); b == '+' || b == '(' {
		return true
	}
	total, longest := 0, 0
	for _, g := range gs {
		total += g.end - g.start
		longest = max(longest, g.end-g.start)
	}
	return longest <= 4 || total >= 9 && total <= 13 && t[gs[0].start] == '0'
}

// digitWordAt reports whether an all-digit word starts at t[i].
func digitWordAt(t string, i int) bool {
	j := i
	for j < len(t) && isDigit(t[j]) {
		j++
	}
	return j > i && !isLetter(byteAt(t, j))
}

// joinGroups accepts the groupings codes are printed in: equal groups of
// two to four digits ("123 456", "1234-5678", "12 34 56"), a 3+4 or 4+3
// group as some messengers send ("734-2190") and single digits one by one
// ("8 0 4 7 0 6").
func joinGroups(t string, gs []group) (string, shape, bool) {
	if s := gs[1].sep; (s != ' ' && s != '-') || !sameSep(gs, s) {
		return "", 0, false // dates, times, decimals, amounts, versions
	}
	size := gs[0].end - gs[0].start
	if second := gs[1].end - gs[1].start; len(gs) == 2 && size+second == 7 && (size == 3 || size == 4) {
		return t[gs[0].start:gs[0].end] + t[gs[1].start:gs[1].end], shapeUneven, true
	}
	total := 0
	for _, g := range gs {
		if g.end-g.start != size {
			return "", 0, false
		}
		total += size
	}
	if total < minCodeLen || total > maxCodeLen {
		return "", 0, false
	}
	sh := shapeGrouped
	switch {
	case size == 1:
		sh = shapeSpaced
	case size == 2 && len(gs) < 3:
		return "", 0, false // "12 34" is too loose a form to trust
	}
	var b strings.Builder
	b.Grow(total)
	for _, g := range gs {
		b.WriteString(t[g.start:g.end])
	}
	return b.String(), sh, true
}

// numericBoundsOK rejects a numeric run by what touches it: a leading '+'
// (phone), a decimal or time separator followed by more digits, a slash,
// percent, a masked prefix ("****1234"), or code-like punctuation of hashes
// and identifiers.
func numericBoundsOK(t string, start, end int) bool {
	b1, b2 := byteAt(t, start-1), byteAt(t, start-2)
	a1, a2 := byteAt(t, end), byteAt(t, end+1)
	switch b1 {
	case '+', '/', '=', '_', '&', '\\', '%', '@', '~':
		return false
	case '.', ',', ':':
		if isDigit(b2) {
			return false
		}
	case '*':
		if b2 == '*' && a1 != '*' || isDigit(b2) {
			return false // masked card or account number: "****1234", "0000*0000"
		}
	case '-':
		if isDigit(b2) {
			return false
		}
	}
	switch a1 {
	case '+', '/', '=', '_', '&', '\\', '%', '@':
		return false
	case '*':
		if isDigit(a2) {
			return false // "0000*0000"
		}
	case '.', ',', ':', '-':
		if isDigit(a2) || isLetter(a2) && a1 != ',' && a1 != '.' {
			return false // "1234-abc", "4821.5", "10:30"
		}
	}
	return true
}

// withPrefix recognises "G-123456" and "FB-12345". Other letter prefixes
// ("ORD-123456", "REF-2291") mark identifiers rather than codes.
func withPrefix(t string, c *candidate) {
	if byteAt(t, c.start-1) != '-' {
		return
	}
	p := c.start - 1
	s := p
	for s > 0 && isLetter(t[s-1]) {
		s--
	}
	if s == p || isDigit(byteAt(t, s-1)) {
		return
	}
	if svc, ok := codePrefixes[t[s:p]]; ok && p-s <= 2 {
		c.shape = shapePrefixed
		c.service = svc
		return
	}
	c.idPrefix = true
}

// alnumCandidate accepts a word of letters and digits as a possible code.
// Such a word is only believed later if the message names it as the code.
func alnumCandidate(t, cased string, i, j, letters int) (candidate, bool) {
	l := j - i
	if l < 5 || l > maxCodeLen || letters == 0 {
		return candidate{}, false
	}
	switch byteAt(t, i-1) {
	case '+', '/', '=', '_', '&', '\\', '%', '@', '-', '.', '#', '*', '$':
		return candidate{}, false
	}
	switch a1 := byteAt(t, j); a1 {
	case '+', '/', '=', '_', '&', '\\', '%', '@', '-':
		return candidate{}, false
	case '.':
		if isAlnum(byteAt(t, j+1)) {
			return candidate{}, false // a host name
		}
	}
	c := candidate{code: cased[i:j], start: i, end: j, shape: shapeAlnum}
	switch {
	case letters == l:
		// Letters only: a word, unless it reads like no word (few vowels)
		// and ends its phrase; and then only right after a code word.
		if !randomLetters(t[i:j]) || !phraseEnds(t, j) {
			return candidate{}, false
		}
		c.shape, c.needsName = shapeLetters, true
	case runs(t[i:j]) < 3:
		return candidate{}, false
	case l < 6:
		c.needsName = true // "Steam Guard code: 2F8XK"
	}
	if insideLink(t, i, j) {
		return candidate{}, false
	}
	return c, true
}

// randomLetters reports whether w, a word of ASCII letters, reads like
// generated letters rather than a word: fewer than a quarter of its
// letters are vowels ("kxptmb", "hqwzkr"; not "worked", "password").
func randomLetters(w string) bool {
	vowels := 0
	for i := 0; i < len(w); i++ {
		switch w[i] {
		case 'a', 'e', 'i', 'o', 'u', 'y':
			vowels++
		}
	}
	return 4*vowels < len(w)
}

// phraseEnds reports whether nothing but punctuation or a line break
// follows t[:j] before the next word: a letter code ends its phrase
// ("passcode: KXPTMB."), a word in a sentence does not.
func phraseEnds(t string, j int) bool {
	for ; j < len(t); j++ {
		switch t[j] {
		case ' ':
			continue
		case '\n', '.', ',', ';', '!', '(', ')', '"', '\'', ']':
			return true
		}
		return false
	}
	return true
}

// dashedLetters reads a letter code of two groups of 3 or 4 letters and
// digits joined by a dash, with letters and digits in it ("ABC-D12",
// "XRT-4K9"), starting with the word t[i:j]. Letters then digits
// ("REF-2291") are an identifier and left to numericRun.
func dashedLetters(t, cased string, i, j int) (candidate, bool) {
	if byteAt(t, j) != '-' || !isAlnum(byteAt(t, j+1)) {
		return candidate{}, false
	}
	k := j + 1
	for k < len(t) && isAlnum(t[k]) {
		k++
	}
	if a, b := j-i, k-j-1; a < 3 || a > 4 || b < 3 || b > 4 {
		return candidate{}, false
	}
	switch byteAt(t, i-1) {
	case '-', '.', '/', '_', '@', '#', '=', '&':
		return candidate{}, false
	}
	switch byteAt(t, k) {
	case '-', '/', '_', '@', '=', '&':
		return candidate{}, false
	case '.':
		if isAlnum(byteAt(t, k+1)) {
			return candidate{}, false
		}
	}
	first, second := t[i:j], t[j+1:k]
	if !mixed(first+second) || onlyLetters(first) && onlyDigits(second) || onlyDigits(first) || insideLink(t, i, k) {
		return candidate{}, false
	}
	return candidate{code: cased[i:j] + cased[j+1:k], start: i, end: k, shape: shapeLetters, needsName: true}, true
}

// spacedLetters reads a letter code written one character at a time ("K 7
// X Q 2 P"): 4 to 8 single letters and digits, each after one space, with
// a letter in them; all-digit ones are numericRun's. Letters only must be
// written in capitals ("K X P T M B").
func spacedLetters(t, cased string, i int) (candidate, bool) {
	if isAlnum(byteAt(t, i+1)) || byteAt(t, i+1) != ' ' || isAlnum(byteAt(t, i-1)) {
		return candidate{}, false
	}
	n, e := 1, i+1
	for n <= maxCodeLen && byteAt(t, e) == ' ' && isAlnum(byteAt(t, e+1)) && !isAlnum(byteAt(t, e+2)) {
		n++
		e += 2
	}
	if n < minCodeLen || n > maxCodeLen {
		return candidate{}, false
	}
	b := make([]byte, 0, n)
	letters, upper := 0, 0
	for k := i; k < e; k += 2 {
		b = append(b, cased[k])
		if isLetter(t[k]) {
			letters++
			if cased[k] != t[k] {
				upper++
			}
		}
	}
	if letters == 0 || letters == n && upper < n || !phraseEnds(t, e) {
		return candidate{}, false
	}
	return candidate{code: string(b), start: i, end: e, shape: shapeLetters, needsName: true}, true
}

func mixed(w string) bool { return !onlyLetters(w) && !onlyDigits(w) }

func onlyLetters(w string) bool {
	for i := 0; i < len(w); i++ {
		if !isLetter(w[i]) {
			return false
		}
	}
	return true
}

func onlyDigits(w string) bool {
	for i := 0; i < len(w); i++ {
		if !isDigit(w[i]) {
			return false
		}
	}
	return true
}

// runs counts the alternating runs of letters and digits in w. Generated
// codes mix them ("5xv8x3ck": 6 runs); a word glued to a number ("bday2025",
// "sunset88", "1234abcd": 2 runs) is a promo code, a password or a name.
func runs(w string) int {
	n := 0
	for i := 0; i < len(w); i++ {
		if i == 0 || isDigit(w[i]) != isDigit(w[i-1]) {
			n++
		}
	}
	return n
}
