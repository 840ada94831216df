package asl

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

// Retry and Catch, after the "Error Handling" section of the specification.

type ErrorA struct{}

func (ErrorA) Error() string { return "a" }

type ErrorB struct{}

func (*ErrorB) Error() string { return "b" }

func TestRetrierDelays(t *testing.T) {
	tests := []struct {
		name string
		r    retrier
		want []time.Duration
	}{
		{"3 and 6 seconds", retrier{intervalSeconds: 3, maxAttempts: 2, backoffRate: 2}, []time.Duration{3 * time.Second, 6 * time.Second}},
		{"MaxDelaySeconds 4 caps the second wait", retrier{intervalSeconds: 3, maxAttempts: 2, backoffRate: 2, maxDelaySeconds: 4}, []time.Duration{3 * time.Second, 4 * time.Second}},
		{"BackoffRate 1 keeps the interval", retrier{intervalSeconds: 5, maxAttempts: 3, backoffRate: 1}, []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second}},
		{"BackoffRate 1.5", retrier{intervalSeconds: 2, maxAttempts: 3, backoffRate: 1.5}, []time.Duration{2 * time.Second, 3 * time.Second, 4500 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, want := range tt.want {
				if got := tt.r.delay(int64(i)); got != want {
					t.Errorf("retry %d: %v, want %v", i, got, want)
				}
			}
		})
	}
}

func TestFullJitterStaysUnderTheBackoff(t *testing.T) {
	r := retrier{intervalSeconds: 2, maxAttempts: 2, backoffRate: 2, fullJitter: true}
	for range 100 {
		if d := r.delay(1); d < 0 || d > 4*time.Second {
			t.Fatalf("jittered delay %v outside [0, 4s]", d)
		}
	}
}

func TestErrorMatching(t *testing.T) {
	tests := []struct {
		equals []string
		name   string
		want   bool
	}{
		{[]string{"States.ALL"}, "ErrorA", true},
		{[]string{"States.ALL"}, ErrNameTimeout, true},
		{[]string{"States.ALL"}, ErrNameRuntime, false},
		{[]string{"States.TaskFailed"}, "ErrorA", true},
		{[]string{"States.TaskFailed"}, ErrNameTimeout, false},
		{[]string{"ErrorA", "ErrorB"}, "ErrorB", true},
		{[]string{"ErrorA"}, "errora", false},
	}
	for _, tt := range tests {
		if got := matches(tt.equals, tt.name); got != tt.want {
			t.Errorf("matches(%v, %q) = %v, want %v", tt.equals, tt.name, got, tt.want)
		}
	}
}

// The "Complex retry scenarios" example: the task fails with ErrorA,
// ErrorB, ErrorC and ErrorB. The first two use the first retrier, the third
// the second; the fourth finds the first retrier spent, and Catch sends the
// machine to Z.
func TestSpecComplexRetryScenario(t *testing.T) {
	rec := &recorder{errs: []error{ErrorA{}, &ErrorB{}, &LambdaError{Type: "ErrorC", Message: "c"}, &ErrorB{}}}
	fns := NewFunctions()
	fns.Register("X", rec.handle)
	df := def("X", `
	  "X": {
	    "Type": "Task",
	    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:X",
	    "Parameters": {"retry.$": "$$.State.RetryCount"},
	    "Next": "Y",
	    "Retry": [
	      {"ErrorEquals": ["ErrorA", "ErrorB"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 2},
	      {"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5}
	    ],
	    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Z"}]
	  },
	  "Y": {"Type": "Succeed"},
	  "Z": {"Type": "Pass", "End": true}`)
	r := newTestRunner(t, fns)
	var mu sync.Mutex
	var waits []time.Duration
	r.observeSleep = func(d time.Duration) {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
	}
	d := runOn(t, r, df, `{}`)
	assertSucceeded(t, d, `{"Error": "ErrorB", "Cause": "{\"errorMessage\":\"b\",\"errorType\":\"ErrorB\"}"}`)
	// "The first two errors match the first retrier and cause waits of one
	// and two seconds. The third error matches the second retrier and causes
	// a wait of five seconds."
	mu.Lock()
	defer mu.Unlock()
	if want := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second}; !slices.Equal(waits, want) {
		t.Errorf("retry waits %v, want %v", waits, want)
	}
	calls := rec.calls()
	want := []string{`{"retry":0}`, `{"retry":1}`, `{"retry":2}`, `{"retry":3}`}
	if len(calls) != len(want) {
		t.Fatalf("%d calls %v, want %d", len(calls), calls, len(want))
	}
	for i := range want {
		assertJSON(t, calls[i], want[i])
	}
	// X, Z and three retries.
	if d.Transitions != 5 {
		t.Errorf("%d transitions, want 5", d.Transitions)
	}
}

