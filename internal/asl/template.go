package asl

import (
	"fmt"
	"sort"
	"strings"
)

// payloadTemplate is a compiled Payload Template (Parameters,
// ResultSelector): fields whose names end in ".$" take their value from a
// Path, a Context Object path ("$$."), or an intrinsic function.
type payloadTemplate struct {
	root tnode
}

type tnode interface {
	eval(input any, en *env) (any, error)
}

type tliteral struct{ v any }

type tobject struct{ fields []tfield }

type tfield struct {
	name string
	node tnode
}

type tarray struct{ items []tnode }

type tpath struct {
	field string
	p     *path
}

type tcall struct{ c *intrinsic }

func compileTemplate(v any) (*payloadTemplate, error) {
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("a Payload Template must be a JSON object")
	}
	n, err := compileNode(v)
	if err != nil {
		return nil, err
	}
	return &payloadTemplate{root: n}, nil
}

func compileNode(v any) (tnode, error) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		obj := &tobject{}
		seen := map[string]bool{}
		for _, k := range keys {
			name := k
			var node tnode
			if strings.HasSuffix(k, ".$") {
				name = strings.TrimSuffix(k, ".$")
				s, ok := v[k].(string)
				if !ok {
					return nil, fmt.Errorf("field %q: the value of a field ending in \".$\" must be a string", k)
				}
				if isIntrinsic(s) {
					c, err := parseIntrinsic(s)
					if err != nil {
						return nil, fmt.Errorf("field %q: %w", k, err)
					}
					node = tcall{c}
				} else {
					p, err := parsePath(s)
					if err != nil {
						return nil, fmt.Errorf("field %q: %w", k, err)
					}
					node = tpath{field: k, p: p}
				}
			} else {
				n, err := compileNode(v[k])
				if err != nil {
					return nil, err
				}
				node = n
			}
			if seen[name] {
				return nil, fmt.Errorf("field %q appears twice once \".$\" is stripped", name)
			}
			seen[name] = true
			obj.fields = append(obj.fields, tfield{name: name, node: node})
		}
		return obj, nil
	case []any:
		arr := &tarray{}
		for _, e := range v {
			n, err := compileNode(e)
			if err != nil {
				return nil, err
			}
			arr.items = append(arr.items, n)
		}
		return arr, nil
	}
	return tliteral{v}, nil
}

func (t *payloadTemplate) eval(input any, en *env) (any, error) {
	return t.root.eval(input, en)
}

func (n tliteral) eval(any, *env) (any, error) { return n.v, nil }

func (n *tobject) eval(input any, en *env) (any, error) {
	out := make(map[string]any, len(n.fields))
	for _, f := range n.fields {
		v, err := f.node.eval(input, en)
		if err != nil {
			return nil, err
		}
		out[f.name] = v
	}
	return out, nil
}

func (n *tarray) eval(input any, en *env) (any, error) {
	out := make([]any, len(n.items))
	for i, item := range n.items {
		v, err := item.eval(input, en)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (n tpath) eval(input any, en *env) (any, error) {
	v, ok := n.p.get(input, en)
	if !ok {
		return nil, statesErr(ErrNameParameterPathFailure,
			"The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", n.p, n.field, encodeJSON(input))
	}
	return v, nil
}

func (n tcall) eval(input any, en *env) (any, error) { return n.c.eval(input, en) }

// mentionsPath reports whether the template uses the given context path,
// such as "$$.Task.Token" (a .waitForTaskToken task must pass its token).
func (t *payloadTemplate) mentionsPath(src string) bool {
	var visit func(n tnode) bool
	visit = func(n tnode) bool {
		switch n := n.(type) {
		case *tobject:
			for _, f := range n.fields {
				if visit(f.node) {
					return true
				}
			}
		case *tarray:
			for _, i := range n.items {
				if visit(i) {
					return true
				}
			}
		case tpath:
			return n.p.src == src
		case tcall:
			return callMentions(n.c, src)
		}
		return false
	}
	return visit(t.root)
}

func callMentions(c *intrinsic, src string) bool {
	for _, a := range c.args {
		if (a.path != nil && a.path.src == src) || (a.call != nil && callMentions(a.call, src)) {
			return true
		}
	}
	return false
}

// field returns the compiled node of a top-level field by its stripped name.
func (t *payloadTemplate) field(name string) (tnode, bool) {
	obj, ok := t.root.(*tobject)
	if !ok {
		return nil, false
	}
	for _, f := range obj.fields {
		if f.name == name {
			return f.node, true
		}
	}
	return nil, false
}
