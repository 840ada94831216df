package asl

import (
	"fmt"
	"sort"
)

// fields reads the members of one JSON object of a definition and remembers
// which ones were read, so that whatever is left over can be reported.
type fields struct {
	m    map[string]any
	used map[string]bool
}

func newFields(v any) (*fields, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be a JSON object")
	}
	return &fields{m: m, used: map[string]bool{"Comment": true}}, nil
}

func (f *fields) has(name string) bool {
	_, ok := f.m[name]
	return ok
}

func (f *fields) raw(name string) (any, bool) {
	v, ok := f.m[name]
	f.used[name] = true
	return v, ok
}

func (f *fields) str(name string) (string, bool, error) {
	v, ok := f.raw(name)
	if !ok {
		return "", false, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", true, fmt.Errorf("%q must be a string", name)
	}
	return s, true, nil
}

func (f *fields) boolean(name string) (bool, bool, error) {
	v, ok := f.raw(name)
	if !ok {
		return false, false, nil
	}
	b, isBool := v.(bool)
	if !isBool {
		return false, true, fmt.Errorf("%q must be a boolean", name)
	}
	return b, true, nil
}

func (f *fields) integer(name string) (int64, bool, error) {
	v, ok := f.raw(name)
	if !ok {
		return 0, false, nil
	}
	n, isInt := integer(v)
	if !isInt {
		return 0, true, fmt.Errorf("%q must be an integer", name)
	}
	return n, true, nil
}

func (f *fields) number(name string) (float64, bool, error) {
	v, ok := f.raw(name)
	if !ok {
		return 0, false, nil
	}
	n, isNum := number(v)
	if !isNum {
		return 0, true, fmt.Errorf("%q must be a number", name)
	}
	return n, true, nil
}

// nullablePath reads a field that is a Path or null (InputPath, OutputPath,
// ResultPath). Absent means "$".
func (f *fields) nullablePath(name string, ref bool) (p *path, null bool, err error) {
	v, ok := f.raw(name)
	if !ok {
		return nil, false, nil
	}
	if v == nil {
		return nil, true, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return nil, false, fmt.Errorf("%q must be a path or null", name)
	}
	if ref {
		p, err = parseRefPath(s)
	} else {
		p, err = parsePath(s)
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", name, err)
	}
	return p, false, nil
}

// unused lists the fields nobody read, sorted.
func (f *fields) unused() []string {
	var out []string
	for k := range f.m {
		if !f.used[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
