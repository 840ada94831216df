package asl

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
)

// A task token is 48 random bytes, URL-safe base64: unguessable, and
// recognisable, so that a malformed token is InvalidToken rather than
// TaskDoesNotExist.
const tokenBytes = 48

// taskWait is the callback side of one .waitForTaskToken attempt.
type taskWait struct {
	result chan taskOutcome // capacity 1: the first outcome wins

	mu     sync.Mutex
	closed bool
}

type taskOutcome struct {
	output any
	err    *StatesError
}

func newToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// openTask issues a token for a callback task. The token is valid before
// the Lambda function is even invoked: the function may answer through
// SendTaskSuccess before it returns.
func (r *Runner) openTask() (string, *taskWait) {
	w := &taskWait{result: make(chan taskOutcome, 1)}
	tok := newToken()
	r.mu.Lock()
	r.tokens[tok] = w
	r.mu.Unlock()
	return tok, w
}

// close ends the task: later calls with its token get TaskTimedOut, as in
// Step Functions once a task is closed. The token stays known for that.
func (w *taskWait) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}

func (r *Runner) task(token string) (*taskWait, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != tokenBytes {
		return nil, apiErr(ErrInvalidToken, "Invalid Token: '%s'", token)
	}
	r.mu.Lock()
	w, ok := r.tokens[token]
	r.mu.Unlock()
	if !ok {
		return nil, apiErr(ErrTaskDoesNotExist, "Task Does Not Exist")
	}
	return w, nil
}

// deliver hands the outcome to the waiting task, once.
func (w *taskWait) deliver(o taskOutcome) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return apiErr(ErrTaskTimedOut, "Task Timed Out")
	}
	w.closed = true
	w.result <- o
	return nil
}

// SendTaskSuccess completes a callback task with a JSON output.
func (r *Runner) SendTaskSuccess(token, output string) error {
	w, err := r.task(token)
	if err != nil {
		return err
	}
	v, err := decodeJSONString(output)
	if err != nil {
		return apiErr(ErrInvalidOutput, "Invalid Output: '%v'", err)
	}
	return w.deliver(taskOutcome{output: v})
}

// SendTaskFailure fails a callback task with an error name and cause, which
// the state's Retry and Catch then see.
func (r *Runner) SendTaskFailure(token, errName, cause string) error {
	w, err := r.task(token)
	if err != nil {
		return err
	}
	return w.deliver(taskOutcome{err: &StatesError{Name: errName, Cause: cause}})
}
