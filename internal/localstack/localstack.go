// Package localstack runs the whole relay on one machine with no AWS account
// and no Docker: dynalite for DynamoDB, the table as template.yaml declares
// it, the Step Functions API backed by the local ASL runner, every HTTP API
// route of the template served with API Gateway v2 payloads to the same
// handler code the Lambdas run, and, unless real APIs are configured, the
// provider simulator.
//
// The functions reach DynamoDB and Step Functions through the real AWS SDK;
// only the endpoints change (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SFN).
// Because the functions read their configuration from the environment, as
// they do in Lambda, one process runs one stack.
package localstack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	checkpointrelay "github.com/checkpoint-relay/checkpoint-relay"
	"github.com/checkpoint-relay/checkpoint-relay/internal/apigw"
	"github.com/checkpoint-relay/checkpoint-relay/internal/app"
	"github.com/checkpoint-relay/checkpoint-relay/internal/asl"
	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/dynalite"
	"github.com/checkpoint-relay/checkpoint-relay/internal/problem"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providersim"
	"github.com/checkpoint-relay/checkpoint-relay/internal/samtemplate"
	"github.com/checkpoint-relay/checkpoint-relay/internal/sfnlocal"
)

// Region and Account are the fake AWS identity of the local stack. The
// account id is all zeros so that a check that no code is stored or logged
// in clear cannot trip on an ARN (the documentation's 123456789012 holds
// the demo code 123456).
const (
	Region  = "us-east-1"
	Account = "000000000000"
)

// Options configures a stack.
type Options struct {
	// Addr is the gateway's listen address; "127.0.0.1:0" picks a port.
	Addr string
	// TimeScale multiplies every duration of the state machine (Wait,
	// TimeoutSeconds, retry intervals) and the
	// simulator's intent expiry. 0.01 runs a five-minute timeline in three
	// seconds. Zero means 1.
	TimeScale float64
	// Simulate serves the provider simulator and points every API at it,
	// even where a base URL is configured. Without it, the simulator still
	// stands in for each API whose base URL is not set.
	Simulate bool
	// Template is a template.yaml on disk, its state machine definitions
	// beside it as its DefinitionUri says; empty runs the template and
	// definitions embedded in the binary (checkpointrelay.Files).
	Template string
	// Logger receives the stack's own lines; nil logs to stderr.
	Logger *slog.Logger
}

// Stack is a running local relay.
type Stack struct {
	// URL is the gateway's base URL, e.g. http://127.0.0.1:3000.
	URL string
	// Runner executes the state machine; tests read its executions.
	Runner *asl.Runner
	// Simulator is the provider simulator, nil when every API is real.
	Simulator *providersim.Simulator
	// SimulatorURL is where the simulator listens, "" when not running.
	SimulatorURL    string
	StateMachineARN string
	TableName       string
	// DynamoDBEndpoint and SFNEndpoint are the local AWS endpoints.
	DynamoDBEndpoint string
	// Dynalite says which dynalite serves DynamoDB and where it was found.
	Dynalite    string
	SFNEndpoint string
	// Simulated lists the APIs the simulator answers for.
	Simulated []checkpoint.API
	// RelayAPIKey is the bearer key of POST /v1/checkpoints.
	RelayAPIKey string
	// Generated holds the secrets the stack made up, by variable name,
	// because the operator had not set them: those may be shown (a secret
	// the operator set is theirs, perhaps a real one, and is not).
	Generated map[string]string
	// Ready is how long Start took.
	Ready time.Duration

	log     *slog.Logger
	closers []func(context.Context) error
	// fns runs the task functions; tasks holds each one's own handler.
	fns   *asl.Functions
	tasks map[string]asl.Handler
}

// WrapFunction puts wrap around a task function of the template (by
// logical id, e.g. "SolveFunction"): fault injection, to see how the
// state machine and the relay handle a function that crashes or answers
// late. Each call wraps the function's own handler, replacing an earlier
// wrap.
func (s *Stack) WrapFunction(logicalID string, wrap func(asl.Handler) asl.Handler) error {
	h, ok := s.tasks[logicalID]
	if !ok {
		return fmt.Errorf("no task function %s", logicalID)
	}
	s.fns.Register(functionARN(logicalID), wrap(h))
	return nil
}

