package asl

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ohler55/ojg/jp"
)

// path is a compiled JSONPath of the States Language. A path that starts
// with "$$" applies to the Context Object, any other to the data.
//
// A Reference Path (single: true) may only name one node: its fragments are
// children and indexes. Other paths may use any JSONPath operator ojg
// understands and yield an array of every match, as the specification asks.
type path struct {
	src     string
	segs    []seg   // a Reference Path
	expr    jp.Expr // any other Path
	context bool
	single  bool
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

// get applies the path to the data (or to the Context Object for "$$"
// paths). found is false when a reference path names nothing; a path that
// may match many nodes gathers its matches into an array, and names nothing
// only when the array would be empty.
func (p *path) get(data, contextObj any) (v any, found bool) {
	root := data
	if p.context {
		root = contextObj
	}
	if p.single {
		return walk(root, p.segs)
	}
	got := p.expr.Get(root)
	if len(got) == 0 {
		return nil, false
	}
	return got, true
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