// "a Retrier which will retry any error except for States.Timeout".
func TestSpecRetryAllButTimeout(t *testing.T) {
	tests := []struct {
		name      string
		errs      []error
		timeout   bool
		wantCalls int
		wantErr   string
	}{
		{"other errors retried 3 times", []error{ErrorA{}, ErrorA{}, ErrorA{}, ErrorA{}}, false, 4, "ErrorA"},
		{"success on the third call", []error{ErrorA{}, ErrorA{}}, false, 3, ""},
		{"timeout never retried", nil, true, 1, ErrNameTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{errs: tt.errs}
			block := make(chan struct{})
			defer close(block)
			fns := NewFunctions()
			fns.Register("X", func(ctx context.Context, p []byte) ([]byte, error) {
				if tt.timeout {
					rec.handle(ctx, p)
					<-block
				}
				return rec.handle(ctx, p)
			})
			// A timeout of 1 ms (scaled) for the blocked function; 100 s
			// for the others, which must not time out on a loaded machine.
			timeout := "1000000"
			if tt.timeout {
				timeout = "10"
			}
			df := def("X", `"X": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:X",
			  "TimeoutSeconds": `+timeout+`, "End": true,
			  "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 0}, {"ErrorEquals": ["States.ALL"]}]}`)
			d := runMachine(t, fns, df, `{}`)
			if tt.wantErr == "" {
				assertSucceeded(t, d, `{}`)
			} else {
				assertFailed(t, d, tt.wantErr)
			}
			if got := len(rec.calls()); got != tt.wantCalls {
				t.Errorf("%d calls, want %d", got, tt.wantCalls)
			}
		})
	}
}

// The JSONPath Catchers example: the first catcher puts the Error Output
// under "error-info" of the original input.
func TestSpecCatchResultPath(t *testing.T) {
	tests := []struct {
		name, errType, want string
	}{
		{"java.lang.Exception goes to RecoveryState", "java.lang.Exception",
			`{"in": 1, "error-info": {"Error": "java.lang.Exception", "Cause": "{\"errorMessage\":\"boom\",\"errorType\":\"java.lang.Exception\"}"}, "recovered": true}`},
		{"anything else goes to EndMachine", "Other",
			`{"Error": "Other", "Cause": "{\"errorMessage\":\"boom\",\"errorType\":\"Other\"}"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fns := NewFunctions()
			fns.Register("F", func(context.Context, []byte) ([]byte, error) {
				return nil, &LambdaError{Type: tt.errType, Message: "boom"}
			})
			df := def("T", `"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:F", "Next": "EndMachine",
			    "Catch": [
			      {"ErrorEquals": ["java.lang.Exception"], "ResultPath": "$.error-info", "Next": "RecoveryState"},
			      {"ErrorEquals": ["States.ALL"], "Next": "EndMachine"}
			    ]},
			  "RecoveryState": {"Type": "Pass", "Result": true, "ResultPath": "$.recovered", "End": true},
			  "EndMachine": {"Type": "Pass", "End": true}`)
			assertSucceeded(t, runMachine(t, fns, df, `{"in": 1}`), tt.want)
		})
	}
}

func TestUncaughtErrorFailsTheExecution(t *testing.T) {
	fns := NewFunctions()
	fns.Register("F", func(context.Context, []byte) ([]byte, error) { return nil, errors.New("plain") })
	df := def("T", `"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:F", "End": true,
	  "Catch": [{"ErrorEquals": ["Other"], "Next": "S"}]}, "S": {"Type": "Succeed"}`)
	d := runMachine(t, fns, df, `{}`)
	// aws-lambda-go names an error by its Go type: *errors.errorString.
	assertFailed(t, d, "errorString")
	assertJSON(t, d.Cause, `{"errorMessage": "plain", "errorType": "errorString"}`)
}

func TestErrorName(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{ErrorA{}, "ErrorA"},
		{&ErrorB{}, "ErrorB"},
		{&LambdaError{Type: "Relay.ProviderRetry"}, "Relay.ProviderRetry"},
		{messagesError("Relay.CallbackFailed"), "Relay.CallbackFailed"},
	}
	for _, tt := range tests {
		if got := ErrorName(tt.err); got != tt.want {
			t.Errorf("ErrorName(%T) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestParameterPathFailureIsCatchable(t *testing.T) {
	df := def("P", `"P": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:F",
	  "Parameters": {"x.$": "$.missing"}, "End": true,
	  "Catch": [{"ErrorEquals": ["States.ParameterPathFailure"], "Next": "S"}]},
	  "S": {"Type": "Pass", "End": true}`)
	d := runMachine(t, nil, df, `{}`)
	if d.Status != StatusSucceeded {
		t.Fatalf("status %s %s", d.Status, d.Error)
	}
	mustContain(t, *d.Output, ErrNameParameterPathFailure)
}

func TestUnknownFunction(t *testing.T) {
	df := def("T", `"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Nope", "End": true}`)
	assertFailed(t, runMachine(t, nil, df, `{}`), "Lambda.ResourceNotFoundException")
}

// aws-lambda-go keeps the Type only of a messages.InvokeResponse_Error
// value; a pointer to one is named after its Go type like any other error,
// so a Retry on the Type would never match in AWS.
func TestErrorNameOfAPointerToInvokeResponseError(t *testing.T) {
	err := &messages.InvokeResponse_Error{Type: "Relay.ProviderRetry", Message: "m"}
	if got := ErrorName(err); got != "InvokeResponse_Error" {
		t.Errorf("ErrorName(%T) = %q, want %q", err, got, "InvokeResponse_Error")
	}
}

func messagesError(typ string) error {
	return messages.InvokeResponse_Error{Type: typ, Message: "m"}
}

func TestPanickingFunctionFailsItsTask(t *testing.T) {
	fns := NewFunctions()
	fns.Register("F", func(context.Context, []byte) ([]byte, error) { panic("boom") })
	df := def("T", `"T": {"Type": "Task", "Resource": "`+fnARN+`", "End": true}`)
	d := runMachine(t, fns, df, `{}`)
	assertFailed(t, d, "string")
	assertJSON(t, d.Cause, `{"errorMessage": "boom", "errorType": "string"}`)
}
