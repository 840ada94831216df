package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

var (
	errTaskTimeout = errors.New("task timed out")
)

// runTaskAttempt runs one attempt of a Task state.
func (e *execution) runTaskAttempt(ctx context.Context, s *state, raw any, entered time.Time, retryCount int64, scope *varScope) (stepResult, error) {
	t := s.task
	var token string
	var w *taskWait
	if t.kind == kindLambdaCallback {
		token, w = e.r.openTask()
		defer w.close()
	}
	en := e.env(s, entered, retryCount, token, scope)
	filtered, err := e.filterInput(s, raw, en)
	if err != nil {
		return stepResult{}, err
	}
	timeout, err := resolveSeconds(t.timeoutSeconds, t.timeoutPath, filtered, en, "TimeoutSecondsPath")
	if err != nil {
		return stepResult{}, err
	}
	in := filtered
	if s.parameters != nil {
		if in, err = s.parameters.eval(filtered, en); err != nil {
			return stepResult{}, err
		}
	}
	attemptCtx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		attemptCtx, cancel = context.WithTimeoutCause(ctx, e.r.scaled(time.Duration(timeout)*time.Second), errTaskTimeout)
		defer cancel()
	}
	var result any
	if t.kind == kindLambdaARN {
		result, err = e.runLambdaFunction(attemptCtx, t, in, timeout)
	} else {
		result, err = e.runLambdaIntegration(attemptCtx, t, in, timeout, w)
	}
	if err != nil {
		return stepResult{}, err
	}
	return finishResult(s, raw, result, en)
}

// resolveSeconds gives TimeoutSeconds, literal or from
// the state's input; 0 means none.
func resolveSeconds(n int64, p *path, input any, en *env, what string) (int64, error) {
	if p == nil {
		return n, nil
	}
	v, ok := p.get(input, en)
	if !ok {
		return 0, runtimeErr("Invalid path '%s' : No results for path: %s", p, p.bracketed())
	}
	n, isInt := integer(v)
	if !isInt || n <= 0 {
		return 0, runtimeErr("The %s %s does not reference a positive integer: %s == %s", what, p, p, plain(v))
	}
	return n, nil
}

// runLambdaFunction runs a Task whose resource is a function ARN: the
// function's output is the result, and the history speaks of
// LambdaFunction* events.
func (e *execution) runLambdaFunction(ctx context.Context, t *taskSpec, in any, timeout int64) (any, error) {
	payload := encodeJSON(in)
	d := &EventDetails{Resource: t.resource, Input: strp(payload)}
	if timeout > 0 {
		d.TimeoutInSeconds = int64p(timeout)
	}
	e.event("LambdaFunctionScheduled", d)
	e.event("LambdaFunctionStarted", nil)
	out, err := e.invoke(ctx, t.resource, []byte(payload), t.resource)
	if err != nil {
		se, timedOut := e.taskError(ctx, err)
		if se == nil {
			return nil, err
		}
		typ := "LambdaFunctionFailed"
		if timedOut {
			typ = "LambdaFunctionTimedOut"
		}
		e.event(typ, &EventDetails{Error: se.Name, Cause: se.Cause})
		return nil, se
	}
	e.event("LambdaFunctionSucceeded", &EventDetails{Output: strp(encodeJSON(out))})
	return out, nil
}

