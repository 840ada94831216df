// Package sfnlocal serves the AWS Step Functions API (AWS JSON 1.0
// protocol) on top of an asl.Runner, so that code using the real AWS SDK
// reaches the local runner with only its endpoint changed
// (AWS_ENDPOINT_URL_SFN). Requests are not authenticated: SigV4 signatures
// are accepted as they are.
package sfnlocal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/checkpoint-relay/checkpoint-relay/internal/asl"
)

// ContentType is the media type of the protocol, both ways.
const ContentType = "application/x-amz-json-1.0"

const targetPrefix = "AWSStepFunctions."

// maxBody bounds a request body; Step Functions' own payload limit is 256 KiB.
const maxBody = 1 << 20

// Options configures a Server.
type Options struct {
	// Region and Account build the ARN of machines created through
	// CreateStateMachine. Defaults: us-east-1, 123456789012.
	Region, Account string
	// Logger receives one line per failed request; nil discards.
	Logger *slog.Logger
}

// Server is the http.Handler of the Step Functions API.
type Server struct {
	runner  *asl.Runner
	region  string
	account string
	log     *slog.Logger
	ops     map[string]func(body []byte) (any, error)
}

var _ http.Handler = (*Server)(nil)

// New returns a Server answering for runner.
func New(runner *asl.Runner, opts Options) *Server {
	s := &Server{runner: runner, region: opts.Region, account: opts.Account, log: opts.Logger}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.account == "" {
		s.account = "123456789012"
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.ops = map[string]func([]byte) (any, error){
		"StartExecution":       s.startExecution,
		"SendTaskSuccess":      s.sendTaskSuccess,
		"SendTaskFailure":      s.sendTaskFailure,
		"StopExecution":        s.stopExecution,
		"DescribeExecution":    s.describeExecution,
		"GetExecutionHistory":  s.getExecutionHistory,
		"ListExecutions":       s.listExecutions,
		"DescribeStateMachine": s.describeStateMachine,
		"CreateStateMachine":   s.createStateMachine,
	}
	return s
}

// apiError is an error answer: its code is the "__type" the SDKs map to
// their typed errors (types.ExecutionDoesNotExist, ...).
type apiError struct {
	code    string
	message string
	status  int
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func clientErr(code, format string, args ...any) *apiError {
	return &apiError{code: code, message: fmt.Sprintf(format, args...), status: http.StatusBadRequest}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.writeError(w, &apiError{code: "UnknownOperationException", message: "the Step Functions API takes POST requests", status: http.StatusMethodNotAllowed})
		return
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := s.ops[strings.TrimPrefix(target, targetPrefix)]
	if !ok || !strings.HasPrefix(target, targetPrefix) {
		s.writeError(w, clientErr("UnknownOperationException", "unknown or unsupported operation %q", target))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		s.writeError(w, clientErr("ValidationException", "the request body is unreadable or larger than %d bytes", maxBody))
		return
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	out, err := op(body)
	if err != nil {
		s.log.Info("step functions request failed", "target", target, "error", err)
		s.writeError(w, toAPIError(err))
		return
	}
	w.Header().Set("Content-Type", ContentType)
	_ = json.NewEncoder(w).Encode(out)
}

func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Amzn-ErrorType", e.code)
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.code, "message": e.message})
}

// runnerErrors maps the runner's errors to the API's error codes.
var runnerErrors = []error{
	asl.ErrStateMachineDoesNotExist, asl.ErrExecutionDoesNotExist,
	asl.ErrExecutionAlreadyExists, asl.ErrTaskDoesNotExist, asl.ErrTaskTimedOut, asl.ErrInvalidToken,
	asl.ErrInvalidArn, asl.ErrInvalidName, asl.ErrInvalidExecutionInput, asl.ErrInvalidOutput,
	asl.ErrInvalidDefinition,
}

func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	for _, known := range runnerErrors {
		if errors.Is(err, known) {
			return clientErr(known.Error(), "%s", err.Error())
		}
	}
	if errors.Is(err, asl.ErrShuttingDown) {
		return &apiError{code: "ServiceUnavailable", message: err.Error(), status: http.StatusServiceUnavailable}
	}
	return &apiError{code: "InternalFailure", message: err.Error(), status: http.StatusInternalServerError}
}

// decode reads a request body into in, refusing malformed JSON.
func decode(body []byte, in any) error {
	if err := json.Unmarshal(body, in); err != nil {
		return clientErr("SerializationException", "malformed request body: %v", err)
	}
	return nil
}
