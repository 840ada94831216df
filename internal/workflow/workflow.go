// Package workflow makes the Step Functions calls of the relay: start one
// execution per checkpoint, resume a waiting await-code task with its
// outcome, and stop a superseded checkpoint's execution.
package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Workflow is what the relay needs of Step Functions; relay tests use a
// fake.
type Workflow interface {
	// Start starts the execution named name with input (JSON-encoded). An
	// execution of that name that already exists is not an error, so a
	// retried registration never starts two; its ARN is returned.
	Start(ctx context.Context, name string, input any) (executionARN string, err error)
	// Succeed resumes the task waiting on token with output. ErrTaskGone
	// means the task no longer waits (timed out, execution ended).
	Succeed(ctx context.Context, token string, output any) error
	// Fail fails the task waiting on token with an error name and cause.
	Fail(ctx context.Context, token, errorName, cause string) error
	// Stop stops an execution; an execution that already ended is not an
	// error.
	Stop(ctx context.Context, executionARN, errorName, cause string) error
}

// ErrTaskGone: the task token no longer names a waiting task.
var ErrTaskGone = errors.New("workflow: task no longer waiting")

// API is the part of the sfn client SFN uses.
type API interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, opts ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
	StopExecution(ctx context.Context, in *sfn.StopExecutionInput, opts ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error)
}

var _ API = (*sfn.Client)(nil)

// SFN is Workflow on AWS Step Functions (or the local runner, which speaks
// the same API).
type SFN struct {
	Client          API
	StateMachineARN string
}

var _ Workflow = (*SFN)(nil)

// New returns the workflow of one state machine.
func New(client API, stateMachineARN string) *SFN {
	return &SFN{Client: client, StateMachineARN: stateMachineARN}
}

// Start implements Workflow.
func (s *SFN) Start(ctx context.Context, name string, input any) (string, error) {
	if s.StateMachineARN == "" {
		return "", errors.New("workflow: no state machine ARN configured (STATE_MACHINE_ARN)")
	}
	b, err := json.Marshal(input)
	if err != nil {
		return "", fmt.Errorf("encode execution input: %w", err)
	}
	out, err := s.Client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.StateMachineARN), Name: aws.String(name), Input: aws.String(string(b)),
	})
	var exists *types.ExecutionAlreadyExists
	if errors.As(err, &exists) {
		// Standard workflows answer an identical retried start with the
		// existing execution; a start with different input is refused.
		// Either way the execution is the one this checkpoint already has.
		return ExecutionARN(s.StateMachineARN, name), nil
	}
	if err != nil {
		return "", fmt.Errorf("start execution %s: %w", name, err)
	}
	return aws.ToString(out.ExecutionArn), nil
}

// ExecutionARN is the ARN Step Functions gives the execution named name of
// a state machine: arn:…:stateMachine:M becomes arn:…:execution:M:name.
func ExecutionARN(stateMachineARN, name string) string {
	return strings.Replace(stateMachineARN, ":stateMachine:", ":execution:", 1) + ":" + name
}

// Succeed implements Workflow.
func (s *SFN) Succeed(ctx context.Context, token string, output any) error {
	b, err := json.Marshal(output)
	if err != nil {
		return fmt.Errorf("encode task output: %w", err)
	}
	_, err = s.Client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(b))})
	return taskErr("send task success", err)
}

// Fail implements Workflow.
func (s *SFN) Fail(ctx context.Context, token, errorName, cause string) error {
	_, err := s.Client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{
		TaskToken: aws.String(token), Error: aws.String(errorName), Cause: aws.String(cause),
	})
	return taskErr("send task failure", err)
}

func taskErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var (
		timedOut *types.TaskTimedOut
		missing  *types.TaskDoesNotExist
		invalid  *types.InvalidToken
	)
	if errors.As(err, &timedOut) || errors.As(err, &missing) || errors.As(err, &invalid) {
		return fmt.Errorf("%s: %w (%v)", op, ErrTaskGone, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Stop implements Workflow.
func (s *SFN) Stop(ctx context.Context, executionARN, errorName, cause string) error {
	_, err := s.Client.StopExecution(ctx, &sfn.StopExecutionInput{
		ExecutionArn: aws.String(executionARN), Error: aws.String(errorName), Cause: aws.String(cause),
	})
	var missing *types.ExecutionDoesNotExist
	if errors.As(err, &missing) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stop execution: %w", err)
	}
	return nil
}
