package asl

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Variables (the "Assign" field and "$name" references), as Step Functions
// runs them in the JSONPath query language:
//
//   - Pass, Task, Map, Parallel, Choice (the state and its top-level rules),
//     Wait and Catch may assign; Succeed and Fail may not.
//   - Each value is a JSON value; a field whose name ends in ".$" takes a
//     Path, a "$$." Context Object path, a "$name" reference or an
//     intrinsic function, as in Parameters. Its "$" is the state's result
//     (Pass: Result or the effective input; Task, Parallel, Map: the result
//     after ResultSelector), the state input for Choice and Wait, and the
//     Error Output in a Catch.
//   - Every reference in a state reads the values as they were when the
//     state was entered; the new values are visible from the next state on.
//   - The top-level states share one scope. Each Parallel branch and each
//     Map iteration has a scope of its own, discarded when it ends: it reads
//     the variables of the scopes around it and may not assign any name that
//     an enclosing scope assigns.
//   - A value is at most 256 KiB, one Assign at most 256 KiB in all, and the
//     variables of an execution at most 10 MiB (States.DataLimitExceeded).

const (
	maxVariableBytes   = 256 * 1024
	maxAssignBytes     = 256 * 1024
	maxExecutionVarsSz = 10 * 1024 * 1024
	maxVariableName    = 80
)

// env is what a path sees besides the data: the Context Object ("$$") and
// the variables ("$name").
type env struct {
	ctx  map[string]any
	vars *varScope
}

// varScope holds the variables of one scope: the machine's top-level
// states, one Parallel branch or one Map iteration.
type varScope struct {
	parent *varScope
	vals   map[string]any
	sizes  map[string]int
}

func newScope(parent *varScope) *varScope { return &varScope{parent: parent} }

func (s *varScope) lookup(name string) (any, bool) {
	for ; s != nil; s = s.parent {
		if v, ok := s.vals[name]; ok {
			return v, true
		}
	}
	return nil, false
}

// bytes is the encoded size of this scope's own variables.
func (s *varScope) bytes() int {
	n := 0
	for _, sz := range s.sizes {
		n += sz
	}
	return n
}

// validVariableName applies the Step Functions rule for variable names: a
// letter or "_" first, then letters, digits, "_" or combining marks, at
// most 80 characters; "states" is reserved.
func validVariableName(name string) error {
	if name == "states" {
		return fmt.Errorf("the variable name %q is reserved", name)
	}
	if name == "" || utf8.RuneCountInString(name) > maxVariableName {
		return fmt.Errorf("a variable name has 1 to %d characters, not %q", maxVariableName, name)
	}
	for i, r := range name {
		ok := unicode.IsLetter(r) || r == '_'
		if i > 0 {
			ok = ok || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Pc)
		}
		if !ok {
			return fmt.Errorf("invalid variable name %q: a letter or '_' first, then letters, digits or '_'", name)
		}
	}
	return nil
}

// assignment is a compiled "Assign" field.
type assignment struct {
	t     *payloadTemplate
	names []string // the variables it sets, sorted
}

func compileAssign(v any) (*assignment, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("\"Assign\" must be a JSON object")
	}
	a := &assignment{}
	for k := range m {
		name := strings.TrimSuffix(k, ".$")
		if err := validVariableName(name); err != nil {
			return nil, fmt.Errorf("in Assign: %w", err)
		}
		a.names = append(a.names, name)
	}
	sort.Strings(a.names)
	t, err := compileTemplate(m)
	if err != nil {
		return nil, fmt.Errorf("in Assign: %w", err)
	}
	a.t = t
	return a, nil
}

// readAssign reads a state's or a Catch's optional "Assign".
func readAssign(f *fields) (*assignment, error) {
	v, ok := f.raw("Assign")
	if !ok {
		return nil, nil
	}
	return compileAssign(v)
}

