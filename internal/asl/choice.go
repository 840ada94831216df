package asl

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// choiceRule is a compiled JSONPath Choice Rule: a Boolean expression (And,
// Or, Not) or a Data-test expression (Variable and one comparison).
type choiceRule struct {
	and, or []*choiceRule
	not     *choiceRule

	variable *path
	op       string // the comparison operator without its "Path" suffix
	value    any    // literal operand
	operand  *path  // operand of a "...Path" operator
	match    []matchPart

	next   string      // top-level rules only
	assign *assignment // top-level rules only: applied when the rule matches
}

// comparisonKinds maps each comparison operator to the JSON type of its
// literal operand.
var comparisonKinds = map[string]string{
	"StringEquals": "string", "StringLessThan": "string", "StringGreaterThan": "string",
	"StringLessThanEquals": "string", "StringGreaterThanEquals": "string", "StringMatches": "string",
	"NumericEquals": "number", "NumericLessThan": "number", "NumericGreaterThan": "number",
	"NumericLessThanEquals": "number", "NumericGreaterThanEquals": "number",
	"BooleanEquals":   "boolean",
	"TimestampEquals": "timestamp", "TimestampLessThan": "timestamp", "TimestampGreaterThan": "timestamp",
	"TimestampLessThanEquals": "timestamp", "TimestampGreaterThanEquals": "timestamp",
	"IsNull": "boolean", "IsPresent": "boolean", "IsNumeric": "boolean", "IsString": "boolean",
	"IsBoolean": "boolean", "IsTimestamp": "boolean",
}

