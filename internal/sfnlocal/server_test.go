package sfnlocal

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/checkpoint-relay/checkpoint-relay/internal/asl"
)

const machineARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:checkpoint"

// callbackDefinition waits for a code with a callback task, as the relay's
// machine does, and ends with what SendTaskSuccess sent.
const callbackDefinition = `{
  "StartAt": "Await code",
  "States": {
    "Await code": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters": {"FunctionName": "await-code", "Payload": {"checkpoint_id.$": "$.checkpoint_id", "task_token.$": "$$.Task.Token"}},
      "TimeoutSeconds": 300,
      "ResultPath": "$.result",
      "Next": "Done"
    },
    "Done": {"Type": "Succeed"}
  }
}`

type fixture struct {
	client *sfn.Client
	runner *asl.Runner
	tokens chan string
}

// newFixture serves a runner through an httptest server and points the real
// SDK client at it.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	tokens := make(chan string, 10)
	fns := asl.NewFunctions()
	fns.Register("await-code", func(_ context.Context, payload []byte) ([]byte, error) {
		var in struct {
			Token string `json:"task_token"`
		}
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, err
		}
		tokens <- in.Token
		return []byte(`{}`), nil
	})
	// 0.01: the callback task's 300 s timeout is 3 s, ample for the calls.
	runner := asl.New(asl.Options{Invoker: fns, TimeScale: 0.01})
	if err := runner.RegisterStateMachine(machineARN, []byte(callbackDefinition)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(runner, Options{Region: "eu-west-1"}))
	t.Cleanup(func() {
		srv.Close()
		// Executions still waiting for a callback are aborted at once.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		_ = runner.Shutdown(ctx)
	})
	client := sfn.New(sfn.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		HTTPClient:   srv.Client(),
	})
	return &fixture{client: client, runner: runner, tokens: tokens}
}

func (f *fixture) start(t *testing.T, name, input string) string {
	t.Helper()
	out, err := f.client.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN), Name: aws.String(name), Input: aws.String(input),
	})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	if out.StartDate == nil || out.StartDate.IsZero() {
		t.Error("no startDate")
	}
	return *out.ExecutionArn
}

func (f *fixture) wait(t *testing.T, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := f.runner.Wait(ctx, arn); err != nil {
		t.Fatal(err)
	}
	d, err := f.client.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	return d
}

func TestCallbackThroughTheSDK(t *testing.T) {
	f := newFixture(t)
	arn := f.start(t, "cp_1", `{"checkpoint_id": "cp_1"}`)
	if want := "arn:aws:states:eu-west-1:123456789012:execution:checkpoint:cp_1"; arn != want {
		t.Errorf("execution arn %s, want %s", arn, want)
	}
	token := <-f.tokens
	ctx := context.Background()
	running, err := f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil || running.Status != types.ExecutionStatusRunning || running.StopDate != nil {
		t.Fatalf("while waiting: %+v %v", running, err)
	}
	if _, err := f.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"outcome": "connected"}`)}); err != nil {
		t.Fatalf("SendTaskSuccess: %v", err)
	}
	d := f.wait(t, arn)
	if d.Status != types.ExecutionStatusSucceeded || d.StopDate == nil || *d.Name != "cp_1" || *d.StateMachineArn != machineARN {
		t.Errorf("after success: %+v", d)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(d.Output)), &got); err != nil {
		t.Fatalf("output %q: %v", aws.ToString(d.Output), err)
	}
	if got["result"].(map[string]any)["outcome"] != "connected" {
		t.Errorf("output %v", got)
	}

	// The task is closed now.
	_, err = f.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{}`)})
	var timedOut *types.TaskTimedOut
	if !errors.As(err, &timedOut) {
		t.Errorf("SendTaskSuccess on a closed task: %v, want TaskTimedOut", err)
	}

	h, err := f.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetExecutionHistory: %v", err)
	}
	var seen []string
	for _, e := range h.Events {
		seen = append(seen, string(e.Type))
	}
	want := []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
		"TaskSucceeded", "TaskStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Fatalf("history %v\nwant %v", seen, want)
	}
	sched := h.Events[2].TaskScheduledEventDetails
	if sched == nil || aws.ToString(sched.Resource) != "invoke.waitForTaskToken" || aws.ToString(sched.ResourceType) != "lambda" ||
		aws.ToInt64(sched.TimeoutInSeconds) != 300 || !strings.Contains(aws.ToString(sched.Parameters), `"FunctionName":"await-code"`) {
		t.Errorf("TaskScheduled details %+v", sched)
	}
	if e := h.Events[1]; e.StateEnteredEventDetails == nil || aws.ToString(e.StateEnteredEventDetails.Name) != "Await code" || e.Id != 2 || e.PreviousEventId != 1 || e.Timestamp == nil {
		t.Errorf("TaskStateEntered event %+v", e)
	}
	if e := h.Events[len(h.Events)-1]; e.ExecutionSucceededEventDetails == nil || !strings.Contains(aws.ToString(e.ExecutionSucceededEventDetails.Output), "connected") {
		t.Errorf("ExecutionSucceeded event %+v", e)
	}
}

