package asl

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ohler55/ojg/jp"
)

// path is a compiled JSONPath of the States Language. A path that starts
// with "$$" applies to the Context Object, one that starts with "$name" to
// the variable name, any other to the data.
//
// A Reference Path (single: true) may only name one node: its fragments are
// children and indexes. Other paths may use any JSONPath operator ojg
// understands and yield an array of every match, as the specification asks.
type path struct {
	src     string
	segs    []seg   // a Reference Path
	expr    jp.Expr // any other Path
	context bool
	// variable is the name of a "$name" path; the rest of the path applies
	// to the variable's value.
	variable string
	single   bool
}

// seg is one step of a Reference Path: a field name or an array index.
type seg struct {
	key     string
	index   int
	isIndex bool
}

// parsePath compiles a Path (InputPath, OutputPath, Parameters values, a
// Choice Variable, intrinsic arguments).
func parsePath(src string) (*path, error) {
	if !strings.HasPrefix(src, "$") {
		return nil, fmt.Errorf("%q is not a path: a path starts with '$'", src)
	}
	p := &path{src: src}
	body := src
	if strings.HasPrefix(src, "$$") {
		p.context = true
		body = src[1:]
	} else if name, rest, ok := variableRef(src); ok {
		if err := validVariableName(name); err != nil {
			return nil, fmt.Errorf("invalid path %q: %w", src, err)
		}
		p.variable = name
		body = "$" + rest
	}
	if segs, ok := parseSegments(body); ok {
		p.segs, p.single = segs, true
		return p, nil
	}
	x, err := jp.ParseString(body)
	if err != nil {
		return nil, fmt.Errorf("invalid path %q: %v", src, err)
	}
	if len(x) == 0 {
		return nil, fmt.Errorf("invalid path %q", src)
	}
	if _, ok := x[0].(jp.Root); !ok {
		return nil, fmt.Errorf("invalid path %q: a path starts with '$'", src)
	}
	p.expr = x
	return p, nil
}

// variableRef splits "$name.rest" into the variable name and the rest.
func variableRef(src string) (name, rest string, ok bool) {
	if len(src) < 2 || src[0] != '$' || strings.ContainsRune(".[$", rune(src[1])) {
		return "", "", false
	}
	end := strings.IndexAny(src, ".[")
	if end < 0 {
		end = len(src)
	}
	return src[1:end], src[end:], true
}

// parseSegments reads a Reference Path: "$" then ".name" (a backslash
// escapes the next character, so "$.store\.book" is one name), "['name']"
// or "[index]". It reports false for anything else, such as the operators
// "*", "..", "@", ",", ":" and "?", which only ojg's full JSONPath handles.
func parseSegments(body string) ([]seg, bool) {
	if !strings.HasPrefix(body, "$") {
		return nil, false
	}
	var segs []seg
	i := 1
	for i < len(body) {
		switch body[i] {
		case '.':
			i++
			var b strings.Builder
			for i < len(body) && body[i] != '.' && body[i] != '[' {
				switch body[i] {
				case '\\':
					if i+1 >= len(body) {
						return nil, false
					}
					i++
				case '*', '@', ',', ':', '?', '(', ')', ']', '\'', '"', ' ':
					return nil, false
				}
				b.WriteByte(body[i])
				i++
			}
			if b.Len() == 0 {
				return nil, false
			}
			segs = append(segs, seg{key: b.String()})
		case '[':
			end := strings.IndexByte(body[i:], ']')
			if end < 0 {
				return nil, false
			}
			inner := body[i+1 : i+end]
			i += end + 1
			if len(inner) >= 2 && inner[0] == '\'' && inner[len(inner)-1] == '\'' && !strings.ContainsAny(inner[1:len(inner)-1], "'") {
				segs = append(segs, seg{key: inner[1 : len(inner)-1]})
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 {
				return nil, false
			}
			segs = append(segs, seg{index: n, isIndex: true})
		default:
			return nil, false
		}
	}
	return segs, true
}

// parseRefPath compiles a Reference Path (ResultPath, SecondsPath,
// TimestampPath, the "...Path" operators of Choice Rules): a path that names
// exactly one node.
func parseRefPath(src string) (*path, error) {
	p, err := parsePath(src)
	if err != nil {
		return nil, err
	}
	if !p.single {
		return nil, fmt.Errorf("%q is not a reference path: only '.name', ['name'] and '[index]' may follow '$'", src)
	}
	return p, nil
}

func (p *path) String() string { return p.src }

// get applies the path to the data, to the Context Object for "$$" paths,
// or to a variable for "$name" paths. found is false when a reference path
// names nothing or the variable is not set; a path that may match many
// nodes (a wildcard, a slice, a filter) gathers its matches into an array,
// empty when nothing matches, as in Step Functions.
func (p *path) get(data any, en *env) (v any, found bool) {
	root := data
	switch {
	case p.context:
		root = nil
		if en != nil {
			root = en.ctx
		}
	case p.variable != "":
		if en == nil {
			return nil, false
		}
		if root, found = en.vars.lookup(p.variable); !found {
			return nil, false
		}
	}
	if p.single {
		return walk(root, p.segs)
	}
	got := p.expr.Get(root)
	if got == nil {
		got = []any{}
	}
	return got, true
}

// bracketed writes a reference path the way Step Functions names it in a
// cause: $['a']['b'][0].
func (p *path) bracketed() string {
	if !p.single {
		return p.src
	}
	var b strings.Builder
	b.WriteString("$")
	if p.context {
		b.WriteString("$")
	}
	b.WriteString(p.variable)
	for _, s := range p.segs {
		if s.isIndex {
			fmt.Fprintf(&b, "[%d]", s.index)
		} else {
			fmt.Fprintf(&b, "['%s']", s.key)
		}
	}
	return b.String()
}

// walk follows the steps of a reference path from node.
func walk(node any, segs []seg) (any, bool) {
	for _, s := range segs {
		if s.isIndex {
			a, ok := node.([]any)
			if !ok || s.index >= len(a) {
				return nil, false
			}
			node = a[s.index]
			continue
		}
		m, ok := node.(map[string]any)
		if !ok {
			return nil, false
		}
		if node, ok = m[s.key]; !ok {
			return nil, false
		}
	}
	return node, true
}

// set returns a copy of data with value placed at the reference path p,
// building missing objects on the way, as ResultPath does. The input is not
// modified: only the objects on the way to the target are copied.
func (p *path) set(data, value any) (any, error) {
	return setIn(data, p.segs, value, p.src)
}

func setIn(node any, segs []seg, value any, src string) (any, error) {
	if len(segs) == 0 {
		return value, nil
	}
	s := segs[0]
	if s.isIndex {
		a, ok := node.([]any)
		if !ok || s.index >= len(a) {
			return nil, fmt.Errorf("unable to apply ResultPath %q: no array element %d", src, s.index)
		}
		c := append([]any(nil), a...)
		child, err := setIn(c[s.index], segs[1:], value, src)
		if err != nil {
			return nil, err
		}
		c[s.index] = child
		return c, nil
	}
	var m map[string]any
	switch n := node.(type) {
	case map[string]any:
		m = make(map[string]any, len(n)+1)
		for k, v := range n {
			m[k] = v
		}
	case nil:
		m = map[string]any{}
	default:
		return nil, fmt.Errorf("unable to apply ResultPath %q: a %s has no field %q", src, jsonType(node), s.key)
	}
	child, err := setIn(m[s.key], segs[1:], value, src)
	if err != nil {
		return nil, err
	}
	m[s.key] = child
	return m, nil
}

// jsonType names the JSON type of a decoded value, for error causes.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case int64, float64, int:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
