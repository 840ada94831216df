package asl

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Status is an execution's status, as the API spells it.
type Status string

// The execution statuses.
const (
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
	StatusTimedOut  Status = "TIMED_OUT"
	StatusAborted   Status = "ABORTED"
)

// ExecutionDescription is what DescribeExecution answers.
type ExecutionDescription struct {
	ExecutionARN    string
	StateMachineARN string
	Name            string
	Status          Status
	Input           string
	Output          *string // set once SUCCEEDED
	Error, Cause    string
	StartDate       time.Time
	StopDate        time.Time // zero while RUNNING
	Transitions     int64     // state transitions of this execution
}

type execution struct {
	r       *Runner
	m       *machine
	def     *StateMachine
	arn     string
	name    string
	input   string
	inputV  any
	start   time.Time
	ctx     context.Context
	cancel  context.CancelCauseFunc
	done    chan struct{}
	context map[string]any // the Context Object's Execution and StateMachine parts

	mu          sync.Mutex
	status      Status
	output      *string
	errName     string
	cause       string
	stop        time.Time
	history     []HistoryEvent
	transitions int64
	varBytes    int // the encoded size of every variable held now
}

// abortErr and timeoutErr are the causes a running execution's context is
// cancelled with; run tells them apart to set the final status.
type abortErr struct{ se *StatesError }

func (a *abortErr) Error() string { return "aborted" }

var errExecutionTimeout = errors.New("execution timed out")

func newExecution(r *Runner, m *machine, arn, name, input string, in any) *execution {
	ctx, cancel := context.WithCancelCause(context.Background())
	e := &execution{
		r: r, m: m, def: m.def, arn: arn, name: name, input: input, inputV: in,
		start: time.Now().UTC(), ctx: ctx, cancel: cancel, done: make(chan struct{}),
		status: StatusRunning,
	}
	e.context = map[string]any{
		"Execution": map[string]any{
			"Id": arn, "Input": in, "Name": name, "RoleArn": r.roleARN,
			"StartTime": formatTime(e.start), "RedriveCount": int64(0),
		},
		"StateMachine": map[string]any{"Id": m.arn, "Name": m.name},
	}
	return e
}

// formatTime writes a timestamp as the Context Object does.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (e *execution) run() {
	defer close(e.done)
	defer e.cancel(nil)
	e.event("ExecutionStarted", &EventDetails{Input: strp(e.input), RoleArn: e.r.roleARN})
	if t := e.def.TimeoutSeconds; t > 0 {
		timer := time.AfterFunc(e.r.scaled(time.Duration(t)*time.Second), func() { e.cancel(errExecutionTimeout) })
		defer timer.Stop()
	}
	out, err := e.runMachine(e.ctx, e.def, e.inputV, newScope(nil))
	var ab *abortErr
	cause := context.Cause(e.ctx)
	switch {
	case err == nil:
		s := encodeJSON(out)
		e.finish(StatusSucceeded, &s, nil)
		e.event("ExecutionSucceeded", &EventDetails{Output: strp(s)})
	case errors.As(cause, &ab):
		e.finish(StatusAborted, nil, ab.se)
		e.event("ExecutionAborted", &EventDetails{Error: ab.se.Name, Cause: ab.se.Cause})
	case errors.Is(cause, errExecutionTimeout):
		// Step Functions reports neither an error nor a cause for it.
		e.finish(StatusTimedOut, nil, nil)
		e.event("ExecutionTimedOut", nil)
	default:
		se := asStatesError(err)
		e.finish(StatusFailed, nil, se)
		e.event("ExecutionFailed", &EventDetails{Error: se.Name, Cause: se.Cause})
	}
	d := e.describe()
	e.r.log.Info("execution ended", "execution", e.arn, "status", d.Status, "error", d.Error, "transitions", d.Transitions)
}

func (e *execution) finish(st Status, out *string, se *StatesError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status, e.output, e.stop = st, out, time.Now().UTC()
	if se != nil {
		e.errName, e.cause = se.Name, se.Cause
	}
}

// abort stops a running execution; a finished one is left as it is.
func (e *execution) abort(se *StatesError) {
	e.cancel(&abortErr{se: se})
}

func asStatesError(err error) *StatesError {
	var se *StatesError
	if errors.As(err, &se) {
		return se
	}
	return &StatesError{Name: ErrNameRuntime, Cause: err.Error()}
}

func (e *execution) describe() ExecutionDescription {
	e.mu.Lock()
	defer e.mu.Unlock()
	return ExecutionDescription{
		ExecutionARN: e.arn, StateMachineARN: e.m.arn, Name: e.name, Status: e.status,
		Input: e.input, Output: e.output, Error: e.errName, Cause: e.cause,
		StartDate: e.start, StopDate: e.stop, Transitions: e.transitions,
	}
}

// event appends an event to the history and returns its id.
func (e *execution) event(typ string, d *EventDetails) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := int64(len(e.history)) + 1
	e.history = append(e.history, HistoryEvent{ID: id, PreviousEventID: id - 1, Type: typ, Timestamp: time.Now().UTC(), Details: d})
	return id
}

func (e *execution) historyCopy() []HistoryEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]HistoryEvent(nil), e.history...)
}

// transition counts one state transition (a state entered, or a retry).
func (e *execution) transition() {
	e.mu.Lock()
	e.transitions++
	e.mu.Unlock()
	e.r.transitions.Add(1)
}

// env builds what a state's paths see: its Context Object and the
// variables of its scope. State.RetryCount is there only for the states
// that retry (Task, Parallel, Map), as in Step Functions.
func (e *execution) env(s *state, entered time.Time, retryCount int64, token string, scope *varScope) *env {
	st := map[string]any{"Name": s.name, "EnteredTime": formatTime(entered)}
	switch s.typ {
	case "Task", "Parallel", "Map":
		st["RetryCount"] = retryCount
	}
	c := map[string]any{
		"Execution":    e.context["Execution"],
		"StateMachine": e.context["StateMachine"],
		"State":        st,
	}
	if token != "" {
		c["Task"] = map[string]any{"Token": token}
	}
	return &env{ctx: c, vars: scope}
}

// runMachine runs a machine (or a Parallel branch, or a Map iteration) from
// its StartAt to a terminal state in the given variable scope, and returns
// the terminal state's output.
func (e *execution) runMachine(ctx context.Context, m *StateMachine, input any, scope *varScope) (any, error) {
	name := m.StartAt
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s := m.states[name]
		e.transition()
		out, next, err := e.runState(ctx, s, input, scope)
		if err != nil {
			return nil, err
		}
		if next == "" {
			return out, nil
		}
		input, name = out, next
	}
}
