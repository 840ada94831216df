package asl

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// mapSpec is what a Map state adds: the items, how each is selected, and
// the machine that processes it. Only the INLINE mode exists locally.
type mapSpec struct {
	itemsPath          *path
	itemSelector       *payloadTemplate
	processor          *StateMachine
	maxConcurrency     int64
	maxConcurrencyPath *path
}

func (s *state) readMap(f *fields, names map[string]bool) error {
	m := &mapSpec{}
	var err error
	if src, ok, err := f.str("ItemsPath"); err != nil {
		return err
	} else if ok {
		if m.itemsPath, err = parseRefPath(src); err != nil {
			return fmt.Errorf("ItemsPath: %w", err)
		}
	}
	if v, ok := f.raw("ItemSelector"); ok {
		if s.parameters != nil {
			return fmt.Errorf("a Map state must not have both \"ItemSelector\" and \"Parameters\"")
		}
		if m.itemSelector, err = compileTemplate(v); err != nil {
			return fmt.Errorf("in ItemSelector: %w", err)
		}
	} else {
		// "Parameters" is the deprecated name of ItemSelector in a Map state.
		m.itemSelector, s.parameters = s.parameters, nil
	}
	proc, hasProc := f.raw("ItemProcessor")
	iter, hasIter := f.raw("Iterator")
	if hasProc == hasIter {
		return fmt.Errorf("a Map state needs one of \"ItemProcessor\" and \"Iterator\"")
	}
	if hasIter {
		proc = iter
	}
	if pm, ok := proc.(map[string]any); ok {
		if cfg, ok := pm["ProcessorConfig"]; ok {
			if err := checkInline(cfg); err != nil {
				return err
			}
			proc = withoutKey(pm, "ProcessorConfig")
		}
	}
	if m.processor, err = parseMachine(proc, names, false); err != nil {
		return fmt.Errorf("in ItemProcessor: %w", err)
	}
	n, hasN, err := f.integer("MaxConcurrency")
	if err != nil || n < 0 {
		return fmt.Errorf("\"MaxConcurrency\" must be a non-negative integer")
	}
	src, hasPath, err := f.str("MaxConcurrencyPath")
	if err != nil {
		return err
	}
	if hasN && hasPath {
		return fmt.Errorf("a Map state must not have both \"MaxConcurrency\" and \"MaxConcurrencyPath\"")
	}
	m.maxConcurrency = n
	if hasPath {
		if m.maxConcurrencyPath, err = parseRefPath(src); err != nil {
			return fmt.Errorf("MaxConcurrencyPath: %w", err)
		}
	}
	s.mapSpec = m
	return nil
}

func checkInline(cfg any) error {
	c, ok := cfg.(map[string]any)
	if !ok {
		return fmt.Errorf("\"ProcessorConfig\" must be an object")
	}
	if mode, ok := c["Mode"]; ok && mode != "INLINE" {
		return unsupported("Map ProcessorConfig Mode %v is", encodeJSON(mode))
	}
	for k := range c {
		if k != "Mode" {
			return unsupported("Map ProcessorConfig field %q is", k)
		}
	}
	return nil
}

func withoutKey(m map[string]any, key string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// runMapAttempt runs the item processor once per item of the Items Array,
// at most MaxConcurrency at a time (0: no limit). The result is the array
// of the iterations' outputs, in item order. When one iteration fails, the
// others are stopped and the state fails with that iteration's error.
func (e *execution) runMapAttempt(ctx context.Context, s *state, raw any, en *env) (stepResult, error) {
	m := s.mapSpec
	in, err := e.filterInput(s, raw, en)
	if err != nil {
		return stepResult{}, err
	}
	itemsV := in
	if m.itemsPath != nil {
		v, ok := m.itemsPath.get(in, en)
		if !ok {
			return stepResult{}, runtimeErr("The ItemsPath %s of state '%s' matched nothing", m.itemsPath, s.name)
		}
		itemsV = v
	}
	items, ok := itemsV.([]any)
	if !ok {
		return stepResult{}, runtimeErr("The Items Array of state '%s' is a %s, not an array", s.name, jsonType(itemsV))
	}
	limit := m.maxConcurrency
	if m.maxConcurrencyPath != nil {
		v, ok := m.maxConcurrencyPath.get(in, en)
		n, isInt := integer(v)
		if !ok || !isInt || n < 0 {
			return stepResult{}, runtimeErr("The MaxConcurrencyPath %s does not reference a non-negative integer", m.maxConcurrencyPath)
		}
		limit = n
	}
	selected := make([]any, len(items))
	for i, item := range items {
		selected[i] = item
		if m.itemSelector == nil {
			continue
		}
		c := make(map[string]any, len(en.ctx)+1)
		for k, v := range en.ctx {
			c[k] = v
		}
		c["Map"] = map[string]any{"Item": map[string]any{"Index": int64(i), "Value": item}}
		if selected[i], err = m.itemSelector.eval(in, &env{ctx: c, vars: en.vars}); err != nil {
			return stepResult{}, err
		}
	}
	e.event("MapStateStarted", &EventDetails{Length: int64p(int64(len(items)))})
	results, err := e.runIterations(ctx, s, selected, int(limit), en.vars)
	if err != nil {
		if ctx.Err() == nil {
			e.event("MapStateFailed", nil)
		}
		return stepResult{}, err
	}
	e.event("MapStateSucceeded", nil)
	return finishResult(s, raw, results, en)
}

// runIterations runs each iteration in a variable scope of its own, inside
// the Map state's scope.
func (e *execution) runIterations(ctx context.Context, s *state, inputs []any, limit int, outer *varScope) ([]any, error) {
	if limit <= 0 || limit > len(inputs) {
		limit = len(inputs)
	}
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]any, len(inputs))
	slots := make(chan struct{}, max(limit, 1))
	var once sync.Once
	var firstErr error
	var wg sync.WaitGroup
	for i, in := range inputs {
		select {
		case slots <- struct{}{}:
		case <-ictx.Done():
		}
		if ictx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			d := &EventDetails{Name: s.name, Index: int64p(int64(i))}
			e.event("MapIterationStarted", d)
			scope := newScope(outer)
			defer e.release(scope)
			out, err := e.runMachine(ictx, s.mapSpec.processor, in, scope)
			if err != nil {
				if errors.Is(err, context.Canceled) {
					e.event("MapIterationAborted", d)
				} else {
					e.event("MapIterationFailed", d)
				}
				once.Do(func() {
					firstErr = err
					cancel()
				})
				return
			}
			e.event("MapIterationSucceeded", d)
			results[i] = out
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, asStatesError(firstErr)
	}
	return results, nil
}
