package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

const smARN = "arn:aws:states:us-east-1:123456789012:stateMachine:checkpoint"

// fakeSFN speaks the Step Functions JSON protocol for the four calls, with
// the error types AWS answers.
type fakeSFN struct {
	executions map[string]string // name -> input
	tasks      map[string]string // live token -> output (empty until sent)
	calls      []string
}

func (f *fakeSFN) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var in map[string]string
	_ = json.Unmarshal(body, &in)
	target := r.Header.Get("X-Amz-Target")
	f.calls = append(f.calls, target)
	fail := func(typ string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"__type":%q,"message":"refused"}`, typ)
	}
	ok := func(v any) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_ = json.NewEncoder(w).Encode(v)
	}
	switch target {
	case "AWSStepFunctions.StartExecution":
		if prev, exists := f.executions[in["name"]]; exists && prev != in["input"] {
			fail("ExecutionAlreadyExists")
			return
		}
		f.executions[in["name"]] = in["input"]
		ok(map[string]any{"executionArn": ExecutionARN(in["stateMachineArn"], in["name"]), "startDate": 1.7e9})
	case "AWSStepFunctions.SendTaskSuccess", "AWSStepFunctions.SendTaskFailure":
		out, live := f.tasks[in["taskToken"]]
		if !live || out != "" {
			fail("TaskTimedOut")
			return
		}
		f.tasks[in["taskToken"]] = in["output"] + in["error"]
		ok(map[string]any{})
	case "AWSStepFunctions.StopExecution":
		if in["executionArn"] != ExecutionARN(smARN, "cp_1") {
			fail("ExecutionDoesNotExist")
			return
		}
		ok(map[string]any{"stopDate": 1.7e9})
	default:
		http.Error(w, "unexpected "+target, 400)
	}
}

func newSFN(t *testing.T) (*SFN, *fakeSFN) {
	fake := &fakeSFN{executions: map[string]string{}, tasks: map[string]string{"tok": ""}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c := sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	return New(c, smARN), fake
}

func TestStartIsIdempotentByName(t *testing.T) {
	ctx := context.Background()
	w, fake := newSFN(t)
	want := "arn:aws:states:us-east-1:123456789012:execution:checkpoint:cp_1"
	for i, input := range []map[string]string{{"a": "1"}, {"a": "1"}, {"a": "2"}} {
		arn, err := w.Start(ctx, "cp_1", input)
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		if arn != want {
			t.Fatalf("start %d: arn %s, want %s", i, arn, want)
		}
	}
	if fake.executions["cp_1"] != `{"a":"1"}` {
		t.Fatalf("execution input %q", fake.executions["cp_1"])
	}
}

func TestSucceedOnceThenTaskGone(t *testing.T) {
	ctx := context.Background()
	w, fake := newSFN(t)
	if err := w.Succeed(ctx, "tok", map[string]string{"outcome": "connected"}); err != nil {
		t.Fatal(err)
	}
	if fake.tasks["tok"] != `{"outcome":"connected"}` {
		t.Fatalf("output %q", fake.tasks["tok"])
	}
	if err := w.Succeed(ctx, "tok", map[string]string{}); !errors.Is(err, ErrTaskGone) {
		t.Fatalf("second send: %v, want ErrTaskGone", err)
	}
	if err := w.Fail(ctx, "other", "Relay.Superseded", "x"); !errors.Is(err, ErrTaskGone) {
		t.Fatalf("fail of an unknown token: %v, want ErrTaskGone", err)
	}
}

func TestStopToleratesAMissingExecution(t *testing.T) {
	ctx := context.Background()
	w, _ := newSFN(t)
	if err := w.Stop(ctx, ExecutionARN(smARN, "cp_1"), "Relay.Superseded", "superseded"); err != nil {
		t.Fatal(err)
	}
	if err := w.Stop(ctx, ExecutionARN(smARN, "cp_gone"), "Relay.Superseded", "superseded"); err != nil {
		t.Fatalf("stop of a missing execution: %v", err)
	}
}
