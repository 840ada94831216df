package asl

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// Options configures a Runner.
type Options struct {
	// Invoker runs the Lambda functions Task states name; usually a
	// *Functions registry.
	Invoker Invoker
	// TimeScale multiplies every duration the machine asks for: Wait
	// states, TimeoutSeconds and retry intervals. 0.01
	// turns a five-minute wait into three seconds. Zero means 1.
	TimeScale float64
	// RoleARN is reported as the executions' role; it has no other effect.
	RoleARN string
	// Logger receives one line per execution that ends; nil discards.
	Logger *slog.Logger
}

// Runner runs executions of registered state machines, each in its own
// goroutine, and answers the Step Functions API calls about them. It is safe
// for concurrent use.
type Runner struct {
	invoker Invoker
	scale   float64
	roleARN string
	log     *slog.Logger

	mu         sync.Mutex
	machines   map[string]*machine
	executions map[string]*execution
	tokens     map[string]*taskWait
	closed     bool

	transitions atomic.Int64
	running     sync.WaitGroup

	// observeSleep, when set, sees every duration the definition asks to
	// wait (Wait states, retry intervals) before scaling; tests count the
	// backoff with it.
	observeSleep func(time.Duration)
}

// machine is a registered state machine.
type machine struct {
	arn, name string
	region    string
	account   string
	def       *StateMachine
	created   time.Time
	execs     []*execution
}

// New returns a Runner with no state machines.
func New(opts Options) *Runner {
	scale := opts.TimeScale
	if scale <= 0 {
		scale = 1
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	inv := opts.Invoker
	if inv == nil {
		inv = NewFunctions()
	}
	return &Runner{
		invoker:    inv,
		scale:      scale,
		roleARN:    opts.RoleARN,
		log:        log,
		machines:   map[string]*machine{},
		executions: map[string]*execution{},
		tokens:     map[string]*taskWait{},
	}
}

var (
	machineARN = regexp.MustCompile(`^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):stateMachine:([^:]{1,80})$`)
	execARN    = regexp.MustCompile(`^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):execution:([^:]{1,80}):([^:]{1,80})$`)
)

// validName applies the Step Functions rules for state machine and
// execution names (a "." is allowed): 1 to 80
// characters, none of them white space, a bracket, a wildcard, a control
// character or one of " # % \ ^ | ~ ` $ & , ; : /.
func validName(name string) bool {
	if name == "" || utf8.RuneCountInString(name) > 80 || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return false
		}
	}
	return true
}

// StateMachineARN builds the ARN of a state machine.
func StateMachineARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", region, account, name)
}

// RegisterStateMachine parses def and registers it under arn
// ("arn:aws:states:<region>:<account>:stateMachine:<name>"). Registering an
// ARN again replaces the definition for executions started afterwards.
func (r *Runner) RegisterStateMachine(arn string, def []byte) error {
	m := machineARN.FindStringSubmatch(arn)
	if m == nil {
		return apiErr(ErrInvalidArn, "Invalid Arn: '%s'", arn)
	}
	if !validName(m[4]) {
		return apiErr(ErrInvalidName, "Invalid Name: '%s'", m[4])
	}
	sm, err := Parse(def)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.machines[arn]; ok {
		old.def = sm
		return nil
	}
	r.machines[arn] = &machine{arn: arn, name: m[4], region: m[2], account: m[3], def: sm, created: time.Now()}
	return nil
}

// StateMachineInfo describes a registered state machine.
type StateMachineInfo struct {
	ARN        string
	Name       string
	Definition string
	RoleARN    string
	Created    time.Time
}

// DescribeStateMachine returns a registered machine.
func (r *Runner) DescribeStateMachine(arn string) (StateMachineInfo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, err := r.machineLocked(arn)
	if err != nil {
		return StateMachineInfo{}, err
	}
	return StateMachineInfo{ARN: m.arn, Name: m.name, Definition: m.def.Definition(), RoleARN: r.roleARN, Created: m.created}, nil
}

