package extract

import "strings"

// insideLink reports whether t[start:end] is part of a URL, a host name or
// an e-mail address: the whitespace-delimited token around it says so.
func insideLink(t string, start, end int) bool {
	const limit = 256
	s := start
	for s > 0 && start-s < limit && !isTokenBreak(t[s-1]) {
		s--
	}
	e := end
	for e < len(t) && e-end < limit && !isTokenBreak(t[e]) {
		e++
	}
	if start-s >= limit || e-end >= limit {
		return true // a token this long is a URL or an encoded blob
	}
	tok := t[s:e]
	return strings.Contains(tok, "://") || strings.Contains(tok, "www.") ||
		strings.IndexByte(tok, '@') >= 0 || strings.IndexByte(tok, '?') >= 0 && strings.IndexByte(tok, '=') >= 0 ||
		hasHostSuffix(tok)
}

func isTokenBreak(c byte) bool {
	switch c {
	case ' ', '\n', '<', '>', '(', ')', '"', '\'', '[', ']', '|':
		return true
	}
	return false
}

// hasHostSuffix reports whether tok contains a dotted host name with a path,
// like "linkedin.com/comm/123456".
func hasHostSuffix(tok string) bool {
	for _, tld := range [...]string{".com/", ".net/", ".org/", ".io/", ".co/", ".me/", ".ly/", ".gl/"} {
		if strings.Contains(tok, tld) {
			return true
		}
	}
	return false
}
