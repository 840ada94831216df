package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/asl"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providersim"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
)

// report is everything the run measured. Durations are milliseconds.
type report struct {
	Mode         string  `json:"mode"` // in-process or remote
	URL          string  `json:"url"`
	Checkpoints  int     `json:"checkpoints"`
	Concurrency  int     `json:"concurrency"`
	TimeScale    float64 `json:"time_scale,omitempty"`
	StackReadyMS float64 `json:"stack_ready_ms,omitempty"`
	WallMS       float64 `json:"wall_ms"`

	Registration   latency      `json:"registration"`
	WebhookToSolve []latencyRow `json:"webhook_to_solve"`
	ExecutionEnd   []latencyRow `json:"execution_end"`
	Paths          []pathReport `json:"paths"`
	// Executions counts every execution of the state machine by status,
	// and TotalTransitions is the runner's own count (in-process only).
	Executions       map[string]int `json:"executions,omitempty"`
	TotalTransitions int64          `json:"total_transitions,omitempty"`
	// Deliveries counts the generic webhooks' answers by source and status.
	Deliveries map[string]int `json:"deliveries"`

	// The probes' round trips during the load (see probes) and the CPU
	// each process used meanwhile.
	HealthProbe   latency            `json:"health_probe"`
	DynamoDBProbe latency            `json:"dynamodb_probe"`
	ProbeErrors   int                `json:"probe_errors,omitempty"`
	CPUSeconds    map[string]float64 `json:"cpu_seconds,omitempty"`
	// LoadAverage is the machine's at the start and the end of the load.
	LoadAverage [2]string `json:"load_average"`

	Lost      lostReport `json:"lost"`
	Anomalies []string   `json:"anomalies"`
	// Warnings are the relay's own warning and error lines, by kind.
	Warnings []logLine `json:"warnings"`
}

type latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

type latencyRow struct {
	Label string `json:"label"`
	latency
}

type meanMax struct {
	Mean float64 `json:"mean"`
	Max  int     `json:"max"`
}

type pathReport struct {
	Path      string         `json:"path"`
	N         int            `json:"n"`
	Connected int            `json:"connected"`
	Statuses  map[string]int `json:"statuses"`
	// Transitions per execution (in-process only).
	Transitions *meanMax `json:"transitions,omitempty"`
	// Provider calls per checkpoint, from the simulator's counts.
	SolveCalls  meanMax `json:"solve_calls"`
	ResendCalls meanMax `json:"resend_calls"`
	Polls       meanMax `json:"polls"`
	WrongCodes  meanMax `json:"wrong_codes"`
	Callbacks   int     `json:"callbacks"`
}

type lostReport struct {
	// Total is the lost checkpoints plus the webhooks answered non-2xx.
	Total int `json:"total"`
	// Checkpoints that did not end as expected, for any of the reasons
	// below (one checkpoint may have several).
	Checkpoints        int            `json:"checkpoints"`
	RegistrationFailed int            `json:"registration_failed"`
	NotConnected       map[string]int `json:"not_connected"` // "status (reason)" → count
	// Causes sorts the checkpoints that did not end connected by what the
	// load saw of them (in-process only): see lossCause.
	Causes         map[string]int `json:"causes,omitempty"`
	Executions     map[string]int `json:"executions_not_ok"` // RUNNING, FAILED, ... → count
	WebhooksNon2xx map[string]int `json:"webhooks_non_2xx"`  // source → count
	// ProviderConnected: the simulator connected the account, the relay
	// ended the checkpoint otherwise (the app is told to restart a login
	// that worked).
	ProviderConnected int      `json:"provider_connected_relay_not"`
	CallbacksMissing  int      `json:"callbacks_missing"`  // ended, but no callback came
	CallbacksRefused  int      `json:"callbacks_refused"`  // bad signature or body
	DriverProblems    int      `json:"driver_problems"`    // timeouts, unreadable answers
	Examples          []string `json:"examples,omitempty"` // the first few, with their ids
}

const maxExamples = 12

