package asl

import (
	"fmt"
	"strconv"
	"strings"
)

// An intrinsic function call, compiled once when the definition is parsed:
//
//	States.Format('Welcome to {} {}\'s playlist.', $.firstName, $.lastName)
//
// Arguments are string literals in apostrophes, numbers, booleans, null,
// Paths, or nested calls.
type intrinsic struct {
	name string
	fn   intrinsicFunc
	args []intrinsicArg
}

type intrinsicArg struct {
	literal any        // when path and call are nil
	raw     string     // a string literal as written, escapes kept (States.Format needs them)
	isStr   bool       // literal is a string literal
	path    *path      // a Path argument
	call    *intrinsic // a nested call
}

// isIntrinsic tells a "*.$" value that is an intrinsic call from a path.
func isIntrinsic(s string) bool { return !strings.HasPrefix(s, "$") }

func parseIntrinsic(src string) (*intrinsic, error) {
	p := &intrinsicParser{src: src}
	call, err := p.call()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, fmt.Errorf("invalid intrinsic function %q: unexpected %q after the call", src, p.src[p.pos:])
	}
	return call, nil
}

type intrinsicParser struct {
	src string
	pos int
}

func (p *intrinsicParser) skipSpace() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

func (p *intrinsicParser) call() (*intrinsic, error) {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.src) && isNameChar(p.src[p.pos]) {
		p.pos++
	}
	name := p.src[start:p.pos]
	if name == "" || p.pos >= len(p.src) || p.src[p.pos] != '(' {
		return nil, fmt.Errorf("invalid intrinsic function %q: expected a function name followed by '('", p.src)
	}
	spec, ok := intrinsics[name]
	if !ok {
		if strings.HasPrefix(name, "States.") {
			return nil, unsupported("intrinsic function %s is", name)
		}
		return nil, fmt.Errorf("unknown intrinsic function %s", name)
	}
	p.pos++ // (
	c := &intrinsic{name: name, fn: spec.fn}
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ')' {
		p.pos++
	} else {
		for {
			arg, err := p.arg()
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, arg)
			p.skipSpace()
			if p.pos >= len(p.src) {
				return nil, fmt.Errorf("invalid intrinsic function %q: missing ')'", p.src)
			}
			if p.src[p.pos] == ')' {
				p.pos++
				break
			}
			if p.src[p.pos] != ',' {
				return nil, fmt.Errorf("invalid intrinsic function %q: expected ',' or ')' at %d", p.src, p.pos)
			}
			p.pos++
		}
	}
	if len(c.args) < spec.min || (spec.max >= 0 && len(c.args) > spec.max) {
		return nil, fmt.Errorf("intrinsic function %s: wrong number of arguments (%d)", name, len(c.args))
	}
	if name == "States.Format" && c.args[0].isStr {
		if n, err := countPlaceholders(c.args[0].raw); err != nil {
			return nil, err
		} else if n != len(c.args)-1 {
			return nil, fmt.Errorf("intrinsic function States.Format: %d placeholders but %d values", n, len(c.args)-1)
		}
	}
	return c, nil
}

func isNameChar(b byte) bool {
	return b == '.' || b == '_' || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
}

func (p *intrinsicParser) arg() (intrinsicArg, error) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return intrinsicArg{}, fmt.Errorf("invalid intrinsic function %q: missing argument", p.src)
	}
	switch c := p.src[p.pos]; {
	case c == '\'':
		return p.stringLit()
	case c == '$':
		return p.pathArg()
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		for p.pos < len(p.src) && strings.IndexByte("+-.eE0123456789", p.src[p.pos]) >= 0 {
			p.pos++
		}
		lit := p.src[start:p.pos]
		if i, err := strconv.ParseInt(lit, 10, 64); err == nil {
			return intrinsicArg{literal: i}, nil
		}
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return intrinsicArg{}, fmt.Errorf("invalid intrinsic function %q: bad number %q", p.src, lit)
		}
		return intrinsicArg{literal: f}, nil
	default:
		for _, kw := range []struct {
			word string
			val  any
		}{{"null", nil}, {"true", true}, {"false", false}} {
			if strings.HasPrefix(p.src[p.pos:], kw.word) && !p.nameCharAt(p.pos+len(kw.word)) {
				p.pos += len(kw.word)
				return intrinsicArg{literal: kw.val}, nil
			}
		}
		call, err := p.call()
		if err != nil {
			return intrinsicArg{}, err
		}
		return intrinsicArg{call: call}, nil
	}
}

func (p *intrinsicParser) nameCharAt(i int) bool {
	return i < len(p.src) && isNameChar(p.src[i])
}

// stringLit reads a literal in apostrophes. \' \{ \} and \\ are escapes; any
// other backslash is an error, as the specification requires.
func (p *intrinsicParser) stringLit() (intrinsicArg, error) {
	p.pos++ // opening '
	start := p.pos
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '\\':
			if p.pos+1 >= len(p.src) || strings.IndexByte(`'{}\`, p.src[p.pos+1]) < 0 {
				return intrinsicArg{}, fmt.Errorf("invalid intrinsic function %q: open escape at %d", p.src, p.pos)
			}
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
		case '\'':
			raw := p.src[start:p.pos]
			p.pos++
			return intrinsicArg{literal: b.String(), raw: raw, isStr: true}, nil
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return intrinsicArg{}, fmt.Errorf("invalid intrinsic function %q: unterminated string", p.src)
}

// pathArg reads a Path up to the ',' or ')' that ends it, skipping those
// inside brackets, parentheses of filters, and quotes.
func (p *intrinsicParser) pathArg() (intrinsicArg, error) {
	start := p.pos
	depth := 0
	var quote byte
	for ; p.pos < len(p.src); p.pos++ {
		c := p.src[p.pos]
		if quote != 0 {
			if c == quote {
				quote = 0
			}
			continue
		}
		switch c {
		case '\'', '"':
			quote = c
		case '[', '(':
			depth++
		case ']':
			depth--
		case ')':
			if depth == 0 {
				goto done
			}
			depth--
		case ',':
			if depth == 0 {
				goto done
			}
		}
	}
done:
	src := strings.TrimSpace(p.src[start:p.pos])
	path, err := parsePath(src)
	if err != nil {
		return intrinsicArg{}, err
	}
	return intrinsicArg{path: path}, nil
}

// countPlaceholders counts the unescaped "{}" of a States.Format template as
// written in the definition.
func countPlaceholders(raw string) (int, error) {
	n := 0
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			i++
		case '{':
			if i+1 < len(raw) && raw[i+1] == '}' {
				n++
				i++
			} else {
				return 0, fmt.Errorf("intrinsic function States.Format: unescaped '{' in %q", raw)
			}
		case '}':
			return 0, fmt.Errorf("intrinsic function States.Format: unescaped '}' in %q", raw)
		}
	}
	return n, nil
}
