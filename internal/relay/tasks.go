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

// TaskResult is what every task answers and what a code handler sends a
// waiting await-code task. Mode and Type are always set: after a
// next_checkpoint they are the new checkpoint's.
type TaskResult struct {
	Outcome   checkpoint.Outcome `json:"outcome"`
	Mode      checkpoint.Mode    `json:"mode"`
	Type      checkpoint.Type    `json:"type"`
	Detail    string             `json:"detail,omitempty"`
	ErrorType string             `json:"error_type,omitempty"`
	// WrongCodes is the checkpoint item's own count of wrong codes once
	// this outcome is recorded. The state machine's bound uses it as well
	// as its own counter, so outcomes that reached the execution as one
	// (a parked outcome replaced by a newer one) still count each code.
	WrongCodes int `json:"wrong_codes"`
}

// AwaitCodeInput is the payload of the await-code task.
type AwaitCodeInput struct {
	CheckpointID string `json:"checkpoint_id"`
	TaskToken    string `json:"task_token"`
}

// SolveMode is what the solve task does.
type SolveMode string

const (
	SolveTOTP        SolveMode = "totp"
	SolvePoll        SolveMode = "poll"
	SolvePendingCode SolveMode = "pending_code"
	// SolveLate runs when a code wait timed out: it waits for a code still
	// being solved and answers the outcome a code handler recorded while
	// the wait was ending, or OutcomeNone.
	SolveLate SolveMode = "late"
)

// OutcomeNone is the late solve's answer when no code arrived.
const OutcomeNone checkpoint.Outcome = "none"

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
	// ErrorSolveInProgress: finish, resend or the late-outcome solve met a
	// code being solved (the solve lease is held) and waited BusyWait for
	// it; retry shortly, the code's outcome decides what comes next.
	ErrorSolveInProgress = "Relay.SolveInProgress"
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
