package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/asl"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providersim"
)

// result is what happened to one checkpoint of the load.
type result struct {
	id string
	// problems met while driving it (a refused request, a timeout...).
	problems []string

	regStart   time.Time
	regLatency time.Duration
	webhooks   []webhookCall

	// From the runner (in-process only). codeWait is one wait for a code
	// as the runner times it: the execution input's code_wait_seconds,
	// scaled.
	execFound   bool
	execStart   time.Time
	codeWait    time.Duration
	execStatus  asl.Status
	execError   string
	transitions int64
	// endedAt is when the execution stopped (the runner's stop date), or,
	// against a remote relay, when the status was first seen final.
	endedAt time.Time

	// From GET /v1/checkpoints/{id} once the execution ended; history is
	// its events, one line, for the report's examples.
	status  string
	reason  string
	history string
}

func (r *result) problem(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// webhookCall is one code delivered by webhook.
type webhookCall struct {
	source string // twilio, sms-generic, email-generic
	// right: the call carried the right code (the one that connects).
	right      bool
	sent       time.Time
	latency    time.Duration
	httpStatus int
	// delivery is the relay's word for the message ("accepted", "duplicate"...);
	// Twilio is answered TwiML, which says nothing, so it stays empty.
	delivery string
	err      string
}

// driver sends the load. Two semaphores bound it: every request takes a
// slot of all; setup (simulator programming and registration) also takes a
// slot of setup, which holds half of them. Without that split the 1,000
// registrations queued at the start would hold back the webhooks of the
// checkpoints already registered until after their code wait timed out,
// and the report would show resends the relay did not cause.
type driver struct {
	t         *target
	o         options
	client    *http.Client
	all       chan struct{}
	setup     chan struct{}
	callbacks *callbackSink
}

func newDriver(t *target, o options) (*driver, error) {
	cb, err := newCallbackSink(t.callbackSecret)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Keep a connection per request in flight: the default of 2 idle
	// connections per host would open (and leave in TIME_WAIT) a new
	// connection for nearly every request at this concurrency.
	tr.MaxIdleConns = 2 * o.concurrency
	tr.MaxIdleConnsPerHost = o.concurrency
	return &driver{
		t: t, o: o,
		client:    &http.Client{Transport: tr, Timeout: 60 * time.Second},
		all:       make(chan struct{}, o.concurrency),
		setup:     make(chan struct{}, o.concurrency/2),
		callbacks: cb,
	}, nil
}

func (d *driver) close() {
	d.callbacks.close()
	d.client.CloseIdleConnections()
}

// drive runs every plan at once and returns their results, in plan order.
// It returns when all are done or ctx (bounded by --timeout) ends.
func (d *driver) drive(ctx context.Context, plans []plan) []result {
	ctx, cancel := context.WithTimeout(ctx, d.o.timeout)
	defer cancel()
	results := make([]result, len(plans))
	var wg sync.WaitGroup
	for i := range plans {
		wg.Go(func() { results[i] = d.one(ctx, plans[i]) })
	}
	wg.Wait()
	return results
}

// one drives a checkpoint from programming its simulated account to its
// end.
func (d *driver) one(ctx context.Context, p plan) result {
	var r result
	if err := d.program(ctx, p); err != nil {
		r.problem("program the simulator: %v", err)
		return r
	}
	if err := d.register(ctx, p, &r); err != nil {
		r.problem("register: %v", err)
		return r
	}
	switch p.path {
	case pathSMS:
		r.webhooks = append(r.webhooks, d.twilio(ctx, p, p.code, true))
	case pathEmail:
		r.webhooks = append(r.webhooks, d.emailGeneric(ctx, p, p.code, true))
	case pathWrongThenRight:
		// The wrong code comes from a stranger, the right one from
		// LinkedIn: a sender whose code was wrong is not trusted again for
		// the checkpoint before its next code request.
		r.webhooks = append(r.webhooks, d.smsGeneric(ctx, p, strangerSender, p.wrongCode, false))
		r.webhooks = append(r.webhooks, d.smsGeneric(ctx, p, linkedInSender, p.code, true))
	case pathResend:
		if err := d.awaitResend(ctx, p); err != nil {
			r.problem("no resend seen: %v", err)
			break
		}
		r.webhooks = append(r.webhooks, d.twilio(ctx, p, p.code, true))
	case pathInApp, pathTOTP:
		// The state machine solves these by itself.
	}
	d.awaitEnd(ctx, &r)
	d.readStatus(ctx, &r)
	return r
}

// program gives the checkpoint's account its own right code (or TOTP
// secret, or approval poll) in the simulator.
func (d *driver) program(ctx context.Context, p plan) error {
	acc := providersim.Account{API: p.api, AccountID: p.accountID, Code: p.code, ApproveAfterPolls: p.approveAfter,
		SolveDelayMS: int(d.o.solveDelay / time.Millisecond)}
	if p.totpSecret != "" {
		acc.Code, acc.TOTPSecret = "", p.totpSecret
	}
	status, body, _, err := d.sendJSON(ctx, true, http.MethodPost, d.t.simURL+"/_sim/accounts", acc, nil)
	if err != nil {
		return err
	}
	if status != http.StatusCreated {
		return fmt.Errorf("%d %s", status, snippet(body))
	}
	return nil
}

type registerBody struct {
	API         string `json:"api"`
	AccountID   string `json:"account_id"`
	Provider    string `json:"provider"`
	Type        string `json:"type"`
	Phone       string `json:"phone,omitempty"`
	Email       string `json:"email,omitempty"`
	TOTPSecret  string `json:"totp_secret,omitempty"`
	CallbackURL string `json:"callback_url"`
	// AcceptAnySender is set for the email path: its parsed mails carry no
	// DKIM signature or receiving-service verdict (the local stack resolves
	// no DKIM keys), so without it attribution rightly refuses them.
	AcceptAnySender bool `json:"accept_any_sender,omitempty"`
}

func (d *driver) register(ctx context.Context, p plan, r *result) error {
	req := registerBody{
		API: string(p.api), AccountID: p.accountID, Provider: string(p.provider), Type: string(p.typ),
		Phone: p.phone, Email: p.email, TOTPSecret: p.totpSecret, CallbackURL: d.callbacks.url,
		AcceptAnySender: p.path == pathEmail,
	}
	hdr := http.Header{"Authorization": {"Bearer " + d.t.apiKey}}
	status, body, rt, err := d.sendJSON(ctx, true, http.MethodPost, d.t.url+"/v1/checkpoints", req, hdr)
	r.regStart, r.regLatency = rt.start, rt.latency
	if err != nil {
		return err
	}
	if status != http.StatusCreated {
		return fmt.Errorf("%d %s", status, snippet(body))
	}
	var reg struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &reg); err != nil || reg.ID == "" {
		return fmt.Errorf("answer without an id: %s", snippet(body))
	}
	r.id = reg.ID
	return nil
}