func buildReport(ctx context.Context, o options, t *target, d *driver, plans []plan, results []result, wall time.Duration, logs *logCounter) report {
	rep := report{
		Mode: "in-process", URL: t.url, Checkpoints: len(plans), Concurrency: o.concurrency,
		TimeScale: o.timeScale, StackReadyMS: ms(t.ready), WallMS: ms(wall),
		Deliveries: map[string]int{},
		Lost: lostReport{
			NotConnected: map[string]int{}, Causes: map[string]int{},
			Executions: map[string]int{}, WebhooksNon2xx: map[string]int{},
		},
		Anomalies: []string{},
	}
	if t.stack == nil {
		rep.Mode, rep.TimeScale = "remote", 0
	}
	stats, err := simulatorStats(ctx, d)
	if err != nil {
		rep.Anomalies = append(rep.Anomalies, "simulator counts unavailable: "+err.Error())
	}

	ty := newTally(&rep, t.runner != nil, d.callbacks, stats)
	for i := range results {
		ty.add(plans[i], results[i])
	}
	ty.finish()

	rep.Lost.CallbacksRefused = d.callbacks.refused()
	rep.Lost.Total = rep.Lost.Checkpoints + rep.Lost.CallbacksRefused
	for _, n := range rep.Lost.WebhooksNon2xx {
		rep.Lost.Total += n
	}
	if t.runner != nil {
		rep.TotalTransitions = t.runner.Transitions()
		rep.Executions = map[string]int{}
		if execs, err := t.runner.ListExecutions(t.stack.StateMachineARN, ""); err == nil {
			for _, e := range execs {
				rep.Executions[string(e.Status)]++
			}
		}
	}
	rep.Warnings = logs.lines()
	return rep
}

// tally adds the checkpoints' results up into a report.
type tally struct {
	rep       *report
	inProcess bool
	callbacks *callbackSink
	stats     map[string]providersim.Stats

	regs       []time.Duration
	hooks      map[string][]time.Duration // by webhook source
	ends       map[path][]time.Duration
	per        map[path]*pathCounts
	rows       map[path]*pathReport
	unexpected map[string]int
}

// pathCounts are one path's per-checkpoint figures, for mean and max.
type pathCounts struct {
	transitions, solves, resends, polls, wrong []int
}

func newTally(rep *report, inProcess bool, callbacks *callbackSink, stats map[string]providersim.Stats) *tally {
	ty := &tally{
		rep: rep, inProcess: inProcess, callbacks: callbacks, stats: stats,
		hooks: map[string][]time.Duration{}, ends: map[path][]time.Duration{},
		per: map[path]*pathCounts{}, rows: map[path]*pathReport{}, unexpected: map[string]int{},
	}
	for _, p := range paths {
		ty.per[p] = &pathCounts{}
		ty.rows[p] = &pathReport{Path: string(p), Statuses: map[string]int{}}
	}
	return ty
}

// add counts one checkpoint; whatever makes it lost is listed, and the
// first few lost ones become the report's examples.
func (ty *tally) add(p plan, r result) {
	ty.rows[p.path].N++
	var lost []string
	if r.id == "" {
		ty.rep.Lost.RegistrationFailed++
		lost = append(lost, "not registered")
	} else {
		ty.regs = append(ty.regs, r.regLatency)
	}
	lost = append(lost, ty.addWebhooks(p, r)...)
	if len(r.problems) > 0 {
		ty.rep.Lost.DriverProblems++
		lost = append(lost, r.problems...)
	}
	if r.id != "" {
		lost = append(lost, ty.addEnd(p, r)...)
	}
	lost = append(lost, ty.addProviderCalls(p, r)...)
	if len(lost) == 0 {
		return
	}
	ty.rep.Lost.Checkpoints++
	if len(ty.rep.Lost.Examples) < maxExamples {
		id := r.id
		if id == "" {
			id = p.accountID
		}
		ex := fmt.Sprintf("%s %s %s %s: %s", id, p.path, p.api, p.typ, strings.Join(lost, "; "))
		if r.history != "" {
			ex += "\n       history: " + r.history
		}
		ty.rep.Lost.Examples = append(ty.rep.Lost.Examples, ex)
	}
}

func (ty *tally) addWebhooks(p plan, r result) (lost []string) {
	for _, w := range r.webhooks {
		label := w.source
		if !w.right {
			label += " (wrong code)"
		}
		if w.httpStatus < 200 || w.httpStatus > 299 {
			ty.rep.Lost.WebhooksNon2xx[w.source]++
			lost = append(lost, w.source+": "+w.err)
		}
		if w.httpStatus == 0 {
			continue // no answer, no latency
		}
		ty.hooks[label] = append(ty.hooks[label], w.latency)
		if w.delivery != "" {
			ty.rep.Deliveries[w.source+" "+w.delivery]++
			if w.delivery != string(relay.DeliveryAccepted) {
				ty.unexpected[fmt.Sprintf("%s: %s answered %q", p.path, label, w.delivery)]++
			}
		}
	}
	return lost
}

