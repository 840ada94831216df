package asl

import (
	"fmt"
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
	expr    jp.Expr
	context bool
	single  bool
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
	p.single = true
	for _, f := range x[1:] {
		switch f.(type) {
		case jp.Child, jp.Nth, jp.Bracket:
		default:
			p.single = false
		}
	}
	return p, nil
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
		return nil, fmt.Errorf("%q is not a reference path: only '.name' and '[index]' may follow '$'", src)
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
		return walk(root, p.expr[1:])
	}
	got := p.expr.Get(root)
	if len(got) == 0 {
		return nil, false
	}
	return got, true
}

// walk follows child and index fragments from node.
func walk(node any, frags jp.Expr) (any, bool) {
	for _, f := range frags {
		switch f := f.(type) {
		case jp.Bracket:
			continue
		case jp.Child:
			m, ok := node.(map[string]any)
			if !ok {
				return nil, false
			}
			if node, ok = m[string(f)]; !ok {
				return nil, false
			}
		case jp.Nth:
			a, ok := node.([]any)
			if !ok {
				return nil, false
			}
			i := int(f)
			if i < 0 {
				i += len(a)
			}
			if i < 0 || i >= len(a) {
				return nil, false
			}
			node = a[i]
		}
	}
	return node, true
}

// set returns a copy of data with value placed at the reference path p,
// building missing objects on the way, as ResultPath does. The input is not
// modified: only the objects on the way to the target are copied.
func (p *path) set(data, value any) (any, error) {
	frags := make(jp.Expr, 0, len(p.expr))
	for _, f := range p.expr[1:] {
		if _, ok := f.(jp.Bracket); !ok {
			frags = append(frags, f)
		}
	}
	return setIn(data, frags, value, p.src)
}

func setIn(node any, frags jp.Expr, value any, src string) (any, error) {
	if len(frags) == 0 {
		return value, nil
	}
	switch f := frags[0].(type) {
	case jp.Child:
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
			return nil, fmt.Errorf("unable to apply ResultPath %q: a %s has no field %q", src, jsonType(node), string(f))
		}
		child, err := setIn(m[string(f)], frags[1:], value, src)
		if err != nil {
			return nil, err
		}
		m[string(f)] = child
		return m, nil
	case jp.Nth:
		a, ok := node.([]any)
		i := int(f)
		if ok && i < 0 {
			i += len(a)
		}
		if !ok || i < 0 || i >= len(a) {
			return nil, fmt.Errorf("unable to apply ResultPath %q: no array element %d", src, int(f))
		}
		c := append([]any(nil), a...)
		child, err := setIn(c[i], frags[1:], value, src)
		if err != nil {
			return nil, err
		}
		c[i] = child
		return c, nil
	}
	return nil, fmt.Errorf("unable to apply ResultPath %q", src)
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