func TestSendTaskFailureThroughTheSDK(t *testing.T) {
	f := newFixture(t)
	arn := f.start(t, "cp_2", `{"checkpoint_id": "cp_2"}`)
	_, err := f.client.SendTaskFailure(context.Background(), &sfn.SendTaskFailureInput{
		TaskToken: aws.String(<-f.tokens), Error: aws.String("Relay.Rejected"), Cause: aws.String("bad credentials"),
	})
	if err != nil {
		t.Fatal(err)
	}
	d := f.wait(t, arn)
	if d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != "Relay.Rejected" || aws.ToString(d.Cause) != "bad credentials" {
		t.Errorf("after failure: %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
}

func TestStopAndListThroughTheSDK(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	arn := f.start(t, "cp_3", `{"checkpoint_id": "cp_3"}`)
	<-f.tokens
	stop, err := f.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn), Error: aws.String("Relay.Superseded"), Cause: aws.String("newer")})
	if err != nil || stop.StopDate == nil {
		t.Fatalf("StopExecution: %v", err)
	}
	d := f.wait(t, arn)
	if d.Status != types.ExecutionStatusAborted || aws.ToString(d.Error) != "Relay.Superseded" {
		t.Errorf("after stop: %s %s", d.Status, aws.ToString(d.Error))
	}
	f.start(t, "cp_4", `{"checkpoint_id": "cp_4"}`)
	<-f.tokens
	list, err := f.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machineARN), StatusFilter: types.ExecutionStatusRunning})
	if err != nil || len(list.Executions) != 1 || aws.ToString(list.Executions[0].Name) != "cp_4" {
		t.Errorf("ListExecutions RUNNING: %+v %v", list, err)
	}
	all, err := f.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machineARN), MaxResults: 1})
	if err != nil || len(all.Executions) != 1 || all.NextToken == nil {
		t.Fatalf("ListExecutions page 1: %+v %v", all, err)
	}
	rest, err := f.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machineARN), MaxResults: 1, NextToken: all.NextToken})
	if err != nil || len(rest.Executions) != 1 || rest.NextToken != nil {
		t.Errorf("ListExecutions page 2: %+v %v", rest, err)
	}
	sm, err := f.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(machineARN)})
	if err != nil || aws.ToString(sm.Name) != "checkpoint" || aws.ToString(sm.Definition) != callbackDefinition || sm.Type != types.StateMachineTypeStandard {
		t.Errorf("DescribeStateMachine: %+v %v", sm, err)
	}
}

func TestStartExecutionIsIdempotentThroughTheSDK(t *testing.T) {
	f := newFixture(t)
	first := f.start(t, "cp_5", `{"checkpoint_id": "cp_5"}`)
	<-f.tokens
	if again := f.start(t, "cp_5", `{"checkpoint_id": "cp_5"}`); again != first {
		t.Errorf("second start gave %s, want %s", again, first)
	}
	_, err := f.client.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN), Name: aws.String("cp_5"), Input: aws.String(`{"checkpoint_id": "other"}`),
	})
	var exists *types.ExecutionAlreadyExists
	if !errors.As(err, &exists) {
		t.Errorf("start with another input: %v, want ExecutionAlreadyExists", err)
	}
}