// eval computes the new values; a path that names nothing is States.Runtime.
func (a *assignment) eval(input any, en *env) (map[string]any, error) {
	v, err := a.t.eval(input, en)
	if err != nil {
		return nil, asRuntime(err)
	}
	return v.(map[string]any), nil
}

// apply stores the values in scope, enforcing the size limits, and returns
// the history's "assignedVariables" (each value JSON-encoded).
func (e *execution) assign(scope *varScope, vals map[string]any) (map[string]string, error) {
	shown := make(map[string]string, len(vals))
	total := 0
	for name, v := range vals {
		enc := encodeJSON(v)
		if len(enc) > maxVariableBytes {
			return nil, statesErr(ErrNameDataLimitExceeded, "The variable '%s' is larger than the %d bytes a variable may hold.", name, maxVariableBytes)
		}
		total += len(enc)
		shown[name] = enc
	}
	if total > maxAssignBytes {
		return nil, statesErr(ErrNameDataLimitExceeded, "The variables assigned by one state are larger than %d bytes in all.", maxAssignBytes)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	delta := 0
	for name, enc := range shown {
		delta += len(enc) - scope.sizes[name]
	}
	if e.varBytes+delta > maxExecutionVarsSz {
		return nil, statesErr(ErrNameDataLimitExceeded, "The variables of the execution would be larger than %d bytes in all.", maxExecutionVarsSz)
	}
	e.varBytes += delta
	if scope.vals == nil {
		scope.vals, scope.sizes = map[string]any{}, map[string]int{}
	}
	for name, v := range vals {
		scope.vals[name] = v
		scope.sizes[name] = len(shown[name])
	}
	return shown, nil
}

// release forgets an inner scope that ended (a branch or an iteration).
func (e *execution) release(scope *varScope) {
	e.mu.Lock()
	e.varBytes -= scope.bytes()
	e.mu.Unlock()
}

// assigned lists the names this machine's own states assign (not those of
// nested branches and iterations).
func (m *StateMachine) assigned() map[string]bool {
	out := map[string]bool{}
	for _, s := range m.states {
		for _, a := range s.assignments() {
			for _, n := range a.names {
				out[n] = true
			}
		}
	}
	return out
}

func (s *state) assignments() []*assignment {
	var out []*assignment
	if s.assign != nil {
		out = append(out, s.assign)
	}
	for _, c := range s.choices {
		if c.assign != nil {
			out = append(out, c.assign)
		}
	}
	for _, c := range s.catch {
		if c.assign != nil {
			out = append(out, c.assign)
		}
	}
	return out
}

// checkScopes refuses a branch or iteration that assigns a variable of an
// enclosing scope: inner scopes may read those, never write them.
func (m *StateMachine) checkScopes(outer map[string]bool) error {
	own := m.assigned()
	for _, name := range m.StateNames() {
		s := m.states[name]
		for _, a := range s.assignments() {
			for _, n := range a.names {
				if outer[n] {
					return fmt.Errorf("state %q: assigns the variable %q of an enclosing scope; a Parallel branch or a Map iteration may read it but not assign it", name, n)
				}
			}
		}
		var inner []*StateMachine
		inner = append(inner, s.branches...)
		if s.mapSpec != nil {
			inner = append(inner, s.mapSpec.processor)
		}
		if len(inner) == 0 {
			continue
		}
		enclosing := make(map[string]bool, len(outer)+len(own))
		for n := range outer {
			enclosing[n] = true
		}
		for n := range own {
			enclosing[n] = true
		}
		for _, b := range inner {
			if err := b.checkScopes(enclosing); err != nil {
				return err
			}
		}
	}
	return nil
}

// asRuntime turns a missing path of a Payload Template into the
// States.Runtime error Step Functions reports outside Task Parameters.
func asRuntime(err error) error {
	if se, ok := err.(*StatesError); ok && se.Name == ErrNameParameterPathFailure {
		return &StatesError{Name: ErrNameRuntime, Cause: se.Cause}
	}
	return err
}
