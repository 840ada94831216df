package asl

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

// Invoker runs a Lambda function: the payload is the function's JSON event,
// the answer its JSON output. An error is the function's error: its name
// becomes the state's error name, as Step Functions reports Lambda errors
// (see ErrorName).
type Invoker interface {
	Invoke(ctx context.Context, functionARN string, payload []byte) ([]byte, error)
}

// Handler is one local Lambda function.
type Handler func(ctx context.Context, payload []byte) ([]byte, error)

// LambdaError is an error with an explicit Lambda error type, for handlers
// that want a name such as "Relay.ProviderRetry" that no Go type can have.
type LambdaError struct {
	Type    string
	Message string
}

func (e *LambdaError) Error() string { return e.Type + ": " + e.Message }

// ErrorType is the name Step Functions sees.
func (e *LambdaError) ErrorType() string { return e.Type }

// ErrorName is the error name Step Functions reports for an error a Go
// Lambda function returns, following aws-lambda-go: a
// messages.InvokeResponse_Error value keeps its Type (a pointer to one does
// not: aws-lambda-go names it "InvokeResponse_Error"); an error with an
// ErrorType() string method gives that; any other error gives the name of
// its Go type without the pointer, so a *ProviderRetry is "ProviderRetry".
// Like aws-lambda-go, only the returned value counts, not what it wraps.
func ErrorName(err error) string {
	switch e := err.(type) {
	case messages.InvokeResponse_Error:
		return e.Type
	case interface{ ErrorType() string }:
		return e.ErrorType()
	}
	return typeName(err)
}

// errorMessage is the errorMessage field of the Lambda error response.
func errorMessage(err error) string {
	switch e := err.(type) {
	case messages.InvokeResponse_Error:
		return e.Message
	case *LambdaError:
		return e.Message
	}
	return err.Error()
}

// lambdaFailure turns a function's error into the state error: the name as
// above and, as Cause, the JSON error document Lambda returns.
func lambdaFailure(err error) *StatesError {
	var se *StatesError
	if errors.As(err, &se) {
		return se
	}
	name := ErrorName(err)
	cause := encodeJSON(map[string]any{"errorMessage": errorMessage(err), "errorType": name})
	return &StatesError{Name: name, Cause: cause}
}

// Functions is a registry of local Lambda functions, found by name or by
// ARN. It is the Invoker the local stack uses. It is safe for concurrent use.
type Functions struct {
	mu       sync.RWMutex
	handlers map[string]Handler
}

// NewFunctions returns an empty registry.
func NewFunctions() *Functions { return &Functions{handlers: map[string]Handler{}} }

// Register adds a function under its name (or a full ARN: its name is
// taken from it). A function ARN with any region, account or qualifier then
// finds it.
func (f *Functions) Register(nameOrARN string, h Handler) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[functionName(nameOrARN)] = h
}

// Invoke runs the named function. An unknown function is the error
// Lambda.ResourceNotFoundException, as in AWS. A handler that panics fails
// its invocation, as in Lambda, instead of the whole process: the error is
// named after the panic value's type, as aws-lambda-go does.
func (f *Functions) Invoke(ctx context.Context, functionARN string, payload []byte) (out []byte, err error) {
	f.mu.RLock()
	h, ok := f.handlers[functionName(functionARN)]
	f.mu.RUnlock()
	if !ok {
		return nil, &LambdaError{Type: errNameLambdaResourceMissing, Message: "Function not found: " + functionARN}
	}
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, &LambdaError{Type: typeName(p), Message: fmt.Sprint(p)}
		}
	}()
	return h(ctx, payload)
}

// typeName is the name of a value's type without the pointer.
func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return "nil"
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// functionName reduces "arn:aws:lambda:region:account:function:name[:qualifier]",
// "account:function:name" (a partial ARN) or "name[:qualifier]" to the name.
func functionName(s string) string {
	parts := strings.Split(s, ":")
	for i, p := range parts {
		if p == "function" && i+1 < len(parts) {
			return parts[i+1]
		}
	}
	return parts[0]
}