// addEnd counts how a registered checkpoint ended: its status, its
// execution, its callback.
func (ty *tally) addEnd(p plan, r result) (lost []string) {
	row := ty.rows[p.path]
	row.Statuses[r.status]++
	if r.status == "connected" {
		row.Connected++
	} else {
		key := r.status
		if r.reason != "" {
			key += " (" + r.reason + ")"
		}
		ty.rep.Lost.NotConnected[key]++
		lost = append(lost, "status "+key)
		if ty.inProcess {
			st, ok := ty.stats[p.accountID]
			ty.rep.Lost.Causes[lossCause(r, ok && st.State == providersim.StateConnected)]++
		}
	}
	if ty.inProcess {
		switch {
		case !r.execFound:
			ty.rep.Lost.Executions["not found"]++
			lost = append(lost, "execution not found")
		case r.execStatus != asl.StatusSucceeded:
			ty.rep.Lost.Executions[string(r.execStatus)]++
			lost = append(lost, "execution "+string(r.execStatus)+" "+r.execError)
		}
		if r.execFound {
			ty.per[p.path].transitions = append(ty.per[p.path].transitions, int(r.transitions))
		}
	}
	if !r.endedAt.IsZero() {
		ty.ends[p.path] = append(ty.ends[p.path], r.endedAt.Sub(r.regStart))
	}
	cb := ty.callbacks.seen(r.id)
	switch {
	case cb.count == 0 && r.status != "" && r.status != "pending":
		ty.rep.Lost.CallbacksMissing++
		lost = append(lost, "no callback")
	case cb.count > 1:
		ty.unexpected[fmt.Sprintf("%s: callback received more than once", p.path)]++
	}
	if cb.count > 0 {
		row.Callbacks++
	}
	return lost
}

// addProviderCalls compares what the simulator was sent with what the
// path should cost.
func (ty *tally) addProviderCalls(p plan, r result) (lost []string) {
	st, ok := ty.stats[p.accountID]
	if !ok {
		if r.id != "" {
			ty.unexpected[fmt.Sprintf("%s: the simulator has no counts for the account", p.path)]++
		}
		return nil
	}
	a := ty.per[p.path]
	a.solves = append(a.solves, st.SolveCalls)
	a.resends = append(a.resends, st.ResendCalls)
	a.polls = append(a.polls, st.Polls)
	a.wrong = append(a.wrong, st.WrongCodes)
	if st.State == providersim.StateConnected && r.id != "" && r.status != "connected" {
		ty.rep.Lost.ProviderConnected++
		lost = append(lost, "the provider connected the account")
	}
	w := p.want()
	if st.SolveCalls > w.solveCalls {
		ty.unexpected[fmt.Sprintf("%s: more solve calls than %d", p.path, w.solveCalls)]++
	}
	if st.ResendCalls != w.resendCalls {
		ty.unexpected[fmt.Sprintf("%s: %d resend call(s) where %d were expected", p.path, st.ResendCalls, w.resendCalls)]++
	}
	if st.Polls != w.polls {
		ty.unexpected[fmt.Sprintf("%s: %d poll(s) where %d were expected", p.path, st.Polls, w.polls)]++
	}
	if st.WrongCodes != w.wrongCodes {
		ty.unexpected[fmt.Sprintf("%s: %d wrong code(s) where %d were expected", p.path, st.WrongCodes, w.wrongCodes)]++
	}
	return lost
}

// finish turns the collected figures into the report's rows.
func (ty *tally) finish() {
	rep := ty.rep
	rep.Registration = summarize(ty.regs)
	var allHooks []time.Duration
	for _, label := range sortedKeys(ty.hooks) {
		rep.WebhookToSolve = append(rep.WebhookToSolve, latencyRow{Label: label, latency: summarize(ty.hooks[label])})
		allHooks = append(allHooks, ty.hooks[label]...)
	}
	if len(ty.hooks) > 1 {
		rep.WebhookToSolve = append(rep.WebhookToSolve, latencyRow{Label: "all", latency: summarize(allHooks)})
	}
	var allEnds []time.Duration
	for _, p := range paths {
		if len(ty.ends[p]) > 0 {
			rep.ExecutionEnd = append(rep.ExecutionEnd, latencyRow{Label: string(p), latency: summarize(ty.ends[p])})
			allEnds = append(allEnds, ty.ends[p]...)
		}
	}
	rep.ExecutionEnd = append(rep.ExecutionEnd, latencyRow{Label: "all", latency: summarize(allEnds)})

	for _, p := range paths {
		row, a := ty.rows[p], ty.per[p]
		if row.N == 0 {
			continue
		}
		if ty.inProcess {
			mm := meanMaxOf(a.transitions)
			row.Transitions = &mm
		}
		row.SolveCalls, row.ResendCalls = meanMaxOf(a.solves), meanMaxOf(a.resends)
		row.Polls, row.WrongCodes = meanMaxOf(a.polls), meanMaxOf(a.wrong)
		rep.Paths = append(rep.Paths, *row)
	}
	for _, k := range sortedKeys(ty.unexpected) {
		rep.Anomalies = append(rep.Anomalies, fmt.Sprintf("%s: %d checkpoint(s)", k, ty.unexpected[k]))
	}
}

