package asl

import (
	"context"
	"math"
	"time"
)

// maxPayloadBytes is the Step Functions quota on a state's input, output
// and a task's result: 256 KiB of UTF-8.
const maxPayloadBytes = 256 * 1024

// maxWait is the longest delay a Wait state accepts: 2^31-1 seconds.
const maxWait = time.Duration(math.MaxInt32) * time.Second

// stepResult is what one state produced: its effective output, the next
// state ("" after a terminal state) and the variables it assigns.
type stepResult struct {
	out  any
	next string
	vars map[string]any
}

// runState runs one state on its raw input. It applies the variables the
// state assigns to scope once the state is done, so that every reference
// inside the state reads the values as they were when it was entered.
func (e *execution) runState(ctx context.Context, s *state, raw any, scope *varScope) (any, string, error) {
	entered := time.Now().UTC()
	id := e.event(s.typ+"StateEntered", &EventDetails{Name: s.name, Input: strp(encodeJSON(raw))})
	var r stepResult
	var err error
	switch s.typ {
	case "Pass":
		r, err = e.runPass(s, raw, e.env(s, entered, 0, "", scope))
	case "Wait":
		r, err = e.runWait(ctx, s, raw, e.env(s, entered, 0, "", scope))
	case "Choice":
		r, err = e.runChoice(s, raw, e.env(s, entered, 0, "", scope))
	case "Succeed":
		en := e.env(s, entered, 0, "", scope)
		r.out, err = e.filterInput(s, raw, en)
		if err == nil {
			r.out, err = applyOutputPath(s, r.out, en)
		}
	case "Fail":
		return nil, "", located(e.runFail(s, raw, e.env(s, entered, 0, "", scope)), s.name, id)
	case "Task", "Parallel", "Map":
		r, err = e.runWithRetry(ctx, s, raw, entered, scope)
	}
	if err != nil {
		return nil, "", located(err, s.name, id)
	}
	out := encodeJSON(r.out)
	if len(out) > maxPayloadBytes {
		return nil, "", &StatesError{Name: ErrNameDataLimitExceeded, Cause: dataLimitCause(s.name), terminal: true}
	}
	exited := &EventDetails{Name: s.name, Output: strp(out)}
	if r.vars != nil {
		if exited.AssignedVariables, err = e.assign(scope, r.vars); err != nil {
			return nil, "", located(err, s.name, id)
		}
		exited.AssignedVariablesDetails = &Truncation{}
	}
	e.event(s.typ+"StateExited", exited)
	return r.out, r.next, nil
}

// dataLimitCause is the cause of States.DataLimitExceeded for a state or
// task whose result is over the payload quota.
func dataLimitCause(what string) string {
	return "The state/task '" + what + "' returned a result with a size exceeding the maximum number of bytes service limit."
}

// filterInput applies InputPath: null gives {}, a path that names nothing
// is a States.Runtime error.
func (e *execution) filterInput(s *state, raw any, en *env) (any, error) {
	if s.inputNull {
		return map[string]any{}, nil
	}
	if s.inputPath == nil {
		return raw, nil
	}
	v, ok := s.inputPath.get(raw, en)
	if !ok {
		return nil, runtimeErr("Invalid path '%s' : No results for path: %s", s.inputPath, s.inputPath.bracketed())
	}
	return v, nil
}

// effectiveInput applies InputPath then Parameters.
func (e *execution) effectiveInput(s *state, raw any, en *env) (any, error) {
	in, err := e.filterInput(s, raw, en)
	if err != nil || s.parameters == nil {
		return in, err
	}
	return s.parameters.eval(in, en)
}

// finishResult applies ResultSelector (Task, Parallel, Map), evaluates
// Assign on the selected result, then applies ResultPath and OutputPath.
func finishResult(s *state, raw, result any, en *env) (stepResult, error) {
	if s.resultSelector != nil {
		v, err := s.resultSelector.eval(result, en)
		if err != nil {
			return stepResult{}, err
		}
		result = v
	}
	var r stepResult
	var err error
	if s.assign != nil {
		if r.vars, err = s.assign.eval(result, en); err != nil {
			return stepResult{}, err
		}
	}
	out, err := applyResultPath(s.resultPath, s.resultNull, raw, result)
	if err != nil {
		return stepResult{}, err
	}
	if r.out, err = applyOutputPath(s, out, en); err != nil {
		return stepResult{}, err
	}
	r.next = s.next
	return r, nil
}

func applyResultPath(p *path, null bool, raw, result any) (any, error) {
	switch {
	case null:
		return raw, nil
	case p == nil:
		return result, nil
	}
	out, err := p.set(raw, result)
	if err != nil {
		return nil, statesErr(ErrNameResultPathMatch, "%v", err)
	}
	return out, nil
}

func applyOutputPath(s *state, v any, en *env) (any, error) {
	if s.outputNull {
		return map[string]any{}, nil
	}
	if s.outputPath == nil {
		return v, nil
	}
	out, ok := s.outputPath.get(v, en)
	if !ok {
		return nil, runtimeErr("Invalid path '%s' : No results for path: %s", s.outputPath, s.outputPath.bracketed())
	}
	return out, nil
}

// runPass: a path of Parameters that names nothing is States.Runtime in a
// Pass state (ParameterPathFailure is for Tasks).
func (e *execution) runPass(s *state, raw any, en *env) (stepResult, error) {
	result, err := e.effectiveInput(s, raw, en)
	if err != nil {
		return stepResult{}, asRuntime(err)
	}
	if s.hasResult {
		result = s.result
	}
	return finishResult(s, raw, result, en)
}

