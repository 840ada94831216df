package samtemplate

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Resolver supplies what a value's intrinsic functions refer to. The zero
// value resolves parameters to their defaults and pseudo parameters to
// fixed local values.
type Resolver struct {
	// Parameters override the template's parameter defaults.
	Parameters map[string]string
	// Refs are the values of `!Ref LogicalId` for resources (a table's
	// name, a function's name). A resource missing here resolves to its
	// logical id.
	Refs map[string]string
	// Attrs are the values of `!GetAtt LogicalId.Attribute`, keyed
	// "LogicalId.Attribute". One missing here resolves to
	// "arn:aws:local:LogicalId.Attribute".
	Attrs map[string]string

	// Pseudo parameters; empty fields take the defaults in brackets.
	Region    string // AWS::Region [us-east-1]
	AccountID string // AWS::AccountId [123456789012]
	Partition string // AWS::Partition [aws]
	StackName string // AWS::StackName [checkpoint-relay]
	URLSuffix string // AWS::URLSuffix [amazonaws.com]
}

// errNoValue is how AWS::NoValue travels up to the property that holds it.
var errNoValue = errors.New("AWS::NoValue")

// Resolve evaluates v, a value of the template (a scalar or an intrinsic
// function), to a string. ok is false when v resolves to AWS::NoValue,
// that is when the property is to be left out.
func (t *Template) Resolve(v any, r *Resolver) (s string, ok bool, err error) {
	if r == nil {
		r = &Resolver{}
	}
	out, err := t.resolve(v, r)
	if errors.Is(err, errNoValue) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	switch o := out.(type) {
	case string:
		return o, true, nil
	case []any:
		return "", false, fmt.Errorf("value is a list, not a string: %v", o)
	}
	return fmt.Sprint(out), true, nil
}

// Condition evaluates the named condition of the template.
func (t *Template) Condition(name string, r *Resolver) (bool, error) {
	if r == nil {
		r = &Resolver{}
	}
	return t.condition(name, r, 0)
}

func (t *Template) condition(name string, r *Resolver, depth int) (bool, error) {
	c, ok := t.Conditions[name]
	if !ok {
		return false, fmt.Errorf("unknown condition %q", name)
	}
	if depth > 20 {
		return false, fmt.Errorf("condition %q: too deeply nested", name)
	}
	return t.evalCondition(c, r, depth+1)
}

func (t *Template) evalCondition(c any, r *Resolver, depth int) (bool, error) {
	m := asMap(c)
	if len(m) != 1 {
		return false, fmt.Errorf("condition %v is not a condition function", c)
	}
	for fn, arg := range m {
		args := asSlice(arg)
		switch fn {
		case "Condition":
			return t.condition(str(arg), r, depth)
		case "Fn::Equals":
			if len(args) != 2 {
				return false, errors.New("Fn::Equals takes two values")
			}
			a, err := t.resolveString(args[0], r)
			if err != nil {
				return false, err
			}
			b, err := t.resolveString(args[1], r)
			if err != nil {
				return false, err
			}
			return a == b, nil
		case "Fn::Not":
			if len(args) != 1 {
				return false, errors.New("Fn::Not takes one condition")
			}
			v, err := t.evalCondition(args[0], r, depth)
			return !v, err
		case "Fn::And", "Fn::Or":
			and := fn == "Fn::And"
			for _, a := range args {
				v, err := t.evalCondition(a, r, depth)
				if err != nil {
					return false, err
				}
				if v != and {
					return v, nil
				}
			}
			return and, nil
		}
		return false, fmt.Errorf("unsupported condition function %s", fn)
	}
	panic("unreachable")
}

func (t *Template) resolveString(v any, r *Resolver) (string, error) {
	out, err := t.resolve(v, r)
	if err != nil {
		return "", err
	}
	if _, isList := out.([]any); isList {
		return "", fmt.Errorf("value is a list, not a string: %v", out)
	}
	if s, ok := out.(string); ok {
		return s, nil
	}
	return fmt.Sprint(out), nil
}

// resolve returns a string or a []any of resolved values.
func (t *Template) resolve(v any, r *Resolver) (any, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case int:
		return strconv.Itoa(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			s, err := t.resolve(e, r)
			if errors.Is(err, errNoValue) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	case map[string]any:
		if len(x) != 1 {
			return nil, fmt.Errorf("cannot resolve a mapping to a string: %v", x)
		}
		for fn, arg := range x {
			return t.intrinsic(fn, arg, r)
		}
	}
	return nil, fmt.Errorf("cannot resolve %T", v)
}