// Each runner error reaches the SDK as its typed error.
func TestErrorsThroughTheSDK(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	unknownExec := "arn:aws:states:eu-west-1:123456789012:execution:checkpoint:nope"
	tests := []struct {
		name string
		call func() error
		want any
	}{
		{"ExecutionDoesNotExist", func() error {
			_, err := f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(unknownExec)})
			return err
		}, new(*types.ExecutionDoesNotExist)},
		{"InvalidArn", func() error {
			_, err := f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:nope")})
			return err
		}, new(*types.InvalidArn)},
		{"StateMachineDoesNotExist", func() error {
			_, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machineARN + "2")})
			return err
		}, new(*types.StateMachineDoesNotExist)},
		{"InvalidExecutionInput", func() error {
			_, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machineARN), Input: aws.String("{")})
			return err
		}, new(*types.InvalidExecutionInput)},
		{"InvalidName", func() error {
			_, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machineARN), Name: aws.String("a b")})
			return err
		}, new(*types.InvalidName)},
		{"InvalidToken", func() error {
			_, err := f.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("forged"), Output: aws.String("{}")})
			return err
		}, new(*types.InvalidToken)},
		{"TaskDoesNotExist", func() error {
			token := strings.Repeat("A", 64)
			_, err := f.client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token)})
			return err
		}, new(*types.TaskDoesNotExist)},
		{"InvalidDefinition", func() error {
			_, err := f.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("m"), RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
				Definition: aws.String(`{"StartAt": "M", "States": {"M": {"Type": "Map", "End": true}}}`)})
			return err
		}, new(*types.InvalidDefinition)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.As(err, tt.want) {
				t.Fatalf("error %v (%T), want %s", err, err, tt.name)
			}
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != tt.name || api.ErrorMessage() == "" {
				t.Errorf("API error %v", err)
			}
		})
	}
}

func TestCreateStateMachineThroughTheSDK(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	out, err := f.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("hello"), RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		Definition: aws.String(`{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "hi", "End": true}}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:states:eu-west-1:123456789012:stateMachine:hello"; aws.ToString(out.StateMachineArn) != want {
		t.Errorf("arn %s, want %s", aws.ToString(out.StateMachineArn), want)
	}
	start, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: out.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	if d := f.wait(t, aws.ToString(start.ExecutionArn)); aws.ToString(d.Output) != `"hi"` {
		t.Errorf("output %s", aws.ToString(d.Output))
	}
}

// A state machine name may hold a "."; a timed-out execution is described
// with neither an error nor a cause, as in AWS.
func TestDottedNameAndTimedOutExecutionThroughTheSDK(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	out, err := f.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("checkpoint.v2"), RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		Definition: aws.String(`{"StartAt": "W", "TimeoutSeconds": 1, "States": {"W": {"Type": "Wait", "Seconds": 100, "End": true}}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	start, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: out.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	d := f.wait(t, aws.ToString(start.ExecutionArn))
	if d.Status != "TIMED_OUT" || d.Error != nil || d.Cause != nil {
		t.Errorf("status %s error %v cause %v, want TIMED_OUT with neither", d.Status, d.Error, d.Cause)
	}
}

func TestProtocolErrors(t *testing.T) {
	srv := httptest.NewServer(New(asl.New(asl.Options{}), Options{}))
	defer srv.Close()
	tests := []struct {
		name, method, target, body string
		status                     int
		code                       string
	}{
		{"unknown operation", http.MethodPost, "AWSStepFunctions.DeleteActivity", `{}`, 400, "UnknownOperationException"},
		{"heartbeats are not run locally", http.MethodPost, "AWSStepFunctions.SendTaskHeartbeat", `{}`, 400, "UnknownOperationException"},
		{"no target", http.MethodPost, "", `{}`, 400, "UnknownOperationException"},
		{"GET", http.MethodGet, "AWSStepFunctions.DescribeExecution", ``, 405, "UnknownOperationException"},
		{"malformed body", http.MethodPost, "AWSStepFunctions.DescribeExecution", `{`, 400, "SerializationException"},
		{"missing state machine", http.MethodPost, "AWSStepFunctions.StartExecution", `{}`, 400, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL, strings.NewReader(tt.body))
			req.Header.Set("X-Amz-Target", tt.target)
			req.Header.Set("Content-Type", ContentType)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]string
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tt.status || body["__type"] != tt.code || resp.Header.Get("X-Amzn-ErrorType") != tt.code {
				t.Errorf("status %d, body %v; want %d %s", resp.StatusCode, body, tt.status, tt.code)
			}
			if ct := resp.Header.Get("Content-Type"); ct != ContentType {
				t.Errorf("content type %q", ct)
			}
		})
	}
}