// Causes of a checkpoint that did not end connected.
const (
	causeRelayLostSuccess = "the provider connected the account, the relay ended it otherwise"
	causeCodeAfterWait    = "the code was sent after the first (scaled) code wait had ended"
	causeSlowHandling     = "the code was sent in time, its webhook answered after the (scaled) code wait had ended"
	causeOther            = "other"
)

// lossCause tells a loss the relay caused from one the time scale caused.
// When the provider connected the account, the relay lost a success,
// whatever the timing. Otherwise, a code sent after the execution's first
// code wait had ended is late by the load's clock: at --time-scale 0.01 the
// five-minute wait lasts three seconds, less than registration plus
// delivery take under a heavy load; a code sent in time but handled after
// the wait ended is the relay's latency under load meeting that short wait.
func lossCause(r result, providerConnected bool) string {
	if providerConnected {
		return causeRelayLostSuccess
	}
	var code *webhookCall
	for i := range r.webhooks {
		if r.webhooks[i].right {
			code = &r.webhooks[i]
			break
		}
	}
	if code == nil || r.codeWait <= 0 {
		return causeOther
	}
	deadline := r.execStart.Add(r.codeWait)
	switch {
	case code.sent.After(deadline):
		return causeCodeAfterWait
	case code.sent.Add(code.latency).After(deadline):
		return causeSlowHandling
	}
	return causeOther
}

// simulatorStats reads every account's counts, keyed by account id (the
// load's account ids are unique across APIs).
func simulatorStats(ctx context.Context, d *driver) (map[string]providersim.Stats, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	status, body, _, err := d.send(ctx, false, http.MethodGet, d.t.simURL+"/_sim/accounts", nil, nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET /_sim/accounts: %d %s", status, snippet(body))
	}
	var list []providersim.Stats
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, err
	}
	out := make(map[string]providersim.Stats, len(list))
	for _, st := range list {
		out[st.AccountID] = st
	}
	return out, nil
}

