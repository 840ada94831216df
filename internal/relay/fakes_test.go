package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/dynalitetest"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
	"github.com/checkpoint-relay/checkpoint-relay/internal/secretbox"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
	"github.com/checkpoint-relay/checkpoint-relay/internal/workflow"
)

// fakeWorkflow records the Step Functions calls. Tokens listed in gone
// answer ErrTaskGone, as a timed-out task does.
type fakeWorkflow struct {
	mu        sync.Mutex
	started   map[string]any // execution name -> input
	starts    int
	succeeded map[string][]TaskResult
	failed    map[string]string
	stopped   []string
	gone      map[string]bool
	// broken makes every Succeed fail as an unavailable service does.
	broken bool
	// onSucceed, when set, is what the execution does once a Succeed
	// resumed it (run in its own goroutine, as an execution would).
	onSucceed func(token string, r TaskResult)
}

func newFakeWorkflow() *fakeWorkflow {
	return &fakeWorkflow{started: map[string]any{}, succeeded: map[string][]TaskResult{}, failed: map[string]string{}, gone: map[string]bool{}}
}

func (f *fakeWorkflow) Start(_ context.Context, name string, input any) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts++
	if _, ok := f.started[name]; !ok {
		f.started[name] = input
	}
	return workflow.ExecutionARN("arn:aws:states:us-east-1:1:stateMachine:checkpoint", name), nil
}

func (f *fakeWorkflow) Succeed(_ context.Context, token string, output any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gone[token] {
		return fmt.Errorf("fake: %w", workflow.ErrTaskGone)
	}
	if f.broken {
		return errors.New("fake: service unavailable")
	}
	f.succeeded[token] = append(f.succeeded[token], output.(TaskResult))
	f.gone[token] = true // a token resumes its task once
	if f.onSucceed != nil {
		go f.onSucceed(token, output.(TaskResult))
	}
	return nil
}

func (f *fakeWorkflow) Fail(_ context.Context, token, name, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed[token] = name
	return nil
}

func (f *fakeWorkflow) Stop(_ context.Context, arn, _, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = append(f.stopped, arn)
	return nil
}

func (f *fakeWorkflow) sent(token string) []TaskResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]TaskResult(nil), f.succeeded[token]...)
}

// fakeProvider answers Solve from a script keyed by code ("" for a poll),
// else with def; it records every call and the highest number of calls
// in flight at once.
type fakeProvider struct {
	api checkpoint.API

	mu       sync.Mutex
	answers  map[string]providerapi.Result
	def      providerapi.Result
	codes    []string
	resends  int
	inFlight int
	maxIn    int
	hold     time.Duration
	// gate, when set, holds every Solve until it is closed: a provider
	// that has the code and has not answered yet.
	gate chan struct{}
	// resendAnswer, when set, answers Resend instead of resent.
	resendAnswer *providerapi.Result
}

func newFakeProvider(api checkpoint.API, def checkpoint.Outcome) *fakeProvider {
	return &fakeProvider{api: api, answers: map[string]providerapi.Result{}, def: providerapi.Result{Outcome: def}}
}

func (p *fakeProvider) API() checkpoint.API { return p.api }

func (p *fakeProvider) answer(code string, o checkpoint.Outcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answers[code] = providerapi.Result{Outcome: o}
}

// answerFor sets the answer to code for one account only.
func (p *fakeProvider) answerFor(account, code string, o checkpoint.Outcome) {
	p.answer(account+"/"+code, o)
}

func (p *fakeProvider) Solve(_ context.Context, req providerapi.SolveRequest) (providerapi.Result, error) {
	p.mu.Lock()
	p.codes = append(p.codes, req.Code)
	p.inFlight++
	p.maxIn = max(p.maxIn, p.inFlight)
	res, ok := p.answers[req.AccountID+"/"+req.Code]
	if !ok {
		res, ok = p.answers[req.Code]
	}
	if !ok {
		res = p.def
	}
	hold, gate := p.hold, p.gate
	p.mu.Unlock()
	if gate != nil {
		<-gate
	}
	// hold widens the window in which a second solve could overlap; the
	// assertion is on maxIn, never on time.
	time.Sleep(hold)
	p.mu.Lock()
	p.inFlight--
	p.mu.Unlock()
	return res, nil
}

