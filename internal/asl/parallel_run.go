package asl

import (
	"context"
	"sync"
)

// runParallelAttempt runs every branch on the effective input at once. The
// result is the array of the branches' outputs, in branch order. When one
// branch fails, the others are stopped and the state fails with that
// branch's error.
// Each branch runs in a variable scope of its own, inside the state's.
func (e *execution) runParallelAttempt(ctx context.Context, s *state, raw any, en *env) (stepResult, error) {
	in, err := e.effectiveInput(s, raw, en)
	if err != nil {
		return stepResult{}, err
	}
	e.event("ParallelStateStarted", nil)
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]any, len(s.branches))
	var once sync.Once
	var firstErr error
	var wg sync.WaitGroup
	for i, b := range s.branches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scope := newScope(en.vars)
			defer e.release(scope)
			out, err := e.runMachine(bctx, b, in, scope)
			if err != nil {
				once.Do(func() {
					firstErr = err
					cancel()
				})
				return
			}
			results[i] = out
		}()
	}
	wg.Wait()
	if firstErr != nil && ctx.Err() == nil {
		e.event("ParallelStateFailed", nil)
		return stepResult{}, asStatesError(firstErr)
	}
	if err := ctx.Err(); err != nil {
		return stepResult{}, err
	}
	e.event("ParallelStateSucceeded", nil)
	return finishResult(s, raw, results, en)
}