// runChoice: the matching rule's Assign applies, or the state's own when
// the Default is taken.
func (e *execution) runChoice(s *state, raw any, en *env) (stepResult, error) {
	in, err := e.filterInput(s, raw, en)
	if err != nil {
		return stepResult{}, err
	}
	r := stepResult{next: s.defaultNext}
	assign := s.assign
	for _, rule := range s.choices {
		ok, err := rule.eval(in, en)
		if err != nil {
			return stepResult{}, err
		}
		if ok {
			r.next, assign = rule.next, rule.assign
			break
		}
	}
	if r.next == "" {
		return stepResult{}, statesErr(ErrNameNoChoiceMatched, "No Matches!")
	}
	if assign != nil {
		if r.vars, err = assign.eval(in, en); err != nil {
			return stepResult{}, err
		}
	}
	r.out, err = applyOutputPath(s, in, en)
	return r, err
}

func (e *execution) runWait(ctx context.Context, s *state, raw any, en *env) (stepResult, error) {
	in, err := e.filterInput(s, raw, en)
	if err != nil {
		return stepResult{}, err
	}
	var d time.Duration
	switch {
	case s.hasWaitSeconds:
		d = time.Duration(min(s.waitSeconds, math.MaxInt32+1)) * time.Second
	case s.hasWaitTimestamp:
		d = time.Until(s.waitTimestamp)
	case s.waitSecondsPath != nil:
		p := s.waitSecondsPath
		v, ok := p.get(in, en)
		if !ok {
			return stepResult{}, runtimeErr("The SecondsPath parameter does not reference an input value: %s", p)
		}
		n, isInt := integer(v)
		if !isInt {
			return stepResult{}, runtimeErr("The SecondsPath parameter cannot be parsed as a long value: %s == %s", p, plain(v))
		}
		if n < 0 {
			return stepResult{}, runtimeErr("The SecondsPath parameter references a negative value: %s == %s", p, plain(v))
		}
		d = time.Duration(min(n, math.MaxInt32+1)) * time.Second
	case s.waitTimestampPath != nil:
		p := s.waitTimestampPath
		v, ok := p.get(in, en)
		if !ok {
			return stepResult{}, runtimeErr("The TimestampPath parameter does not reference an input value: %s", p)
		}
		t, isTS := timestamp(v)
		if !isTS {
			return stepResult{}, runtimeErr("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", p, plain(v))
		}
		d = time.Until(t)
	}
	if d > maxWait {
		return stepResult{}, runtimeErr("Wait state delay is too long.")
	}
	r := stepResult{next: s.next}
	if s.assign != nil {
		if r.vars, err = s.assign.eval(in, en); err != nil {
			return stepResult{}, err
		}
	}
	if err := e.r.sleep(ctx, d); err != nil {
		return stepResult{}, err
	}
	r.out, err = applyOutputPath(s, in, en)
	return r, err
}

// plain writes a value after "==" in a cause: strings as they are, any
// other value as JSON.
func plain(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return encodeJSON(v)
}

// runFail: a path of ErrorPath or CausePath that names nothing is
// States.Runtime.
func (e *execution) runFail(s *state, raw any, en *env) error {
	se := &StatesError{Name: s.failError, Cause: s.failCause}
	for _, f := range []struct {
		node tnode
		dst  *string
		what string
	}{{s.failErrorPath, &se.Name, "ErrorPath"}, {s.failCausePath, &se.Cause, "CausePath"}} {
		if f.node == nil {
			continue
		}
		v, err := f.node.eval(raw, en)
		if err != nil {
			return asRuntime(err)
		}
		str, ok := v.(string)
		if !ok {
			return runtimeErr("The %s of state '%s' did not resolve to a string: %s", f.what, s.name, encodeJSON(v))
		}
		*f.dst = str
	}
	return se
}

// runWithRetry runs a Task, Parallel or Map state: one attempt, then the Retry
// policy, then the Catch fallbacks.
func (e *execution) runWithRetry(ctx context.Context, s *state, raw any, entered time.Time, scope *varScope) (stepResult, error) {
	attempts := make([]int64, len(s.retry))
	var retryCount int64
	for {
		en := e.env(s, entered, retryCount, "", scope)
		var r stepResult
		var err error
		switch s.typ {
		case "Task":
			r, err = e.runTaskAttempt(ctx, s, raw, entered, retryCount, scope)
		case "Parallel":
			r, err = e.runParallelAttempt(ctx, s, raw, en)
		case "Map":
			r, err = e.runMapAttempt(ctx, s, raw, en)
		}
		if err == nil {
			return r, nil
		}
		if ctx.Err() != nil {
			return stepResult{}, ctx.Err()
		}
		se := asStatesError(err)
		if se.Name == ErrNameRuntime || se.terminal {
			return stepResult{}, se
		}
		if i := firstMatch(s.retry, se.Name); i >= 0 && attempts[i] < s.retry[i].maxAttempts {
			d := s.retry[i].delay(attempts[i])
			attempts[i]++
			retryCount++
			if err := e.r.sleep(ctx, d); err != nil {
				return stepResult{}, err
			}
			// Step Functions bills each retry as a state transition.
			e.transition()
			continue
		}
		for _, c := range s.catch {
			if !matches(c.errorEquals, se.Name) {
				continue
			}
			errOut := map[string]any{"Error": se.Name, "Cause": se.Cause}
			r := stepResult{next: c.next}
			if c.assign != nil {
				if r.vars, err = c.assign.eval(errOut, en); err != nil {
					return stepResult{}, err
				}
			}
			if r.out, err = applyResultPath(c.resultPath, c.resultNull, raw, errOut); err != nil {
				return stepResult{}, err
			}
			return r, nil
		}
		return stepResult{}, se
	}
}

func firstMatch(retry []retrier, name string) int {
	for i := range retry {
		if matches(retry[i].errorEquals, name) {
			return i
		}
	}
	return -1
}
