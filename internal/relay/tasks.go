package relay

import (
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// ExecutionInput is the input of the checkpoint state machine
// (statemachine/checkpoint.asl.json).
type ExecutionInput struct {
	CheckpointID        string          `json:"checkpoint_id"`
	API                 checkpoint.API  `json:"api"`
	Type                checkpoint.Type `json:"type"`
	Mode                checkpoint.Mode `json:"mode"`
	CanResend           bool            `json:"can_resend"`
	CodeWaitSeconds     int             `json:"code_wait_seconds"`
	PollIntervalSeconds int             `json:"poll_interval_seconds"`
	MaxPolls            int             `json:"max_polls"`
	Counters            Counters        `json:"counters"`
}

// Counters are the state machine's loop counters; the ASL increments them.
type Counters struct {
	WrongCodes int `json:"wrong_codes"`
	Resends    int `json:"resends"`
	TOTPTries  int `json:"totp_tries"`
	Polls      int `json:"polls"`
	Chain      int `json:"chain"`
}

// TaskResult is what every task answers. Mode and Type are always set by
// the tasks: after a next_checkpoint they are the new checkpoint's. The
// result that ends a wait early (a code handler's, or the form's "I
// approved it") carries only its outcome: code_queued or poll_now.
type TaskResult struct {
	Outcome   checkpoint.Outcome `json:"outcome"`
	Mode      checkpoint.Mode    `json:"mode"`
	Type      checkpoint.Type    `json:"type"`
	Detail    string             `json:"detail,omitempty"`
	ErrorType string             `json:"error_type,omitempty"`
	// WrongCodes is the checkpoint item's own count of wrong codes once
	// this outcome is recorded. The state machine's bound uses it as well
	// as its own counter, so a wrong code whose attempt died after
	// recording it (the retry went on to the next code) still counts.
	WrongCodes int `json:"wrong_codes"`
	// FromQueue: the outcome is a queued code's (a person's code), not the
	// authenticator's or a poll's; a wrong one counts against the
	// wrong-code bound whatever the mode.
	FromQueue bool `json:"from_queue"`
}

// AwaitCodeInput is the payload of the await-code task.
type AwaitCodeInput struct {
	CheckpointID string `json:"checkpoint_id"`
	TaskToken    string `json:"task_token"`
}

// SolveMode is what the solve task does.
type SolveMode string

// Every mode first submits the queue's head, if a code is queued; with an
// empty queue, code answers OutcomeNone, poll asks the API whether the
// sign-in was approved, totp submits the authenticator's code.
const (
	SolveCode SolveMode = "code"
	SolveTOTP SolveMode = "totp"
	SolvePoll SolveMode = "poll"
)

// Outcomes of the relay's own, beside the provider's (checkpoint.Outcome).
const (
	// OutcomeNone: a code solve found the queue empty (no code in time).
	OutcomeNone checkpoint.Outcome = "none"
	// OutcomeCodeQueued ends a wait: a code was accepted.
	OutcomeCodeQueued checkpoint.Outcome = "code_queued"
	// OutcomePollNow ends a poll interval: the form says the sign-in was
	// approved in the app.
	OutcomePollNow checkpoint.Outcome = "poll_now"
	// OutcomeAmbiguous: a code was resubmitted after an attempt that may
	// have reached the provider got no answer, and the provider's answer
	// now contradicts success (wrong code, no live intent), which the
	// first submission may itself have caused; or the resubmission got no
	// answer either. The checkpoint ends restart_required with reason
	// ReasonAmbiguousAfterTimeout.
	OutcomeAmbiguous checkpoint.Outcome = "ambiguous"
)

// ReasonAmbiguousAfterTimeout is the reason of an OutcomeAmbiguous end.
const ReasonAmbiguousAfterTimeout = "ambiguous_after_timeout"

// SolveInput is the payload of the solve task.
type SolveInput struct {
	CheckpointID string    `json:"checkpoint_id"`
	Mode         SolveMode `json:"mode"`
}

// ResendInput is the payload of the resend task.
type ResendInput struct {
	CheckpointID string `json:"checkpoint_id"`
}

// FinishInput is the payload of the finish task.
type FinishInput struct {
	CheckpointID string            `json:"checkpoint_id"`
	Status       checkpoint.Status `json:"status"`
	Reason       string            `json:"reason"`
}

// FinishOutput says how the end was recorded.
type FinishOutput struct {
	Status checkpoint.Status `json:"status"`
	// Callback is "delivered", "none" (no callback_url), or "skipped" (the
	// checkpoint had already ended otherwise, e.g. superseded).
	Callback string `json:"callback"`
}

// Error names the state machine matches in Retry and Catch. A Lambda
// error's name is its Go type name unless the error is a
// messages.InvokeResponse_Error, whose Type is used as is; TaskError builds
// those, so the names can carry the "Relay." prefix.
const (
	// ErrorProviderRetry: the provider answered a transient error; retry
	// with backoff.
	ErrorProviderRetry = "Relay.ProviderRetry"
	// ErrorCallbackFailed: the app's callback URL did not answer 2xx.
	ErrorCallbackFailed = "Relay.CallbackFailed"
	// ErrorCheckpointEnded: a task ran for a checkpoint that had already
	// ended (superseded); also sent as the task failure of a waiting
	// await-code.
	ErrorCheckpointEnded = "Relay.CheckpointEnded"
	// ErrorSuperseded is the StopExecution error of a superseded
	// checkpoint's execution.
	ErrorSuperseded = "Relay.Superseded"
	// ErrorRegistrationFailed is the StopExecution error of an execution
	// whose registration answered an error.
	ErrorRegistrationFailed = "Relay.RegistrationFailed"
)

// TaskError returns an error the Lambda runtime reports with exactly this
// name. It must be returned unwrapped from the handler.
func TaskError(name, cause string) error {
	return messages.InvokeResponse_Error{Type: name, Message: cause}
}

// TaskErrorName returns the name of an error made by TaskError, "" for
// any other error.
func TaskErrorName(err error) string {
	if e, ok := err.(messages.InvokeResponse_Error); ok {
		return e.Type
	}
	return ""
}
