package asl

import (
	"fmt"
	"sort"
	"time"
	"unicode/utf8"
)

// StateMachine is a parsed, validated definition. It is immutable and may be
// shared by any number of executions.
type StateMachine struct {
	Comment        string
	StartAt        string
	TimeoutSeconds int64
	states         map[string]*state
	source         string
}

// StateNames lists the machine's top-level states, sorted.
func (m *StateMachine) StateNames() []string {
	names := make([]string, 0, len(m.states))
	for n := range m.states {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Definition returns the JSON text the machine was parsed from.
func (m *StateMachine) Definition() string { return m.source }

// state is one state of any type; which fields matter depends on typ.
type state struct {
	name string
	typ  string
	next string
	end  bool

	inputPath, outputPath *path
	inputNull, outputNull bool
	parameters            *payloadTemplate
	resultSelector        *payloadTemplate
	assign                *assignment
	resultPath            *path
	resultNull            bool
	result                any
	hasResult             bool

	task *taskSpec

	retry []retrier
	catch []catcher

	choices     []*choiceRule
	defaultNext string

	waitSeconds       int64
	hasWaitSeconds    bool
	waitSecondsPath   *path
	waitTimestamp     time.Time
	hasWaitTimestamp  bool
	waitTimestampPath *path

	failError, failCause         string
	failErrorPath, failCausePath tnode

	branches []*StateMachine

	mapSpec *mapSpec
}

// Parse validates a definition and refuses, by name, anything the local
// runner does not implement. The error is a *DefinitionError.
func Parse(def []byte) (*StateMachine, error) {
	v, err := decodeJSON(def)
	if err != nil {
		return nil, definitionErr(fmt.Errorf("the definition is not JSON: %v", err))
	}
	names := map[string]bool{}
	m, err := parseMachine(v, names, true)
	if err != nil {
		return nil, definitionErr(err)
	}
	m.source = string(def)
	return m, nil
}

// parseMachine reads a state machine or a Parallel branch. names collects
// state names across the whole definition: they must be unique in it.
func parseMachine(v any, names map[string]bool, top bool) (*StateMachine, error) {
	f, err := newFields(v)
	if err != nil {
		return nil, fmt.Errorf("the state machine %w", err)
	}
	m := &StateMachine{states: map[string]*state{}}
	if ql, ok, _ := f.str("QueryLanguage"); ok && ql != "JSONPath" {
		return nil, unsupported("QueryLanguage %q is", ql)
	}
	if m.Comment, _, err = f.str("Comment"); err != nil {
		return nil, err
	}
	start, ok, err := f.str("StartAt")
	if err != nil || !ok {
		return nil, fmt.Errorf("\"StartAt\" must name the first state")
	}
	m.StartAt = start
	if top {
		if ver, ok, _ := f.str("Version"); ok && ver != "1.0" {
			return nil, unsupported("States Language version %q is", ver)
		}
		if t, ok, err := f.integer("TimeoutSeconds"); err != nil {
			return nil, err
		} else if ok {
			if t <= 0 {
				return nil, fmt.Errorf("\"TimeoutSeconds\" must be a positive integer")
			}
			m.TimeoutSeconds = t
		}
	}
	rawStates, _ := f.raw("States")
	statesObj, ok := rawStates.(map[string]any)
	if !ok || len(statesObj) == 0 {
		return nil, fmt.Errorf("\"States\" must be a non-empty object")
	}
	if extra := f.unused(); len(extra) > 0 {
		return nil, fieldsErr("the state machine", extra)
	}
	stateNames := make([]string, 0, len(statesObj))
	for n := range statesObj {
		stateNames = append(stateNames, n)
	}
	sort.Strings(stateNames)
	for _, n := range stateNames {
		if names[n] {
			return nil, fmt.Errorf("state %q: state names must be unique in the whole definition", n)
		}
		names[n] = true
		if n == "" || utf8.RuneCountInString(n) > 80 {
			return nil, fmt.Errorf("state %q: a state name has 1 to 80 characters", n)
		}
		s, err := parseState(n, statesObj[n], names)
		if err != nil {
			return nil, fmt.Errorf("state %q: %w", n, err)
		}
		m.states[n] = s
	}
	if err := m.checkTransitions(); err != nil {
		return nil, err
	}
	if top {
		if err := m.checkScopes(nil); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func fieldsErr(where string, extra []string) error {
	for _, f := range extra {
		switch f {
		case "Arguments", "Output", "Credentials", "Items", "ItemReader", "ResultWriter", "ItemBatcher", "Label",
			"ToleratedFailureCount", "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath":
			return unsupported("%s: field %q is", where, f)
		}
	}
	return fmt.Errorf("%s: unknown field(s) %v", where, extra)
}

// checkTransitions verifies that every transition names a state of this
// machine and that every state can be reached from StartAt.
func (m *StateMachine) checkTransitions() error {
	if _, ok := m.states[m.StartAt]; !ok {
		return fmt.Errorf("\"StartAt\" names %q, which is not a state", m.StartAt)
	}
	reached := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		if reached[name] {
			return
		}
		reached[name] = true
		for _, t := range m.states[name].transitions() {
			visit(t)
		}
	}
	for name, s := range m.states {
		for _, t := range s.transitions() {
			if _, ok := m.states[t]; !ok {
				return fmt.Errorf("state %q: transition to %q, which is not a state", name, t)
			}
		}
	}
	visit(m.StartAt)
	for _, name := range m.StateNames() {
		if !reached[name] {
			return fmt.Errorf("state %q cannot be reached from %q", name, m.StartAt)
		}
	}
	return nil
}

func (s *state) transitions() []string {
	var out []string
	if s.next != "" {
		out = append(out, s.next)
	}
	if s.defaultNext != "" {
		out = append(out, s.defaultNext)
	}
	for _, c := range s.choices {
		out = append(out, c.next)
	}
	for _, c := range s.catch {
		out = append(out, c.next)
	}
	return out
}
