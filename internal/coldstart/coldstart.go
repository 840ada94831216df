// Package coldstart times a Lambda's init the way Lambda sees it: it starts
// the function's real bootstrap binary against a local Lambda Runtime API
// (the documented /2018-06-01 protocol) and measures from the process start
// to the runtime's first GET /runtime/invocation/next, which is where init
// ends and Lambda would hand over the first event.
//
// The same loopback server answers the AWS calls init makes (the SDK's
// AWS_ENDPOINT_URL points at it): SSM GetParameter with a valid secret, so
// the measurement includes every round trip init pays for, and counts them.
// Any other AWS call during init is answered with an error and reported:
// init should read its secrets and nothing else.
package coldstart

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"
)

// runtimeAPI is the Runtime API's version prefix.
const runtimeAPI = "/2018-06-01/runtime"

// secretValue is what every SSM parameter holds here: base64 of 32 bytes,
// valid for every secret the relay reads (keys of at least 32 bytes, API
// keys of at least 16 characters).
var secretValue = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, 32))

// Result is one cold start.
type Result struct {
	// Init is the time from the process start to the first request for an
	// invocation.
	Init time.Duration
	// Calls counts the AWS API calls made during init, by X-Amz-Target
	// ("AmazonSSM.GetParameter").
	Calls map[string]int
	// Parameters are the SSM parameter names read, sorted.
	Parameters []string
}

// server is the Runtime API and the AWS endpoint of one run.
type server struct {
	mu      sync.Mutex
	calls   map[string]int
	params  []string
	next    chan struct{}
	once    sync.Once
	initErr chan string
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == runtimeAPI+"/invocation/next":
		s.once.Do(func() { close(s.next) })
		// Lambda holds the request until an event comes; none will, and the
		// process is stopped once the time is taken.
		<-r.Context().Done()
	case r.Method == http.MethodPost && r.URL.Path == runtimeAPI+"/init/error":
		b, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		select {
		case s.initErr <- string(b):
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	case r.Header.Get("X-Amz-Target") != "":
		s.aws(w, r)
	default:
		http.NotFound(w, r)
	}
}

// aws answers the AWS JSON protocol: SSM GetParameter with the secret,
// anything else with an error naming the operation.
func (s *server) aws(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	s.mu.Lock()
	s.calls[target]++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if target != "AmazonSSM.GetParameter" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"UnexpectedInitCall","message":"%s is not expected during init"}`, target)
		return
	}
	var in struct{ Name string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"ValidationException","message":"no Name"}`)
		return
	}
	s.mu.Lock()
	s.params = append(s.params, in.Name)
	s.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{
		"Name": in.Name, "Type": "SecureString", "Value": secretValue, "Version": 1,
	}})
}

// Measure starts bin with env (the function's own variables; the Runtime
// API and AWS endpoint variables are added) and times its init. It fails
// if the process reports an init error, exits, or has not asked for an
// invocation within timeout.
func Measure(ctx context.Context, bin string, env []string, timeout time.Duration) (Result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Result{}, err
	}
	s := &server{calls: map[string]int{}, next: make(chan struct{}), initErr: make(chan string, 1)}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	addr := ln.Addr().String()
	cmd := exec.Command(bin)
	cmd.Env = append(append([]string(nil), env...),
		"AWS_LAMBDA_RUNTIME_API="+addr,
		"AWS_ENDPOINT_URL=http://"+addr,
		"AWS_EC2_METADATA_DISABLED=true",
	)
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	exited := make(chan error, 1)

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Result{}, err
	}
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-s.next:
		init := time.Since(start)
		stop()
		s.mu.Lock()
		defer s.mu.Unlock()
		params := append([]string(nil), s.params...)
		sort.Strings(params)
		res := Result{Init: init, Calls: s.calls, Parameters: params}
		var unexpected []string
		for target := range s.calls {
			if target != "AmazonSSM.GetParameter" {
				unexpected = append(unexpected, target)
			}
		}
		if len(unexpected) > 0 {
			sort.Strings(unexpected)
			return res, fmt.Errorf("init called %s", strings.Join(unexpected, ", "))
		}
		return res, nil
	case body := <-s.initErr:
		stop()
		return Result{}, fmt.Errorf("init error: %s", body)
	case err := <-exited:
		return Result{}, fmt.Errorf("exited before asking for an invocation (%v): %s", err, tail(stderr.String()))
	case <-timer.C:
		stop()
		return Result{}, fmt.Errorf("no request for an invocation within %v: %s", timeout, tail(stderr.String()))
	case <-ctx.Done():
		stop()
		return Result{}, ctx.Err()
	}
}

func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	if s == "" {
		return "(no output)"
	}
	return s
}

// Median is the median of the runs' init times.
func Median(runs []Result) (time.Duration, error) {
	if len(runs) == 0 {
		return 0, errors.New("coldstart: no runs")
	}
	d := make([]time.Duration, len(runs))
	for i, r := range runs {
		d[i] = r.Init
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2], nil
}