func (t *Template) intrinsic(fn string, arg any, r *Resolver) (any, error) {
	args := asSlice(arg)
	switch fn {
	case "Ref":
		return t.ref(str(arg), r)
	case "Fn::GetAtt":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::GetAtt takes [Resource, Attribute], got %v", arg)
		}
		return t.getAtt(str(args[0]), str(args[1]), r), nil
	case "Fn::Sub":
		var tmpl string
		vars := map[string]any{}
		switch a := arg.(type) {
		case string:
			tmpl = a
		case []any:
			if len(a) != 2 {
				return nil, errors.New("Fn::Sub takes a string or [string, variables]")
			}
			tmpl, vars = str(a[0]), asMap(a[1])
		default:
			return nil, errors.New("Fn::Sub takes a string or [string, variables]")
		}
		return t.sub(tmpl, vars, r)
	case "Fn::If":
		if len(args) != 3 {
			return nil, errors.New("Fn::If takes [condition, then, else]")
		}
		ok, err := t.condition(str(args[0]), r, 0)
		if err != nil {
			return nil, err
		}
		if ok {
			return t.resolve(args[1], r)
		}
		return t.resolve(args[2], r)
	case "Fn::Join":
		if len(args) != 2 {
			return nil, errors.New("Fn::Join takes [delimiter, list]")
		}
		list, err := t.resolve(args[1], r)
		if err != nil {
			return nil, err
		}
		parts := make([]string, 0)
		for _, p := range asSlice(list) {
			parts = append(parts, fmt.Sprint(p))
		}
		return strings.Join(parts, str(args[0])), nil
	case "Fn::FindInMap":
		if len(args) != 3 {
			return nil, errors.New("Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]")
		}
		var keys [3]string
		for i, a := range args {
			k, err := t.resolveString(a, r)
			if err != nil {
				return nil, err
			}
			keys[i] = k
		}
		top, ok := asMap(t.Mappings[keys[0]])[keys[1]]
		if !ok {
			return nil, fmt.Errorf("Fn::FindInMap: no %s.%s", keys[0], keys[1])
		}
		v, ok := asMap(top)[keys[2]]
		if !ok {
			return nil, fmt.Errorf("Fn::FindInMap: no %s.%s.%s", keys[0], keys[1], keys[2])
		}
		return t.resolve(v, r)
	case "Fn::Select":
		if len(args) != 2 {
			return nil, errors.New("Fn::Select takes [index, list]")
		}
		idx, err := t.resolveString(args[0], r)
		if err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(idx)
		if err != nil {
			return nil, fmt.Errorf("Fn::Select index %q: %w", idx, err)
		}
		list, err := t.resolve(args[1], r)
		if err != nil {
			return nil, err
		}
		l := asSlice(list)
		if i < 0 || i >= len(l) {
			return nil, fmt.Errorf("Fn::Select index %d out of range (%d)", i, len(l))
		}
		return l[i], nil
	case "Fn::Split":
		if len(args) != 2 {
			return nil, errors.New("Fn::Split takes [delimiter, string]")
		}
		s, err := t.resolveString(args[1], r)
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(s, str(args[0])) {
			out = append(out, p)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported intrinsic function %s", fn)
}

func (t *Template) ref(name string, r *Resolver) (any, error) {
	switch name {
	case "AWS::NoValue":
		return nil, errNoValue
	case "AWS::Region":
		return or(r.Region, "us-east-1"), nil
	case "AWS::AccountId":
		return or(r.AccountID, "123456789012"), nil
	case "AWS::Partition":
		return or(r.Partition, "aws"), nil
	case "AWS::StackName":
		return or(r.StackName, "checkpoint-relay"), nil
	case "AWS::URLSuffix":
		return or(r.URLSuffix, "amazonaws.com"), nil
	}
	if p, ok := t.Parameters[name]; ok {
		if v, ok := r.Parameters[name]; ok {
			return v, nil
		}
		if !p.HasDefault {
			return nil, fmt.Errorf("parameter %s has no default and no value", name)
		}
		return p.Default, nil
	}
	if _, ok := t.Resources[name]; ok {
		if v, ok := r.Refs[name]; ok {
			return v, nil
		}
		return name, nil
	}
	return nil, fmt.Errorf("unknown name %q in Ref", name)
}

func (t *Template) getAtt(res, attr string, r *Resolver) string {
	if v, ok := r.Attrs[res+"."+attr]; ok {
		return v
	}
	return "arn:aws:local:" + res + "." + attr
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

func (t *Template) sub(tmpl string, vars map[string]any, r *Resolver) (string, error) {
	var firstErr error
	out := subVar.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}" // ${!Literal} is the escape for a literal ${Literal}
		}
		var v any
		var err error
		if val, ok := vars[name]; ok {
			v, err = t.resolve(val, r)
		} else if res, attr, ok := strings.Cut(name, "."); ok {
			v = t.getAtt(res, attr, r)
		} else {
			v, err = t.ref(name, r)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("Fn::Sub ${%s}: %w", name, err)
			}
			return m
		}
		return fmt.Sprint(v)
	})
	return out, firstErr
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
