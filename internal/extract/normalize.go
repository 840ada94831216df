package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// digitZeros holds the code point of the zero of every decimal digit block a
// code is likely to be written in: Arabic-Indic, Persian (extended
// Arabic-Indic), Devanagari, Bengali, Thai, Myanmar, full-width... Codes are
// compared and returned in ASCII digits, so each block folds onto '0'..'9'.
var digitZeros = [...]rune{
	0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6,
	0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090,
	0x17E0, 0x1810, 0xFF10,
}

// foldDigit returns the ASCII digit for r when r is a decimal digit of one of
// the blocks in digitZeros.
func foldDigit(r rune) (byte, bool) {
	for _, z := range digitZeros {
		if r >= z && r < z+10 {
			return byte('0' + r - z), true
		}
	}
	return 0, false
}

// normalize prepares a message for matching. It lowers the case of letters,
// folds every decimal digit to ASCII, full-width ASCII forms to ASCII, every
// kind of space to ' ' (line breaks to '\n'), every dash to '-', and drops
// invisible formatting runes (zero-width joiners, bidirectional marks, soft
// hyphens) that senders put between digits or that right-to-left scripts
// carry. Offsets found in the result are only meaningful in the result.
func normalize(s string) string {
	t, _ := normalizeCased(s)
	return t
}

// normalizeCased returns normalize(s) and the same text with its ASCII
// letters in the case they were written in. The two differ in nothing
// else, so an offset found in the first reads the code as written out of
// the second: some providers' codes are case-sensitive.
func normalizeCased(s string) (lower, cased string) {
	if isPlainASCII(s) {
		return lowerASCII(s), s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			writeASCII(&b, byte(r))
		case r == utf8.RuneError:
			b.WriteByte(' ')
		case r == 0x2028 || r == 0x2029 || r == 0x85:
			b.WriteByte('\n')
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		case r >= 0x2010 && r <= 0x2015, r == 0x2212, r == 0xFE58, r == 0xFE63:
			b.WriteByte('-')
		case r == 0x066B: // Arabic decimal separator
			b.WriteByte('.')
		case r == 0x066C: // Arabic thousands separator
			b.WriteByte(',')
		case r == 0xFF0C || r == 0xFF0E || r == 0x3001 || r == 0x3002:
			// CJK punctuation: a full-width comma or full stop right after a
			// code ("验证码：123456，5分钟内有效") separates, it is no decimal.
			b.WriteRune(r)
			b.WriteByte(' ')
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII forms
			writeASCII(&b, byte(r-0xFEE0))
		case unicode.Is(unicode.Cf, r) || r == 0x034F:
			// invisible: dropped so that "80\u200b4706" reads as one number
		default:
			if d, ok := foldDigit(r); ok {
				b.WriteByte(d)
				continue
			}
			b.WriteRune(unicode.ToLower(r))
		}
	}
	cased = b.String()
	return lowerASCII(cased), cased
}

func writeASCII(b *strings.Builder, c byte) {
	switch {
	case c == '\r':
		// "\r\n" becomes "\n"; a lone '\r' is dropped too.
	case c == '\t' || c == '\v' || c == '\f':
		b.WriteByte(' ')
	case c < ' ' && c != '\n':
		b.WriteByte(' ')
	default:
		b.WriteByte(c)
	}
}

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || s[i] == '\r' || (s[i] < ' ' && s[i] != '\n') {
			return false
		}
	}
	return true
}

// lowerASCII lowers the ASCII letters of s with one allocation at most and
// none when s has no upper-case ASCII letter.
func lowerASCII(s string) string {
	i := 0
	for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if c := b[i]; c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
