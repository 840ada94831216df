package asl

import (
	"context"
	"time"
)

// runState runs one state on its raw input and returns its effective output
// and the next state ("" after a terminal state).
func (e *execution) runState(ctx context.Context, s *state, raw any) (any, string, error) {
	entered := time.Now().UTC()
	e.event(s.typ+"StateEntered", &EventDetails{Name: s.name, Input: strp(encodeJSON(raw))})
	var out any
	var next string
	var err error
	switch s.typ {
	case "Pass":
		out, err = e.runPass(s, raw, entered)
		next = s.next
	case "Wait":
		out, err = e.runWait(ctx, s, raw)
		next = s.next
	case "Choice":
		out, next, err = e.runChoice(s, raw, entered)
	case "Succeed":
		out, err = e.filterInput(s, raw)
		if err == nil {
			out, err = applyOutputPath(s, out)
		}
	case "Fail":
		return nil, "", e.runFail(s, raw, entered)
	case "Task", "Parallel", "Map":
		out, next, err = e.runWithRetry(ctx, s, raw, entered)
	}
	if err != nil {
		return nil, "", err
	}
	e.event(s.typ+"StateExited", &EventDetails{Name: s.name, Output: strp(encodeJSON(out))})
	return out, next, nil
}

// filterInput applies InputPath: null gives {}, a path that names nothing
// is a States.Runtime error.
func (e *execution) filterInput(s *state, raw any) (any, error) {
	if s.inputNull {
		return map[string]any{}, nil
	}
	if s.inputPath == nil {
		return raw, nil
	}
	v, ok := s.inputPath.get(raw, nil)
	if !ok {
		return nil, runtimeErr("An error occurred while executing the state '%s'. Invalid path '%s' : No results for path", s.name, s.inputPath)
	}
	return v, nil
}

// effectiveInput applies InputPath then Parameters.
func (e *execution) effectiveInput(s *state, raw any, contextObj map[string]any) (any, error) {
	in, err := e.filterInput(s, raw)
	if err != nil || s.parameters == nil {
		return in, err
	}
	return s.parameters.eval(in, contextObj)
}

// applyResult applies ResultSelector (Task, Parallel), ResultPath and
// OutputPath to a state's result.
func applyResult(s *state, raw, result any, contextObj map[string]any) (any, error) {
	if s.resultSelector != nil {
		v, err := s.resultSelector.eval(result, contextObj)
		if err != nil {
			return nil, err
		}
		result = v
	}
	out, err := applyResultPath(s.resultPath, s.resultNull, raw, result)
	if err != nil {
		return nil, err
	}
	return applyOutputPath(s, out)
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

func applyOutputPath(s *state, v any) (any, error) {
	if s.outputNull {
		return map[string]any{}, nil
	}
	if s.outputPath == nil {
		return v, nil
	}
	out, ok := s.outputPath.get(v, nil)
	if !ok {
		return nil, runtimeErr("An error occurred while executing the state '%s'. Invalid path '%s' : No results for path", s.name, s.outputPath)
	}
	return out, nil
}

func (e *execution) runPass(s *state, raw any, entered time.Time) (any, error) {
	ctxObj := e.contextObject(s, entered, 0, "")
	result, err := e.effectiveInput(s, raw, ctxObj)
	if err != nil {
		return nil, err
	}
	if s.hasResult {
		result = s.result
	}
	return applyResult(s, raw, result, ctxObj)
}

func (e *execution) runChoice(s *state, raw any, entered time.Time) (any, string, error) {
	in, err := e.filterInput(s, raw)
	if err != nil {
		return nil, "", err
	}
	ctxObj := e.contextObject(s, entered, 0, "")
	next := s.defaultNext
	for _, rule := range s.choices {
		ok, err := rule.eval(in, ctxObj)
		if err != nil {
			return nil, "", err
		}
		if ok {
			next = rule.next
			break
		}
	}
	if next == "" {
		return nil, "", statesErr(ErrNameNoChoiceMatched, "No Matches!")
	}
	out, err := applyOutputPath(s, in)
	return out, next, err
}

func (e *execution) runWait(ctx context.Context, s *state, raw any) (any, error) {
	in, err := e.filterInput(s, raw)
	if err != nil {
		return nil, err
	}
	var d time.Duration
	switch {
	case s.hasWaitSeconds:
		d = time.Duration(s.waitSeconds) * time.Second
	case s.hasWaitTimestamp:
		d = time.Until(s.waitTimestamp)
	case s.waitSecondsPath != nil:
		v, ok := s.waitSecondsPath.get(in, nil)
		n, isInt := integer(v)
		if !ok || !isInt || n < 0 {
			return nil, runtimeErr("The SecondsPath parameter does not reference a valid non-negative integer: %s", s.waitSecondsPath)
		}
		d = time.Duration(n) * time.Second
	case s.waitTimestampPath != nil:
		v, ok := s.waitTimestampPath.get(in, nil)
		t, isTS := timestamp(v)
		if !ok || !isTS {
			return nil, runtimeErr("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s", s.waitTimestampPath)
		}
		d = time.Until(t)
	}
	if err := e.r.sleep(ctx, d); err != nil {
		return nil, err
	}
	return applyOutputPath(s, in)
}

func (e *execution) runFail(s *state, raw any, entered time.Time) error {
	se := &StatesError{Name: s.failError, Cause: s.failCause}
	ctxObj := e.contextObject(s, entered, 0, "")
	for _, f := range []struct {
		node tnode
		dst  *string
		what string
	}{{s.failErrorPath, &se.Name, "ErrorPath"}, {s.failCausePath, &se.Cause, "CausePath"}} {
		if f.node == nil {
			continue
		}
		v, err := f.node.eval(raw, ctxObj)
		if err != nil {
			return err
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
func (e *execution) runWithRetry(ctx context.Context, s *state, raw any, entered time.Time) (any, string, error) {
	attempts := make([]int64, len(s.retry))
	var retryCount int64
	for {
		ctxObj := e.contextObject(s, entered, retryCount, "")
		var out any
		var err error
		switch s.typ {
		case "Task":
			out, err = e.runTaskAttempt(ctx, s, raw, entered, retryCount)
		case "Parallel":
			out, err = e.runParallelAttempt(ctx, s, raw, ctxObj)
		case "Map":
			out, err = e.runMapAttempt(ctx, s, raw, ctxObj)
		}
		if err == nil {
			return out, s.next, nil
		}
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		se := asStatesError(err)
		if se.Name == ErrNameRuntime {
			return nil, "", se
		}
		if i := firstMatch(s.retry, se.Name); i >= 0 && attempts[i] < s.retry[i].maxAttempts {
			d := s.retry[i].delay(attempts[i])
			attempts[i]++
			retryCount++
			if err := e.r.sleep(ctx, d); err != nil {
				return nil, "", err
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
			out, err := applyResultPath(c.resultPath, c.resultNull, raw, errOut)
			if err != nil {
				return nil, "", err
			}
			return out, c.next, nil
		}
		return nil, "", se
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
