package extract

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// boundary is what separates two pieces of text in rendered HTML.
type boundary uint8

const (
	glued   boundary = iota // inline tags: "<span>80</span><span>4706</span>" reads 804706
	spaced                  // table cells: "<td>8</td><td>0</td>" reads "8 0"
	newline                 // blocks
)

// htmlToText renders an HTML mail body as text the way a reader sees it:
// scripts, styles and the head dropped, blocks on their own lines, table
// cells apart, inline elements joined. Digits that a code box splits over
// inline elements come out as one number; digits split over cells or over
// one-digit blocks come out one by one, which the candidate scan reads as a
// spaced code.
func htmlToText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	b.Grow(len(src) / 4)
	skip := 0
	pending := glued
	lastSingleDigit := false // the last text was one digit standing alone
	var text []byte          // the current text, white space collapsed; reused
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if skip > 0 {
				continue
			}
			text = appendCollapsed(text[:0], z.Text())
			trimmed := bytes.TrimSpace(text)
			if len(trimmed) == 0 {
				if pending == glued && len(text) > 0 && b.Len() > 0 {
					pending = spaced // whitespace between inline elements renders as a space
				}
				continue
			}
			single := len(trimmed) == 1 && isDigit(trimmed[0])
			if pending == newline && single && lastSingleDigit {
				pending = spaced // one-digit boxes laid out as blocks
			}
			writeBoundary(&b, pending, text[0])
			b.Write(text)
			lastSingleDigit = single && pending != glued
			pending = glued
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style, atom.Head, atom.Title, atom.Template, atom.Noscript:
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			switch {
			case a == atom.Td || a == atom.Th:
				pending = max(pending, spaced)
			case isBlock(a):
				pending = newline
			}
		}
	}
}

func writeBoundary(b *strings.Builder, p boundary, first byte) {
	if b.Len() == 0 {
		return
	}
	s := b.String()
	last := s[len(s)-1]
	switch p {
	case newline:
		if last != '\n' {
			b.WriteByte('\n')
		}
	case spaced:
		if last != ' ' && last != '\n' && first != ' ' {
			b.WriteByte(' ')
		}
	case glued:
		// "<b>Code</b>123456": a word and a number in different inline
		// elements are still two words.
		if isLetterASCII(last) && isDigit(first) || isDigit(last) && isLetterASCII(first) {
			b.WriteByte(' ')
		}
	}
}

func isLetterASCII(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// appendCollapsed appends s to dst with every run of HTML white space
// turned into one space.
func appendCollapsed(dst, s []byte) []byte {
	space := false
	for _, c := range s {
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' {
			if !space {
				dst = append(dst, ' ')
			}
			space = true
			continue
		}
		space = false
		dst = append(dst, c)
	}
	return dst
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Br, atom.Dd, atom.Div, atom.Dl,
		atom.Dt, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Form, atom.H1, atom.H2,
		atom.H3, atom.H4, atom.H5, atom.H6, atom.Header, atom.Hr, atom.Li, atom.Main, atom.Nav, atom.Ol,
		atom.P, atom.Pre, atom.Section, atom.Table, atom.Tbody, atom.Thead, atom.Tfoot, atom.Tr, atom.Ul,
		atom.Center, atom.Caption, atom.Body, atom.Html:
		return true
	}
	return false
}