// runLambdaIntegration runs arn:aws:states:::lambda:invoke and its
// .waitForTaskToken form.
func (e *execution) runLambdaIntegration(ctx context.Context, t *taskSpec, in any, timeout int64, w *taskWait) (any, error) {
	resource := "invoke"
	if t.kind == kindLambdaCallback {
		resource = "invoke.waitForTaskToken"
	}
	sched := &EventDetails{ResourceType: "lambda", Resource: resource, Region: e.m.region, Parameters: strp(encodeJSON(in))}
	if timeout > 0 {
		sched.TimeoutInSeconds = int64p(timeout)
	}
	e.event("TaskScheduled", sched)
	e.event("TaskStarted", &EventDetails{ResourceType: "lambda", Resource: resource})
	fail := func(se *StatesError, timedOut bool) error {
		typ := "TaskFailed"
		if timedOut {
			typ = "TaskTimedOut"
		}
		e.event(typ, &EventDetails{ResourceType: "lambda", Resource: resource, Error: se.Name, Cause: se.Cause})
		return se
	}
	params := in.(map[string]any)
	fn, ok := params["FunctionName"].(string)
	if !ok {
		return nil, fail(statesErr(ErrNameTaskFailed, "FunctionName must be a string, not %s", encodeJSON(params["FunctionName"])), false)
	}
	payload := invokePayload(params)
	out, err := e.invoke(ctx, fn, payload, "lambda")
	if err != nil {
		se, timedOut := e.taskError(ctx, err)
		if se == nil {
			return nil, err
		}
		return nil, fail(se, timedOut)
	}
	response := map[string]any{
		"ExecutedVersion":     "$LATEST",
		"Payload":             out,
		"SdkHttpMetadata":     map[string]any{"HttpStatusCode": int64(200)},
		"SdkResponseMetadata": map[string]any{"RequestId": newUUID()},
		"StatusCode":          int64(200),
	}
	if t.kind == kindLambdaInvoke {
		e.event("TaskSucceeded", &EventDetails{ResourceType: "lambda", Resource: resource, Output: strp(encodeJSON(response))})
		return response, nil
	}
	e.event("TaskSubmitted", &EventDetails{ResourceType: "lambda", Resource: resource, Output: strp(encodeJSON(response))})
	var o taskOutcome
	select {
	case o = <-w.result:
	case <-ctx.Done():
		se, timedOut := e.taskError(ctx, ctx.Err())
		if se == nil {
			return nil, ctx.Err()
		}
		return nil, fail(se, timedOut)
	}
	if o.err != nil {
		return nil, fail(o.err, false)
	}
	e.event("TaskSucceeded", &EventDetails{ResourceType: "lambda", Resource: resource, Output: strp(encodeJSON(o.output))})
	return o.output, nil
}

// taskError names a failed attempt's error. It returns nil when the
// execution itself is ending (stopped, timed out), which is no task error.
func (e *execution) taskError(ctx context.Context, err error) (se *StatesError, timedOut bool) {
	switch {
	case ctx.Err() != nil && errors.Is(context.Cause(ctx), errTaskTimeout):
		// Step Functions gives a task's timeout no cause.
		return &StatesError{Name: ErrNameTimeout}, true
	case ctx.Err() != nil:
		return nil, false
	}
	return lambdaFailure(err), false
}

// invokePayload is what lambda:invoke sends: a Payload that is a string
// holding JSON is sent as that JSON, not encoded again; no Payload, or a
// null one, sends {}.
func invokePayload(params map[string]any) []byte {
	switch p := params["Payload"].(type) {
	case nil:
		return []byte("{}")
	case string:
		if json.Valid([]byte(p)) {
			return []byte(p)
		}
	}
	return []byte(encodeJSON(params["Payload"]))
}

// invoke runs a function and decodes its output. The function gets a
// context that the execution's end does not cancel (in AWS a running
// function outlives a stopped execution); the attempt stops waiting for it
// when ctx is done. An output over the payload quota is
// States.DataLimitExceeded, naming what (the function's ARN, or "lambda"
// for the lambda:invoke integration).
func (e *execution) invoke(ctx context.Context, fn string, payload []byte, what string) (any, error) {
	type answer struct {
		out []byte
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		out, err := e.r.invoker.Invoke(context.WithoutCancel(ctx), fn, payload)
		ch <- answer{out, err}
	}()
	select {
	case a := <-ch:
		if a.err != nil {
			if ErrorName(a.err) == errNameLambdaResourceMissing {
				return nil, e.functionNotFound(fn)
			}
			return nil, a.err
		}
		if len(a.out) > maxPayloadBytes {
			return nil, statesErr(ErrNameDataLimitExceeded, "%s", dataLimitCause(what))
		}
		if len(a.out) == 0 {
			return nil, nil
		}
		v, err := decodeJSON(a.out)
		if err != nil {
			return nil, statesErr("Lambda.InvalidResponse", "the function's output is not JSON: %v", err)
		}
		return v, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// functionNotFound is Lambda's ResourceNotFoundException as Step Functions
// reports it: the qualified ARN of the function, then the service's
// details.
func (e *execution) functionNotFound(fn string) *StatesError {
	arn := fn
	switch {
	case strings.HasPrefix(fn, "arn:"):
	case strings.Contains(fn, ":function:"): // a partial ARN: account:function:name
		arn = fmt.Sprintf("arn:aws:lambda:%s:%s", e.m.region, fn)
	default:
		name, qualifier, _ := strings.Cut(fn, ":")
		arn = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", e.m.region, e.m.account, name)
		if qualifier != "" {
			arn += ":" + qualifier
		}
	}
	if strings.Count(arn, ":") == 6 {
		arn += ":$LATEST"
	}
	return statesErr(errNameLambdaResourceMissing,
		"Function not found: %s (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: %s; Proxy: null)", arn, newUUID())
}