func compileChoice(v any, top bool) (*choiceRule, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a Choice Rule must be an object")
	}
	r := &choiceRule{}
	fields := map[string]bool{}
	for k := range m {
		fields[k] = true
	}
	delete(fields, "Comment")
	if top {
		next, ok := m["Next"].(string)
		if !ok || next == "" {
			return nil, fmt.Errorf("a top-level Choice Rule must have a \"Next\" string")
		}
		r.next = next
		delete(fields, "Next")
	} else if fields["Next"] {
		return nil, fmt.Errorf("a nested Choice Rule must not have \"Next\"")
	}
	if fields["Assign"] {
		if !top {
			return nil, fmt.Errorf("a nested Choice Rule must not have \"Assign\"")
		}
		a, err := compileAssign(m["Assign"])
		if err != nil {
			return nil, err
		}
		r.assign = a
		delete(fields, "Assign")
	}
	for _, f := range []string{"Output", "Condition"} {
		if fields[f] {
			return nil, unsupported("%q (JSONata) in a Choice Rule is", f)
		}
	}
	switch {
	case fields["And"] || fields["Or"]:
		name := "And"
		if fields["Or"] {
			name = "Or"
		}
		list, ok := m[name].([]any)
		if !ok || len(list) == 0 || len(fields) != 1 {
			return nil, fmt.Errorf("%q must be the only test, with a non-empty array of Choice Rules", name)
		}
		for _, e := range list {
			sub, err := compileChoice(e, false)
			if err != nil {
				return nil, err
			}
			if name == "And" {
				r.and = append(r.and, sub)
			} else {
				r.or = append(r.or, sub)
			}
		}
		return r, nil
	case fields["Not"]:
		if len(fields) != 1 {
			return nil, fmt.Errorf("\"Not\" must be the only test of its rule")
		}
		sub, err := compileChoice(m["Not"], false)
		if err != nil {
			return nil, err
		}
		r.not = sub
		return r, nil
	}
	vs, ok := m["Variable"].(string)
	if !ok {
		return nil, fmt.Errorf("a Choice Rule needs \"And\", \"Or\", \"Not\", or a \"Variable\" string")
	}
	p, err := parsePath(vs)
	if err != nil {
		return nil, fmt.Errorf("in Variable: %w", err)
	}
	r.variable = p
	delete(fields, "Variable")
	ops := make([]string, 0, len(fields))
	for k := range fields {
		ops = append(ops, k)
	}
	sort.Strings(ops)
	if len(ops) != 1 {
		return nil, fmt.Errorf("a Choice Rule must have exactly one comparison operator, found %v", ops)
	}
	op := ops[0]
	base := strings.TrimSuffix(op, "Path")
	kind, known := comparisonKinds[base]
	if !known || (base != op && strings.HasPrefix(base, "Is")) || op == "StringMatchesPath" {
		return nil, fmt.Errorf("unknown comparison operator %q", op)
	}
	r.op = base
	if base != op {
		s, ok := m[op].(string)
		if !ok {
			return nil, fmt.Errorf("%s: the value must be a path", op)
		}
		if r.operand, err = parsePath(s); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		return r, nil
	}
	r.value = m[op]
	if !ofKind(r.value, kind) {
		return nil, fmt.Errorf("%s: the value must be a %s", op, kind)
	}
	if op == "StringMatches" {
		if r.match, err = compileMatch(r.value.(string)); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func ofKind(v any, kind string) bool {
	switch kind {
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := number(v)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "timestamp":
		_, ok := timestamp(v)
		return ok
	}
	return false
}

// timestamp parses an RFC 3339 timestamp with an uppercase "T" and "Z" as
// the specification requires.
func timestamp(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok || !strings.Contains(s, "T") || strings.ContainsAny(s, "tz") {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// eval tests the rule against the effective input. A Variable that names
// nothing is a States.Runtime error, except for IsPresent.
func (r *choiceRule) eval(input any, en *env) (bool, error) {
	switch {
	case r.and != nil:
		for _, s := range r.and {
			ok, err := s.eval(input, en)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case r.or != nil:
		for _, s := range r.or {
			ok, err := s.eval(input, en)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case r.not != nil:
		ok, err := r.not.eval(input, en)
		return !ok, err
	}
	v, found := r.variable.get(input, en)
	if r.op == "IsPresent" {
		return found == r.value.(bool), nil
	}
	if !found {
		return false, runtimeErr("Invalid path '%s': The choice state's condition path references an invalid value.", r.variable)
	}
	operand := r.value
	if r.operand != nil {
		o, ok := r.operand.get(input, en)
		if !ok {
			return false, runtimeErr("Invalid path '%s': The choice state's condition path references an invalid value.", r.operand)
		}
		operand = o
	}
	return compare(r.op, v, operand, r.match), nil
}

func compare(op string, v, operand any, match []matchPart) bool {
	switch op {
	case "IsNull":
		return (v == nil) == operand.(bool)
	case "IsNumeric":
		_, ok := number(v)
		return ok == operand.(bool)
	case "IsString":
		_, ok := v.(string)
		return ok == operand.(bool)
	case "IsBoolean":
		_, ok := v.(bool)
		return ok == operand.(bool)
	case "IsTimestamp":
		_, ok := timestamp(v)
		return ok == operand.(bool)
	case "StringMatches":
		s, ok := v.(string)
		return ok && matchWildcard(match, s)
	case "BooleanEquals":
		a, ok1 := v.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b
	}
	var c int
	switch {
	case strings.HasPrefix(op, "String"):
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false
		}
		c = strings.Compare(a, b)
		op = strings.TrimPrefix(op, "String")
	case strings.HasPrefix(op, "Numeric"):
		a, ok1 := number(v)
		b, ok2 := number(operand)
		if !ok1 || !ok2 {
			return false
		}
		c = cmpFloat(a, b)
		op = strings.TrimPrefix(op, "Numeric")
	case strings.HasPrefix(op, "Timestamp"):
		a, ok1 := timestamp(v)
		b, ok2 := timestamp(operand)
		if !ok1 || !ok2 {
			return false
		}
		c = a.Compare(b)
		op = strings.TrimPrefix(op, "Timestamp")
	default:
		return false
	}
	switch op {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "GreaterThan":
		return c > 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// matchPart is a piece of a StringMatches pattern: literal text, or a "*"
// wildcard.
type matchPart struct {
	text string
	star bool
}

// compileMatch reads a StringMatches pattern: "*" matches any run of
// characters, "\*" a star and "\\" a backslash; any other backslash is an
// open escape, which the specification makes an error.
func compileMatch(pattern string) ([]matchPart, error) {
	var parts []matchPart
	var lit strings.Builder
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '\\':
			if i+1 >= len(pattern) || (pattern[i+1] != '*' && pattern[i+1] != '\\') {
				return nil, fmt.Errorf("StringMatches: open escape in %q", pattern)
			}
			lit.WriteByte(pattern[i+1])
			i++
		case '*':
			if lit.Len() > 0 {
				parts = append(parts, matchPart{text: lit.String()})
				lit.Reset()
			}
			parts = append(parts, matchPart{star: true})
		default:
			lit.WriteByte(c)
		}
	}
	if lit.Len() > 0 {
		parts = append(parts, matchPart{text: lit.String()})
	}
	return parts, nil
}

func matchWildcard(parts []matchPart, s string) bool {
	if len(parts) == 0 {
		return s == ""
	}
	p := parts[0]
	if !p.star {
		return strings.HasPrefix(s, p.text) && matchWildcard(parts[1:], s[len(p.text):])
	}
	for i := 0; i <= len(s); i++ {
		if matchWildcard(parts[1:], s[i:]) {
			return true
		}
	}
	return false
}
