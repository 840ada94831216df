package asl

import (
	"context"
	"errors"
	"time"
)

var (
	errTaskTimeout      = errors.New("task timed out")
	errHeartbeatTimeout = errors.New("task heartbeat timed out")
)

// runTaskAttempt runs one attempt of a Task state and returns its effective
// output.
func (e *execution) runTaskAttempt(ctx context.Context, s *state, raw any, entered time.Time, retryCount int64) (any, error) {
	t := s.task
	var token string
	var w *taskWait
	if t.kind == kindLambdaCallback {
		token, w = e.r.openTask()
		defer w.close()
	}
	ctxObj := e.contextObject(s, entered, retryCount, token)
	filtered, err := e.filterInput(s, raw)
	if err != nil {
		return nil, err
	}
	timeout, err := resolveSeconds(t.timeoutSeconds, t.timeoutPath, filtered, "TimeoutSecondsPath")
	if err != nil {
		return nil, err
	}
	heartbeat, err := resolveSeconds(t.heartbeatSeconds, t.heartbeatPath, filtered, "HeartbeatSecondsPath")
	if err != nil {
		return nil, err
	}
	in := filtered
	if s.parameters != nil {
		if in, err = s.parameters.eval(filtered, ctxObj); err != nil {
			return nil, err
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
		result, err = e.runLambdaIntegration(attemptCtx, t, in, timeout, heartbeat, w)
	}
	if err != nil {
		return nil, err
	}
	return applyResult(s, raw, result, ctxObj)
}

// resolveSeconds gives TimeoutSeconds or HeartbeatSeconds, literal or from
// the state's input; 0 means none.
func resolveSeconds(n int64, p *path, input any, what string) (int64, error) {
	if p == nil {
		return n, nil
	}
	v, ok := p.get(input, nil)
	n, isInt := integer(v)
	if !ok || !isInt || n <= 0 {
		return 0, runtimeErr("The %s %s does not reference a positive integer", what, p)
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
	out, err := e.invoke(ctx, t.resource, []byte(payload))
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
func (e *execution) runLambdaIntegration(ctx context.Context, t *taskSpec, in any, timeout, heartbeat int64, w *taskWait) (any, error) {
	resource := "invoke"
	if t.kind == kindLambdaCallback {
		resource = "invoke.waitForTaskToken"
	}
	sched := &EventDetails{ResourceType: "lambda", Resource: resource, Region: e.m.region, Parameters: strp(encodeJSON(in))}
	if timeout > 0 {
		sched.TimeoutInSeconds = int64p(timeout)
	}
	if heartbeat > 0 {
		sched.HeartbeatInSeconds = int64p(heartbeat)
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
	payload := params["Payload"]
	if _, has := params["Payload"]; !has {
		payload = map[string]any{}
	}
	var hb *time.Timer
	if heartbeat > 0 {
		hb = time.NewTimer(e.r.scaled(time.Duration(heartbeat) * time.Second))
		defer hb.Stop()
	}
	out, err := e.invoke(ctx, fn, []byte(encodeJSON(payload)))
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
	o, err := e.awaitCallback(ctx, w, hb, heartbeat)
	if err != nil {
		se, timedOut := e.taskError(ctx, err)
		if se == nil {
			return nil, err
		}
		return nil, fail(se, timedOut)
	}
	if o.err != nil {
		return nil, fail(o.err, false)
	}
	e.event("TaskSucceeded", &EventDetails{ResourceType: "lambda", Resource: resource, Output: strp(encodeJSON(o.output))})
	return o.output, nil
}

// awaitCallback waits for SendTaskSuccess or SendTaskFailure, restarting the
// heartbeat clock on each SendTaskHeartbeat.
func (e *execution) awaitCallback(ctx context.Context, w *taskWait, hb *time.Timer, heartbeat int64) (taskOutcome, error) {
	var hbC <-chan time.Time
	if hb != nil {
		hbC = hb.C
	}
	for {
		select {
		case o := <-w.result:
			return o, nil
		default:
		}
		select {
		case o := <-w.result:
			return o, nil
		case <-w.beat:
			if hb != nil {
				hb.Reset(e.r.scaled(time.Duration(heartbeat) * time.Second))
			}
		case <-hbC:
			return taskOutcome{}, errHeartbeatTimeout
		case <-ctx.Done():
			return taskOutcome{}, ctx.Err()
		}
	}
}

// taskError names a failed attempt's error. It returns nil when the
// execution itself is ending (stopped, timed out), which is no task error.
func (e *execution) taskError(ctx context.Context, err error) (se *StatesError, timedOut bool) {
	switch {
	case errors.Is(err, errHeartbeatTimeout):
		return statesErr(ErrNameHeartbeatTimeout, "The task did not send a heartbeat within HeartbeatSeconds"), true
	case ctx.Err() != nil && errors.Is(context.Cause(ctx), errTaskTimeout):
		return statesErr(ErrNameTimeout, "The task ran longer than TimeoutSeconds"), true
	case ctx.Err() != nil:
		return nil, false
	}
	return lambdaFailure(err), false
}

// invoke runs a function and decodes its output. The function gets a
// context that the execution's end does not cancel (in AWS a running
// function outlives a stopped execution); the attempt stops waiting for it
// when ctx is done.
func (e *execution) invoke(ctx context.Context, fn string, payload []byte) (any, error) {
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
			return nil, a.err
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
