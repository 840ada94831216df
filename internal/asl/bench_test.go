package asl

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// benchLoop counts to 50 with a Pass (States.MathAdd), a Choice and a Task,
// the shape of the relay's polling loop without its Wait: 151 transitions
// per execution, each through paths, an intrinsic and a Lambda invoke.
const benchLoop = `{
  "StartAt": "Poll",
  "States": {
    "Poll": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "poll", "Payload": {"n.$": "$.n"}},
      "ResultSelector": {"outcome.$": "$.Payload.outcome"}, "ResultPath": "$.result", "Next": "Count"},
    "Count": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)", "result.$": "$.result"}, "Next": "Done?"},
    "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 50, "Next": "Done"}], "Default": "Poll"},
    "Done": {"Type": "Succeed"}
  }
}`

func BenchmarkExecution(b *testing.B) {
	fns := NewFunctions()
	fns.Register("poll", func(context.Context, []byte) ([]byte, error) { return []byte(`{"outcome":"pending"}`), nil })
	r := New(Options{Invoker: fns, TimeScale: 1})
	defer func() { _ = r.Shutdown(context.Background()) }()
	if err := r.RegisterStateMachine(testMachineARN, []byte(benchLoop)); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		arn, _, err := r.StartExecution(testMachineARN, fmt.Sprintf("e%d", i), `{"n":0}`)
		if err != nil {
			b.Fatal(err)
		}
		d, err := r.Wait(ctx, arn)
		if err != nil || d.Status != StatusSucceeded || d.Transitions != 151 {
			b.Fatalf("execution %s, %d transitions, %v", d.Status, d.Transitions, err)
		}
	}
	b.ReportMetric(float64(r.Transitions())/b.Elapsed().Seconds(), "transitions/s")
}