// summarize gives nearest-rank percentiles.
func summarize(ds []time.Duration) latency {
	if len(ds) == 0 {
		return latency{}
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := func(q float64) float64 {
		i := int(q*float64(len(s))+0.999999) - 1
		i = max(0, min(i, len(s)-1))
		return ms(s[i])
	}
	return latency{N: len(s), P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: ms(s[len(s)-1])}
}

func meanMaxOf(xs []int) meanMax {
	if len(xs) == 0 {
		return meanMax{}
	}
	sum, top := 0, xs[0]
	for _, x := range xs {
		sum += x
		top = max(top, x)
	}
	return meanMax{Mean: float64(sum) / float64(len(xs)), Max: top}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func writeJSON(w io.Writer, rep report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeTables prints the report for a person.
func writeTables(w io.Writer, rep report) {
	fmt.Fprintf(w, "\ncheckpoint-relay load: %d checkpoints, %d requests in flight at most, %s stack at %s",
		rep.Checkpoints, rep.Concurrency, rep.Mode, rep.URL)
	if rep.TimeScale > 0 {
		fmt.Fprintf(w, ", time scale %g", rep.TimeScale)
	}
	fmt.Fprintln(w)
	if rep.StackReadyMS > 0 {
		fmt.Fprintf(w, "stack ready in %s; ", fmtMS(rep.StackReadyMS))
	}
	fmt.Fprintf(w, "load wall time %s\n\n", fmtMS(rep.WallMS))

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "latency (ms)\tn\tp50\tp90\tp99\tmax\t")
	line := func(label string, l latency) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", label, l.N, l.P50, l.P90, l.P99, l.Max)
	}
	line("registration", rep.Registration)
	for _, r := range rep.WebhookToSolve {
		line("webhook answered "+r.Label, r.latency)
	}
	for _, r := range rep.ExecutionEnd {
		line("register→end "+r.Label, r.latency)
	}
	line("probe GET /v1/health", rep.HealthProbe)
	if rep.DynamoDBProbe.N > 0 {
		line("probe dynalite GetItem", rep.DynamoDBProbe)
	}
	_ = tw.Flush()
	if rep.ProbeErrors > 0 {
		fmt.Fprintf(w, "(%d probes failed)\n", rep.ProbeErrors)
	}
	if len(rep.CPUSeconds) > 0 {
		var parts []string
		for _, k := range sortedKeys(rep.CPUSeconds) {
			parts = append(parts, fmt.Sprintf("%s %.1fs", k, rep.CPUSeconds[k]))
		}
		fmt.Fprintf(w, "CPU during the load: %s (over %s of wall time)", strings.Join(parts, ", "), fmtMS(rep.WallMS))
		if rep.LoadAverage[0] != "" {
			fmt.Fprintf(w, "; machine load average %s at the start, %s at the end", rep.LoadAverage[0], rep.LoadAverage[1])
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "path\tn\tconnected\ttransitions mean/max\tsolve calls\tresends\tpolls\twrong codes\tcallbacks\t")
	for _, p := range rep.Paths {
		tr := "n/a"
		if p.Transitions != nil {
			tr = fmtMeanMax(*p.Transitions)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t\n", p.Path, p.N, p.Connected, tr,
			fmtMeanMax(p.SolveCalls), fmtMeanMax(p.ResendCalls), fmtMeanMax(p.Polls), fmtMeanMax(p.WrongCodes), p.Callbacks)
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "(provider calls are per checkpoint, mean/max, as the simulator counted them)")

	if rep.Executions != nil {
		fmt.Fprintf(w, "\nexecutions: %s; %d state transitions in all\n", fmtCounts(rep.Executions), rep.TotalTransitions)
	}
	if len(rep.Deliveries) > 0 {
		fmt.Fprintf(w, "generic webhook answers: %s\n", fmtCounts(rep.Deliveries))
	}

	l := rep.Lost
	fmt.Fprintf(w, "\nlost: %d", l.Total)
	if l.Total > 0 {
		fmt.Fprintf(w, " (%d checkpoints)", l.Checkpoints)
	}
	fmt.Fprintln(w)
	if l.RegistrationFailed > 0 {
		fmt.Fprintf(w, "  registrations failed     %d\n", l.RegistrationFailed)
	}
	if len(l.NotConnected) > 0 {
		fmt.Fprintf(w, "  not connected            %s\n", fmtCounts(l.NotConnected))
	}
	for _, c := range sortedKeys(l.Causes) {
		fmt.Fprintf(w, "    %4d: %s\n", l.Causes[c], c)
	}
	if len(l.Executions) > 0 {
		fmt.Fprintf(w, "  executions not succeeded %s\n", fmtCounts(l.Executions))
	}
	if len(l.WebhooksNon2xx) > 0 {
		fmt.Fprintf(w, "  webhooks not 2xx         %s\n", fmtCounts(l.WebhooksNon2xx))
	}
	if l.ProviderConnected > 0 {
		fmt.Fprintf(w, "  connected at the provider but not in the relay %d\n", l.ProviderConnected)
	}
	if l.CallbacksMissing > 0 || l.CallbacksRefused > 0 {
		fmt.Fprintf(w, "  callbacks missing        %d, refused %d\n", l.CallbacksMissing, l.CallbacksRefused)
	}
	if l.DriverProblems > 0 {
		fmt.Fprintf(w, "  driver problems          %d\n", l.DriverProblems)
	}
	for _, e := range l.Examples {
		fmt.Fprintf(w, "  e.g. %s\n", e)
	}
	if len(rep.Anomalies) > 0 {
		fmt.Fprintln(w, "\nnot lost, but not as expected:")
		for _, a := range rep.Anomalies {
			fmt.Fprintf(w, "  %s\n", a)
		}
	}
	if len(rep.Warnings) > 0 {
		fmt.Fprintln(w, "\nrelay warnings and errors (count, first example):")
		for _, x := range rep.Warnings {
			fmt.Fprintf(w, "  %5d %s %q  %s\n", x.Count, x.Level, x.Message, x.Example)
		}
	}
}

func fmtMS(v float64) string {
	return time.Duration(v * float64(time.Millisecond)).Round(time.Millisecond).String()
}

func fmtMeanMax(m meanMax) string { return fmt.Sprintf("%.2f/%d", m.Mean, m.Max) }

func fmtCounts(m map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