// awaitResend waits until the simulator saw the relay's resend call: the
// code "arrives" only after the relay asked for it again.
func (d *driver) awaitResend(ctx context.Context, p plan) error {
	url := fmt.Sprintf("%s/_sim/accounts/%s/%s", d.t.simURL, p.api, p.accountID)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		status, body, _, err := d.send(ctx, false, http.MethodGet, url, nil, nil)
		if err != nil {
			return err
		}
		var st providersim.Stats
		if status == http.StatusOK && json.Unmarshal(body, &st) == nil && st.ResendCalls > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// awaitEnd waits for the checkpoint's execution to stop: on the runner
// itself in process, else by reading the status until it is final.
func (d *driver) awaitEnd(ctx context.Context, r *result) {
	if d.t.runner != nil {
		desc, err := d.t.runner.Wait(ctx, d.t.executionARN(r.id))
		if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			r.problem("execution: %v", err)
			return
		}
		r.execFound = true
		r.execStatus, r.execError, r.transitions = desc.Status, desc.Error, desc.Transitions
		r.execStart = desc.StartDate
		var in struct {
			CodeWaitSeconds float64 `json:"code_wait_seconds"`
		}
		if json.Unmarshal([]byte(desc.Input), &in) == nil {
			r.codeWait = time.Duration(in.CodeWaitSeconds * d.o.timeScale * float64(time.Second))
		}
		if desc.Status != asl.StatusRunning {
			r.endedAt = desc.StopDate
		}
		return
	}
	// Against a remote relay: read the status every second, so that
	// waiting costs the relay far less than the load itself.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		d.readStatus(ctx, r)
		if r.status != "" && r.status != "pending" {
			r.endedAt = time.Now()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// readStatus reads GET /v1/checkpoints/{id}. It still runs when the
// driving deadline passed, so the report says where a late checkpoint
// stood.
func (d *driver) readStatus(ctx context.Context, r *result) {
	ctx = context.WithoutCancel(ctx)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	hdr := http.Header{"Authorization": {"Bearer " + d.t.apiKey}}
	status, body, _, err := d.send(ctx, false, http.MethodGet, d.t.url+"/v1/checkpoints/"+r.id, nil, hdr)
	if err != nil || status != http.StatusOK {
		r.problem("status: %d %v %s", status, err, snippet(body))
		return
	}
	var v struct {
		Status string       `json:"status"`
		Reason string       `json:"reason"`
		Events []eventEntry `json:"events"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		r.problem("status: %v", err)
		return
	}
	r.status, r.reason, r.history = v.Status, v.Reason, historyLine(v.Events)
}

// eventEntry is one line of a checkpoint's history (store.Event).
type eventEntry struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	Channel string    `json:"channel"`
	Outcome string    `json:"outcome"`
	Detail  string    `json:"detail"`
}

// historyLine writes the events as "+ms kind(channel outcome detail)", so
// an example in the report shows what happened when.
func historyLine(events []eventEntry) string {
	var parts []string
	for _, e := range events {
		var what []string
		for _, f := range []string{e.Channel, e.Outcome, e.Detail} {
			if f != "" {
				what = append(what, f)
			}
		}
		part := fmt.Sprintf("+%dms %s", e.At.Sub(events[0].At).Milliseconds(), e.Kind)
		if len(what) > 0 {
			part += "(" + strings.Join(what, " ") + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", ")
}

// roundTrip is when a request was sent and how long its answer took,
// queueing in the driver's semaphores left out.
type roundTrip struct {
	start   time.Time
	latency time.Duration
}

func (d *driver) sendJSON(ctx context.Context, setup bool, method, url string, v any, hdr http.Header) (int, []byte, roundTrip, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return 0, nil, roundTrip{}, err
	}
	if hdr == nil {
		hdr = http.Header{}
	}
	hdr.Set("Content-Type", "application/json")
	return d.send(ctx, setup, method, url, body, hdr)
}

// send makes one request within the concurrency bound and reads the whole
// answer (at most 1 MiB: every answer of the relay is small).
func (d *driver) send(ctx context.Context, setup bool, method, url string, body []byte, hdr http.Header) (int, []byte, roundTrip, error) {
	release, err := d.acquire(ctx, setup)
	if err != nil {
		return 0, nil, roundTrip{}, err
	}
	defer release()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, roundTrip{}, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	rt := roundTrip{start: time.Now()}
	resp, err := d.client.Do(req)
	if err != nil {
		rt.latency = time.Since(rt.start)
		return 0, nil, rt, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	rt.latency = time.Since(rt.start)
	return resp.StatusCode, data, rt, err
}

func (d *driver) acquire(ctx context.Context, setup bool) (func(), error) {
	if setup {
		select {
		case d.setup <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	select {
	case d.all <- struct{}{}:
	case <-ctx.Done():
		if setup {
			<-d.setup
		}
		return nil, ctx.Err()
	}
	return func() {
		<-d.all
		if setup {
			<-d.setup
		}
	}, nil
}

// snippet is the start of an answer, for a problem line.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
