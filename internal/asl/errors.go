package asl

import (
	"errors"
	"fmt"
)

// The error names of the States Language (Appendix A of the specification)
// that the interpreter raises or matches.
const (
	ErrNameAll                   = "States.ALL"
	ErrNameRuntime               = "States.Runtime"
	ErrNameTimeout               = "States.Timeout"
	ErrNameTaskFailed            = "States.TaskFailed"
	ErrNamePermissions           = "States.Permissions"
	ErrNameResultPathMatch       = "States.ResultPathMatchFailure"
	ErrNameParameterPathFailure  = "States.ParameterPathFailure"
	ErrNameNoChoiceMatched       = "States.NoChoiceMatched"
	ErrNameIntrinsicFailure      = "States.IntrinsicFailure"
	ErrNameBranchFailed          = "States.BranchFailed"
	ErrNameDataLimitExceeded     = "States.DataLimitExceeded"
	errNameLambdaResourceMissing = "Lambda.ResourceNotFoundException"
)

// StatesError is an error a state reports: a name that Retry and Catch match
// and a human-readable cause. It is what ends a failed execution.
type StatesError struct {
	Name  string
	Cause string

	// located: the cause already names the state it happened in.
	located bool
	// terminal: no Retry or Catch applies (besides States.Runtime, which
	// never is caught: a state output over the payload quota).
	terminal bool
}

func (e *StatesError) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

func statesErr(name, format string, args ...any) *StatesError {
	return &StatesError{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// runtimeErr is a States.Runtime error: a definition that cannot apply to
// the data it meets. Step Functions does not let States.ALL catch it.
func runtimeErr(format string, args ...any) *StatesError {
	return statesErr(ErrNameRuntime, format, args...)
}

// located gives a States.Runtime error the wording Step Functions uses,
// naming the state and the event that entered it. Other errors, and errors
// that are no state's (the execution ending), pass unchanged.
func located(err error, state string, enteredID int64) error {
	se, ok := err.(*StatesError)
	if !ok || se.Name != ErrNameRuntime || se.located {
		return err
	}
	return &StatesError{
		Name:    se.Name,
		Cause:   fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", state, enteredID, se.Cause),
		located: true,
	}
}

// Errors the Runner answers API calls with. The sfnlocal package maps each
// to the Step Functions error code of the same name.
var (
	ErrStateMachineDoesNotExist = errors.New("StateMachineDoesNotExist")
	ErrExecutionDoesNotExist    = errors.New("ExecutionDoesNotExist")
	ErrExecutionAlreadyExists   = errors.New("ExecutionAlreadyExists")
	ErrTaskDoesNotExist         = errors.New("TaskDoesNotExist")
	ErrTaskTimedOut             = errors.New("TaskTimedOut")
	ErrInvalidToken             = errors.New("InvalidToken")
	ErrInvalidArn               = errors.New("InvalidArn")
	ErrInvalidName              = errors.New("InvalidName")
	ErrInvalidExecutionInput    = errors.New("InvalidExecutionInput")
	ErrInvalidOutput            = errors.New("InvalidOutput")
	ErrInvalidDefinition        = errors.New("InvalidDefinition")
	ErrShuttingDown             = errors.New("runner is shutting down")
)

// apiErr wraps one of the sentinel errors with a message for the caller.
func apiErr(kind error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))
}

// DefinitionError is returned by Parse: the definition is invalid, or uses a
// feature the local runner does not implement (Unsupported is then true).
// It matches ErrInvalidDefinition with errors.Is.
type DefinitionError struct {
	Msg         string
	Unsupported bool
}

func (e *DefinitionError) Error() string { return "asl: " + e.Msg }

// Is lets callers test errors.Is(err, ErrInvalidDefinition).
func (e *DefinitionError) Is(target error) bool { return target == ErrInvalidDefinition }

// unsupportedErr marks, through any wrapping, a feature the runner refuses.
type unsupportedErr struct{ msg string }

func (e *unsupportedErr) Error() string { return e.msg }

func unsupported(format string, args ...any) error {
	return &unsupportedErr{msg: fmt.Sprintf(format, args...) + " not supported by the local runner"}
}

// definitionErr turns the first problem found in a definition into the
// error Parse returns.
func definitionErr(err error) error {
	var u *unsupportedErr
	return &DefinitionError{Msg: err.Error(), Unsupported: errors.As(err, &u)}
}