func (r *Runner) machineLocked(arn string) (*machine, error) {
	if !machineARN.MatchString(arn) {
		return nil, apiErr(ErrInvalidArn, "Invalid Arn: '%s'", arn)
	}
	m, ok := r.machines[arn]
	if !ok {
		return nil, apiErr(ErrStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", arn)
	}
	return m, nil
}

// StartExecution starts an execution of a registered machine and returns
// its ARN and start date at once; the execution runs in the background.
// An empty name gets a random one. As for Standard workflows in AWS, a
// name already used with the same input while that execution still runs
// returns that execution; any other reuse is ErrExecutionAlreadyExists.
func (r *Runner) StartExecution(stateMachineARN, name, input string) (string, time.Time, error) {
	if input == "" {
		input = "{}"
	}
	in, err := decodeJSONString(input)
	if err != nil {
		return "", time.Time{}, apiErr(ErrInvalidExecutionInput, "Invalid State Machine Execution Input: '%v'", err)
	}
	if name == "" {
		name = newUUID()
	}
	if !validName(name) {
		return "", time.Time{}, apiErr(ErrInvalidName, "Invalid Name: '%s'", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return "", time.Time{}, ErrShuttingDown
	}
	m, err := r.machineLocked(stateMachineARN)
	if err != nil {
		return "", time.Time{}, err
	}
	arn := fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", m.region, m.account, m.name, name)
	if old, ok := r.executions[arn]; ok {
		if old.input == input && old.describe().Status == StatusRunning {
			return old.arn, old.start, nil
		}
		return "", time.Time{}, apiErr(ErrExecutionAlreadyExists, "Execution Already Exists: '%s'", arn)
	}
	e := newExecution(r, m, arn, name, input, in)
	r.executions[arn] = e
	m.execs = append(m.execs, e)
	r.running.Add(1)
	go func() {
		defer r.running.Done()
		e.run()
	}()
	return arn, e.start, nil
}

// DescribeExecution returns an execution's status, input, output and error.
func (r *Runner) DescribeExecution(arn string) (ExecutionDescription, error) {
	e, err := r.execution(arn)
	if err != nil {
		return ExecutionDescription{}, err
	}
	return e.describe(), nil
}

// GetExecutionHistory returns the events of an execution, oldest first.
func (r *Runner) GetExecutionHistory(arn string) ([]HistoryEvent, error) {
	e, err := r.execution(arn)
	if err != nil {
		return nil, err
	}
	return e.historyCopy(), nil
}

// ListExecutions returns a machine's executions, newest first, optionally
// only those with the given status.
func (r *Runner) ListExecutions(stateMachineARN string, status Status) ([]ExecutionDescription, error) {
	r.mu.Lock()
	m, err := r.machineLocked(stateMachineARN)
	var execs []*execution
	if err == nil {
		execs = append(execs, m.execs...)
	}
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := make([]ExecutionDescription, 0, len(execs))
	for _, e := range execs {
		d := e.describe()
		if status == "" || d.Status == status {
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartDate.After(out[j].StartDate) })
	return out, nil
}

// StopExecution aborts a running execution with an optional error and
// cause, and returns the stop date. Stopping a finished execution changes
// nothing and returns its stop date.
func (r *Runner) StopExecution(arn, errName, cause string) (time.Time, error) {
	e, err := r.execution(arn)
	if err != nil {
		return time.Time{}, err
	}
	e.abort(&StatesError{Name: errName, Cause: cause})
	<-e.done
	return e.describe().StopDate, nil
}

// Wait blocks until the execution ends or ctx is done, and describes it.
func (r *Runner) Wait(ctx context.Context, arn string) (ExecutionDescription, error) {
	e, err := r.execution(arn)
	if err != nil {
		return ExecutionDescription{}, err
	}
	select {
	case <-e.done:
		return e.describe(), nil
	case <-ctx.Done():
		return e.describe(), ctx.Err()
	}
}

// Transitions is the number of state transitions of every execution so far.
func (r *Runner) Transitions() int64 { return r.transitions.Load() }

func (r *Runner) execution(arn string) (*execution, error) {
	if !execARN.MatchString(arn) {
		return nil, apiErr(ErrInvalidArn, "Invalid Arn: '%s'", arn)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.executions[arn]
	if !ok {
		return nil, apiErr(ErrExecutionDoesNotExist, "Execution Does Not Exist: '%s'", arn)
	}
	return e, nil
}

// Shutdown stops accepting executions and waits for the running ones to
// end. When ctx is done first, it aborts them (cause "runner shut down")
// and waits for their goroutines to return.
func (r *Runner) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	done := make(chan struct{})
	go func() {
		r.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	r.mu.Lock()
	execs := make([]*execution, 0, len(r.executions))
	for _, e := range r.executions {
		execs = append(execs, e)
	}
	r.mu.Unlock()
	for _, e := range execs {
		e.abort(&StatesError{Name: "", Cause: "runner shut down"})
	}
	<-done
	return ctx.Err()
}

// scaled applies the time scale to a duration the definition asks for.
func (r *Runner) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * r.scale)
}

// sleep waits for a scaled duration, or until ctx is done.
func (r *Runner) sleep(ctx context.Context, d time.Duration) error {
	if r.observeSleep != nil {
		r.observeSleep(d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(r.scaled(d))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