func (p *fakeProvider) Resend(context.Context, providerapi.ResendRequest) (providerapi.Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.api != checkpoint.APIPostpress {
		return providerapi.Result{}, providerapi.ErrUnsupported
	}
	p.resends++
	if p.resendAnswer != nil {
		return *p.resendAnswer, nil
	}
	return providerapi.Result{Outcome: checkpoint.Resent}, nil
}

// holdSolves makes Solve wait until the returned func is called.
func (p *fakeProvider) holdSolves() (release func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gate = make(chan struct{})
	var once sync.Once
	gate := p.gate
	return func() { once.Do(func() { close(gate) }) }
}

func (p *fakeProvider) calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.codes...)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	svc              *Service
	store            *store.Store
	wf               *fakeWorkflow
	sealer           *secretbox.Local
	clock            *clock
	postpress, edges *fakeProvider
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	sealer, err := secretbox.NewLocal(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		store: dynalitetest.Store(t), wf: newFakeWorkflow(), sealer: sealer,
		clock:     &clock{t: time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)},
		postpress: newFakeProvider(checkpoint.APIPostpress, checkpoint.InvalidCode),
		edges:     newFakeProvider(checkpoint.APIEdges, checkpoint.Pending),
	}
	h.svc, err = New(Deps{
		Store: h.store, Workflow: h.wf, Sealer: sealer, PublicURL: "https://relay.example/",
		Providers:      map[checkpoint.API]providerapi.Client{checkpoint.APIPostpress: h.postpress, checkpoint.APIEdges: h.edges},
		CallbackSecret: []byte("callback-secret"), AllowLoopbackCallbacks: true, Now: h.clock.Now,
		Log:      slog.New(slog.DiscardHandler),
		FormWait: 10 * time.Second, FormPoll: 2 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// register registers a postpress 2FA checkpoint for phone and email
// unless req says otherwise.
func (h *harness) register(t *testing.T, req RegisterRequest) Registration {
	t.Helper()
	if req.API == "" {
		req.API = checkpoint.APIPostpress
	}
	if req.AccountID == "" {
		req.AccountID = "acc_1"
	}
	if req.Provider == "" {
		req.Provider = checkpoint.ProviderLinkedIn
	}
	if req.Type == "" {
		req.Type = checkpoint.Type2FA
	}
	r, err := h.svc.Register(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (h *harness) item(t *testing.T, id string) *store.Checkpoint {
	t.Helper()
	cp, err := h.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

var nextEmail = providerapi.Result{
	Outcome:        checkpoint.NextCheckpoint,
	NextCheckpoint: &providerapi.NextCheckpoint{Type: checkpoint.TypeInAppValidation},
}

func sms(msgID, code string, to ...string) Delivery {
	if len(to) == 0 {
		to = []string{"+33612345678"}
	}
	// A LinkedIn SMS ("Your LinkedIn verification code is …"), as the
	// extractor reads it: attribution takes it for a LinkedIn checkpoint.
	return Delivery{Channel: checkpoint.ChannelSMS, Source: "twilio", MessageID: msgID, Recipients: to, Code: code,
		Service: "LINKEDIN", Sender: "+14155550100"}
}

func hasEvent(cp *store.Checkpoint, kind store.EventKind) bool {
	for _, e := range cp.Events {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

// execute plays the state machine's part for checkpoint id in code or
// poll mode: a wait (await-code), and, once a code (or the form) ends it,
// a solve of the given mode, then the next wait, until the solve's outcome
// ends the checkpoint. Every solve's result goes to results.
func (h *harness) execute(t *testing.T, id string, mode SolveMode) <-chan TaskResult {
	t.Helper()
	results := make(chan TaskResult, 16)
	var mu sync.Mutex
	n := 0
	wait := func() {
		mu.Lock()
		n++
		tok := fmt.Sprintf("tok-%s-%d", id, n)
		mu.Unlock()
		if err := h.svc.AwaitCode(context.Background(), AwaitCodeInput{CheckpointID: id, TaskToken: tok}); err != nil {
			t.Error(err)
		}
	}
	h.wf.mu.Lock()
	h.wf.onSucceed = func(string, TaskResult) {
		r, err := h.svc.Solve(context.Background(), SolveInput{CheckpointID: id, Mode: mode})
		if err != nil {
			t.Errorf("solve: %v", err)
			return
		}
		results <- r
		switch r.Outcome {
		case checkpoint.Connected, checkpoint.Restart, checkpoint.Rejected, OutcomeAmbiguous:
			return
		}
		wait()
	}
	h.wf.mu.Unlock()
	wait()
	return results
}
