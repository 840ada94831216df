package asl

import (
	"fmt"
	"strings"
)

func parseState(name string, v any, names map[string]bool) (*state, error) {
	f, err := newFields(v)
	if err != nil {
		return nil, err
	}
	typ, _, err := f.str("Type")
	if err != nil || typ == "" {
		return nil, fmt.Errorf("\"Type\" must be a state type")
	}
	if ql, ok, _ := f.str("QueryLanguage"); ok && ql != "JSONPath" {
		return nil, unsupported("QueryLanguage %q is", ql)
	}
	s := &state{name: name, typ: typ}
	switch typ {
	case "Task", "Pass", "Wait", "Parallel", "Map":
		err = s.readTransition(f)
	case "Choice", "Succeed", "Fail":
	default:
		return nil, fmt.Errorf("unknown state type %q", typ)
	}
	if err != nil {
		return nil, err
	}
	if typ != "Fail" {
		if err := s.readInputOutput(f); err != nil {
			return nil, err
		}
	}
	if typ == "Succeed" || typ == "Fail" {
		if f.has("Assign") {
			return nil, fmt.Errorf("a %s state cannot assign variables (\"Assign\")", typ)
		}
	} else if s.assign, err = readAssign(f); err != nil {
		return nil, err
	}
	switch typ {
	case "Task":
		err = s.readTask(f)
	case "Pass":
		err = s.readPass(f)
	case "Wait":
		err = s.readWait(f)
	case "Choice":
		err = s.readChoice(f)
	case "Fail":
		err = s.readFail(f)
	case "Parallel":
		err = s.readParallel(f, names)
	case "Map":
		err = s.readMap(f, names)
	}
	if err != nil {
		return nil, err
	}
	if extra := f.unused(); len(extra) > 0 {
		return nil, fieldsErr(typ+" state", extra)
	}
	return s, nil
}

// readTransition reads exactly one of "Next" and "End": true.
func (s *state) readTransition(f *fields) error {
	next, hasNext, err := f.str("Next")
	if err != nil {
		return err
	}
	end, _, err := f.boolean("End")
	if err != nil {
		return err
	}
	if hasNext == end {
		return fmt.Errorf("a %s state must have either \"Next\" or \"End\": true", s.typ)
	}
	s.next, s.end = next, end
	return nil
}

func (s *state) readInputOutput(f *fields) error {
	var err error
	if s.inputPath, s.inputNull, err = f.nullablePath("InputPath", false); err != nil {
		return err
	}
	if s.outputPath, s.outputNull, err = f.nullablePath("OutputPath", false); err != nil {
		return err
	}
	if s.typ == "Task" || s.typ == "Pass" || s.typ == "Parallel" || s.typ == "Map" {
		if s.resultPath, s.resultNull, err = f.nullablePath("ResultPath", true); err != nil {
			return err
		}
		if err := checkResultPath(s.resultPath); err != nil {
			return err
		}
		if v, ok := f.raw("Parameters"); ok {
			if s.parameters, err = compileTemplate(v); err != nil {
				return fmt.Errorf("in Parameters: %w", err)
			}
		}
	}
	if s.typ == "Task" || s.typ == "Parallel" || s.typ == "Map" {
		if v, ok := f.raw("ResultSelector"); ok {
			if s.resultSelector, err = compileTemplate(v); err != nil {
				return fmt.Errorf("in ResultSelector: %w", err)
			}
		}
		if s.retry, err = readRetry(f); err != nil {
			return err
		}
		if s.catch, err = readCatch(f); err != nil {
			return err
		}
	}
	return nil
}

// checkResultPath refuses a ResultPath that is no place in the data: the
// Context Object and variables are not written through it.
func checkResultPath(p *path) error {
	switch {
	case p == nil:
	case p.context:
		return fmt.Errorf("\"ResultPath\" must not start with \"$$\"")
	case p.variable != "":
		return fmt.Errorf("\"ResultPath\" %q names a variable: variables are set with \"Assign\"", p.src)
	}
	return nil
}

func (s *state) readPass(f *fields) error {
	s.result, s.hasResult = f.raw("Result")
	return nil
}

func (s *state) readWait(f *fields) error {
	count := 0
	if n, ok, err := f.integer("Seconds"); err != nil {
		return err
	} else if ok {
		if n < 0 {
			return fmt.Errorf("\"Seconds\" must not be negative")
		}
		s.waitSeconds, s.hasWaitSeconds = n, true
		count++
	}
	if ts, ok, err := f.str("Timestamp"); err != nil {
		return err
	} else if ok {
		t, valid := timestamp(ts)
		if !valid {
			return fmt.Errorf("\"Timestamp\" %q is not an RFC 3339 timestamp", ts)
		}
		s.waitTimestamp, s.hasWaitTimestamp = t, true
		count++
	}
	for _, name := range []string{"SecondsPath", "TimestampPath"} {
		src, ok, err := f.str(name)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		p, err := parseRefPath(src)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if name == "SecondsPath" {
			s.waitSecondsPath = p
		} else {
			s.waitTimestampPath = p
		}
		count++
	}
	if count != 1 {
		return fmt.Errorf("a Wait state needs exactly one of \"Seconds\", \"SecondsPath\", \"Timestamp\", \"TimestampPath\"")
	}
	return nil
}

func (s *state) readChoice(f *fields) error {
	if f.has("Next") || f.has("End") {
		return fmt.Errorf("a Choice state has no \"Next\" or \"End\": its rules and \"Default\" transition")
	}
	raw, _ := f.raw("Choices")
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return fmt.Errorf("\"Choices\" must be a non-empty array")
	}
	for i, c := range list {
		rule, err := compileChoice(c, true)
		if err != nil {
			return fmt.Errorf("in Choices[%d]: %w", i, err)
		}
		s.choices = append(s.choices, rule)
	}
	var err error
	s.defaultNext, _, err = f.str("Default")
	return err
}

func (s *state) readFail(f *fields) error {
	var err error
	var hasErr, hasCause bool
	if s.failError, hasErr, err = f.str("Error"); err != nil {
		return err
	}
	if s.failCause, hasCause, err = f.str("Cause"); err != nil {
		return err
	}
	for _, name := range []string{"ErrorPath", "CausePath"} {
		src, ok, err := f.str(name)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if (name == "ErrorPath" && hasErr) || (name == "CausePath" && hasCause) {
			return fmt.Errorf("a Fail state must not have both %q and %q", strings.TrimSuffix(name, "Path"), name)
		}
		var node tnode
		if isIntrinsic(src) {
			c, err := parseIntrinsic(src)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			node = tcall{c}
		} else {
			p, err := parseRefPath(src)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			node = tpath{field: name, p: p}
		}
		if name == "ErrorPath" {
			s.failErrorPath = node
		} else {
			s.failCausePath = node
		}
	}
	return nil
}

func (s *state) readParallel(f *fields, names map[string]bool) error {
	raw, _ := f.raw("Branches")
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return fmt.Errorf("\"Branches\" must be a non-empty array")
	}
	for i, b := range list {
		m, err := parseMachine(b, names, false)
		if err != nil {
			return fmt.Errorf("in Branches[%d]: %w", i, err)
		}
		s.branches = append(s.branches, m)
	}
	return nil
}