// Start brings the whole stack up and returns once GET /v1/health answers.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	began := time.Now()
	if opts.TimeScale == 0 {
		opts.TimeScale = 1
	}
	if opts.TimeScale < 0 || opts.TimeScale > 1 {
		return nil, fmt.Errorf("time scale %v: want a factor in (0, 1]", opts.TimeScale)
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:3000"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	var files fs.FS = checkpointrelay.Files
	name := "template.yaml"
	if opts.Template != "" {
		files, name = os.DirFS(filepath.Dir(opts.Template)), filepath.Base(opts.Template)
	}
	tpl, err := samtemplate.Load(files, name)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	s := &Stack{log: opts.Logger}
	// Whatever started before a failure is stopped again.
	defer func() {
		if err != nil {
			_ = s.Close(context.Background())
		}
	}()

	// The gateway's listener comes first so its URL (form links, the URL
	// Twilio signs) is known before the functions read their environment.
	gw, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	s.URL = "http://" + gw.Addr().String()

	if err := s.startDynamoDB(ctx, tpl); err != nil {
		_ = gw.Close()
		return nil, err
	}
	// The runner finds functions in this registry when it invokes them,
	// so it can start before the functions are built.
	fns := asl.NewFunctions()
	if err := s.startStepFunctions(tpl, opts.TimeScale, fns); err != nil {
		_ = gw.Close()
		return nil, err
	}
	if err := s.startSimulator(opts); err != nil {
		_ = gw.Close()
		return nil, err
	}
	if err := s.setEnvironment(tpl, opts.TimeScale); err != nil {
		_ = gw.Close()
		return nil, err
	}

	mux := http.NewServeMux()
	if err := s.wireFunctions(ctx, tpl, fns, mux); err != nil {
		_ = gw.Close()
		return nil, err
	}
	mux.HandleFunc("GET /v1/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, problem.ErrNotFound("no route for "+r.Method+" "+r.URL.Path))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(gw) }()
	s.closers = append(s.closers, srv.Shutdown)

	if err := waitHealthy(ctx, s.URL+"/v1/health"); err != nil {
		return nil, err
	}
	s.Ready = time.Since(began)
	return s, nil
}

// startDynamoDB runs dynalite and creates the table the template declares.
func (s *Stack) startDynamoDB(ctx context.Context, tpl *samtemplate.Template) error {
	table, ok := tpl.Table()
	if !ok {
		return errors.New("template.yaml must declare exactly one DynamoDB table")
	}
	db, err := dynalite.Start(ctx)
	if err != nil {
		return err
	}
	s.closers = append(s.closers, func(context.Context) error { return db.Close() })
	s.DynamoDBEndpoint = db.Endpoint
	s.Dynalite = db.Program.Source
	s.TableName = "checkpoint-relay-local"
	client := dynamodb.New(dynamodb.Options{
		Region:       Region,
		BaseEndpoint: aws.String(db.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	if _, err := client.CreateTable(ctx, table.CreateTableInput(s.TableName)); err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	return nil
}

// startStepFunctions registers the state machine with the local runner and
// serves the Step Functions API on loopback.
func (s *Stack) startStepFunctions(tpl *samtemplate.Template, scale float64, fns *asl.Functions) error {
	sm, ok := tpl.StateMachine()
	if !ok {
		return errors.New("template.yaml must declare exactly one state machine")
	}
	def, err := tpl.Definition(sm)
	if err != nil {
		return err
	}
	def, err = substitute(tpl, sm, def)
	if err != nil {
		return err
	}
	name, ok, err := tpl.Resolve(sm.Name, &samtemplate.Resolver{StackName: "checkpoint-relay"})
	if err != nil {
		return fmt.Errorf("state machine name: %w", err)
	}
	if !ok {
		return errors.New("state machine name: the template leaves it out; the local stack needs a fixed Name")
	}
	runner := asl.New(asl.Options{Invoker: fns, TimeScale: scale, Logger: s.log})
	s.StateMachineARN = asl.StateMachineARN(Region, Account, name)
	if err := runner.RegisterStateMachine(s.StateMachineARN, def); err != nil {
		return err
	}
	s.Runner = runner
	s.closers = append(s.closers, runner.Shutdown)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           sfnlocal.New(runner, sfnlocal.Options{Region: Region, Account: Account, Logger: s.log}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }()
	s.closers = append(s.closers, srv.Shutdown)
	s.SFNEndpoint = "http://" + ln.Addr().String()
	return nil
}

// functionARN is the local ARN of a template function.
func functionARN(logicalID string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, Account, logicalID)
}

// substitute applies the DefinitionSubstitutions, each function reference
// becoming the local ARN under which the function is registered.
func substitute(tpl *samtemplate.Template, sm samtemplate.StateMachine, def []byte) ([]byte, error) {
	refs := sm.FunctionRefs(tpl)
	attrs := map[string]string{}
	for _, id := range refs {
		attrs[id+".Arn"] = functionARN(id)
	}
	r := &samtemplate.Resolver{Attrs: attrs, Region: Region, AccountID: Account}
	out := string(def)
	for key, v := range sm.Substitutions {
		val, ok, err := tpl.Resolve(v, r)
		if err != nil {
			return nil, fmt.Errorf("substitution %s: %w", key, err)
		}
		if !ok {
			val = ""
		}
		out = strings.ReplaceAll(out, "${"+key+"}", val)
	}
	return []byte(out), nil
}

// startSimulator serves the provider simulator for every API without a
// configured base URL (every API with Simulate).
func (s *Stack) startSimulator(opts Options) error {
	for _, api := range checkpoint.APIs {
		if opts.Simulate || os.Getenv(envPrefix(api)+"_BASE_URL") == "" {
			s.Simulated = append(s.Simulated, api)
		}
	}
	if len(s.Simulated) == 0 {
		return nil
	}
	s.Simulator = providersim.New(providersim.Config{TimeScale: opts.TimeScale})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.Simulator, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	s.closers = append(s.closers, srv.Shutdown)
	s.SimulatorURL = "http://" + ln.Addr().String()
	return nil
}

func envPrefix(api checkpoint.API) string { return strings.ToUpper(string(api)) }

// setEnvironment gives the functions the environment the template gives
// them in AWS, with the local endpoints and local secrets. A variable the
// operator already set wins, so real API keys and webhook secrets can be
// used locally.
func (s *Stack) setEnvironment(tpl *samtemplate.Template, scale float64) error {
	set := func(k, v string) {
		if _, ok := os.LookupEnv(k); !ok {
			_ = os.Setenv(k, v)
		}
	}
	s.Generated = map[string]string{}
	secret := func(k, v string) {
		if _, ok := os.LookupEnv(k); !ok {
			_ = os.Setenv(k, v)
			s.Generated[k] = v
		}
	}
	force := func(k, v string) { _ = os.Setenv(k, v) }

	// The AWS SDK: local endpoints, a region, and credentials it can sign
	// with (dynalite and the runner accept any).
	force("AWS_ENDPOINT_URL_DYNAMODB", s.DynamoDBEndpoint)
	force("AWS_ENDPOINT_URL_SFN", s.SFNEndpoint)
	force("AWS_REGION", Region)
	set("AWS_ACCESS_KEY_ID", "local")
	set("AWS_SECRET_ACCESS_KEY", "local")
	force("AWS_EC2_METADATA_DISABLED", "true")

	force("TABLE_NAME", s.TableName)
	force("STATE_MACHINE_ARN", s.StateMachineARN)
	set("RELAY_PUBLIC_URL", s.URL)
	set("RELAY_TIME_SCALE", strconv.FormatFloat(scale, 'g', -1, 64))
	// Locally the secrets are values, not SSM parameter names, and the
	// sealing key is a local AES key instead of KMS.
	for _, k := range []string{"KMS_KEY_ID", "KMS_MAC_KEY_ID"} {
		_ = os.Unsetenv(k)
	}
	secret("RELAY_LOCAL_KEY", randomB64(32))
	secret("FORM_CSRF_KEY", randomB64(32))
	secret("CALLBACK_SIGNING_SECRET", randomB64(32))
	secret("RELAY_API_KEY", "local-"+randomHex(12))
	s.RelayAPIKey = os.Getenv("RELAY_API_KEY")

	for _, api := range s.Simulated {
		force(envPrefix(api)+"_BASE_URL", s.SimulatorURL)
		force(envPrefix(api)+"_API_KEY", providersim.DefaultAPIKey)
	}
	// Webhook secrets for Twilio, Mailgun and the generic endpoints, so
	// those routes are live locally. The other sources (Vonage, Telnyx,
	// SendGrid) answer 404, as a source without its secret does, until the
	// operator sets theirs.
	for _, k := range []string{"TWILIO_AUTH_TOKEN", "SMS_WEBHOOK_SECRET", "EMAIL_WEBHOOK_SECRET", "MAILGUN_SIGNING_KEY"} {
		secret(k, "local-"+randomHex(16))
	}
	// The template's plain settings (SES_TOPIC_ARN, SENDGRID_WEBHOOK_USER...) as it resolves
	// them, where nothing above decided.
	for _, f := range tpl.Functions {
		env, err := tpl.Environment(f, &samtemplate.Resolver{Region: Region, AccountID: Account})
		if err != nil {
			return fmt.Errorf("function %s environment: %w", f.LogicalID, err)
		}
		for k, v := range env {
			if strings.HasSuffix(k, "_PARAM") || strings.HasPrefix(k, "KMS_") || strings.HasSuffix(k, "_BASE_URL") {
				continue // SSM names, KMS keys and real API URLs mean nothing locally
			}
			if k == "TABLE_NAME" || k == "STATE_MACHINE_ARN" || k == "RELAY_PUBLIC_URL" {
				continue
			}
			set(k, v)
		}
	}
	return nil
}

// wireFunctions builds every template function with the same constructor
// its Lambda main uses, serves the HTTP ones on their routes and registers
// the others with the runner.
func (s *Stack) wireFunctions(ctx context.Context, tpl *samtemplate.Template, fns *asl.Functions, mux *http.ServeMux) error {
	httpHandlers := map[string]apigw.Handler{}
	s.fns, s.tasks = fns, map[string]asl.Handler{}
	for _, f := range tpl.Functions {
		h, err := app.Build(ctx, f.Name)
		if err != nil {
			return fmt.Errorf("function %s: %w", f.Name, err)
		}
		if hh, ok := h.(apigw.Handler); ok {
			httpHandlers[f.LogicalID] = hh
			continue
		}
		// aws-lambda-go reuses one response buffer per handler, since a
		// Lambda instance runs one invocation at a time. The runner invokes
		// concurrently, so each invocation gets a handler of its own, as if
		// from its own instance.
		task := func(ctx context.Context, payload []byte) ([]byte, error) {
			return lambda.NewHandler(h).Invoke(ctx, payload)
		}
		s.tasks[f.LogicalID] = task
		fns.Register(functionARN(f.LogicalID), task)
	}
	for _, rt := range tpl.Routes {
		h, ok := httpHandlers[rt.Function]
		if !ok {
			return fmt.Errorf("route %s: function %s is not an HTTP function", rt.Key(), rt.Function)
		}
		pattern := rt.Method + " " + rt.Path
		if rt.Method == "ANY" {
			pattern = rt.Path
		}
		route := rt
		var handler http.Handler = apigw.HTTPHandler(route.Key(), func(r *http.Request) map[string]string {
			params, _ := route.Match(r.Method, r.URL.Path)
			return params
		}, h)
		if route.Key() == registrationRoute && s.Simulator != nil {
			handler = &simulatedLogins{stack: s, next: handler, answered: map[string]bool{}}
		}
		mux.Handle(pattern, handler)
	}
	return nil
}

// Close stops everything Start started, newest first.
func (s *Stack) Close(ctx context.Context) error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := s.closers[i](c); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			errs = append(errs, err)
		}
		cancel()
	}
	s.closers = nil
	return errors.Join(errs...)
}

func waitHealthy(ctx context.Context, url string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("answered %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gateway did not become healthy: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func randomB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}
