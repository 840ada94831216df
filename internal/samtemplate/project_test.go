package samtemplate_test

// These tests hold template.yaml, statemachine/checkpoint.asl.json and
// events/ to the code and to each other: what `sam deploy` ships must be
// what the code needs, no more.

import (
	"bufio"
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkpoint-relay/checkpoint-relay/internal/asl"
	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/metrics"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
	"github.com/checkpoint-relay/checkpoint-relay/internal/samtemplate"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// wantRoutes is the HTTP API of ARCHITECTURE.md, by function.
var wantRoutes = map[string][]string{
	"api": {
		"POST /v1/checkpoints", "GET /v1/checkpoints/{id}",
		"POST /v1/forwarders", "GET /v1/forwarders", "GET /v1/forwarders/{id}",
		"DELETE /v1/forwarders/{id}", "POST /v1/forwarders/{id}/rotate",
		"GET /v1/forwarding-confirmations",
	},
	"sms-webhook": {
		"POST /v1/webhooks/sms/twilio", "POST /v1/webhooks/sms/vonage",
		"POST /v1/webhooks/sms/telnyx", "POST /v1/webhooks/sms/generic",
		"POST /v1/forwarders/{id}/webhook",
	},
	"email-webhook": {
		"POST /v1/webhooks/email/ses", "POST /v1/webhooks/email/mailgun",
		"POST /v1/webhooks/email/sendgrid", "POST /v1/webhooks/email/generic",
	},
	"form":       {"GET /c/{token}", "POST /c/{token}"},
	"await-code": nil,
	"solve":      nil,
	"resend":     nil,
	"finish":     nil,
}

// lambdaRetryErrors is the standard retry block every Lambda task carries.
var lambdaRetryErrors = []string{
	"Lambda.ServiceException", "Lambda.AWSLambdaException",
	"Lambda.SdkClientException", "Lambda.TooManyRequestsException",
}

// Error names the task functions raise (ARCHITECTURE.md, task contracts).
const (
	errProviderRetry   = relay.ErrorProviderRetry
	errCallbackFailed  = relay.ErrorCallbackFailed
	errCheckpointEnded = relay.ErrorCheckpointEnded
)

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func loadTemplate(t *testing.T) *samtemplate.Template {
	t.Helper()
	tmpl, err := samtemplate.Load(os.DirFS(repoRoot(t)), "template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func TestTemplateDeclaresEveryFunctionAndRoute(t *testing.T) {
	tmpl := loadTemplate(t)
	var names []string
	for _, f := range tmpl.Functions {
		names = append(names, f.Name)
		// BuildMethod makefile from the repository root: sam build runs the
		// Makefile's build-<LogicalId>, which is what make build and
		// TestEveryFunctionBuildsThroughItsMakeTarget run.
		if f.Runtime != "provided.al2023" || f.Handler != "bootstrap" || f.BuildMethod != "makefile" || f.ProjectRoot != "." ||
			!reflect.DeepEqual(f.Architectures, []string{"arm64"}) {
			t.Errorf("%s: runtime %q handler %q build %q from %q architectures %v; want provided.al2023, bootstrap, makefile from ., [arm64]",
				f.LogicalID, f.Runtime, f.Handler, f.BuildMethod, f.ProjectRoot, f.Architectures)
		}
		if f.CodeURI != "functions/"+f.Name+"/" {
			t.Errorf("%s: CodeUri %q, want functions/<name>/", f.LogicalID, f.CodeURI)
		}
		if f.Timeout <= 0 || f.MemorySize <= 0 {
			t.Errorf("%s: Timeout %d MemorySize %d", f.LogicalID, f.Timeout, f.MemorySize)
		}
		var got []string
		for _, r := range tmpl.Routes {
			if r.Function == f.LogicalID {
				got = append(got, r.Key())
				if r.PayloadFormatVersion != "2.0" {
					t.Errorf("%s: payload format %s, want 2.0", r.Key(), r.PayloadFormatVersion)
				}
			}
		}
		want := append([]string(nil), wantRoutes[f.Name]...)
		sort.Strings(got)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s routes = %v, want %v", f.Name, got, want)
		}
	}
	var want []string
	for n := range wantRoutes {
		want = append(want, n)
	}
	sort.Strings(names)
	sort.Strings(want)
	if !reflect.DeepEqual(names, want) {
		t.Errorf("functions = %v, want %v", names, want)
	}
}

func TestEveryFunctionHasALogGroupAndAnErrorsAlarm(t *testing.T) {
	tmpl := loadTemplate(t)
	// Functions resolve to a name of their own, so a log group or alarm
	// naming another function's is told apart.
	r := &samtemplate.Resolver{Refs: map[string]string{}}
	for _, f := range tmpl.Functions {
		r.Refs[f.LogicalID] = "fn-" + f.LogicalID
	}
	resolve := func(v any) string {
		s, _, err := tmpl.Resolve(v, r)
		if err != nil {
			t.Errorf("%v: %v", v, err)
		}
		return s
	}
	logGroups := map[string]bool{}
	alarms := map[string]bool{}
	stateAlarms := map[string]bool{}
	for id, res := range tmpl.Resources {
		switch res.Type {
		case "AWS::Logs::LogGroup":
			if fn, ok := strings.CutPrefix(resolve(res.Properties["LogGroupName"]), "/aws/lambda/fn-"); ok && res.Properties["RetentionInDays"] != nil {
				logGroups[fn] = true
			}
		case "AWS::CloudWatch::Alarm":
			p := res.Properties
			dims, _ := p["Dimensions"].([]any)
			for _, d := range dims {
				dm, _ := d.(map[string]any)
				switch {
				case p["Namespace"] == "AWS/Lambda" && p["MetricName"] == "Errors" && dm["Name"] == "FunctionName":
					fn, _ := strings.CutPrefix(resolve(dm["Value"]), "fn-")
					alarms[fn] = true
					threshold, err := strconv.Atoi(resolve(p["Threshold"]))
					periods, err2 := strconv.Atoi(resolve(p["EvaluationPeriods"]))
					if err != nil || err2 != nil || threshold < 1 || periods < 1 {
						t.Errorf("%s: threshold %v, evaluation periods %v", id, p["Threshold"], p["EvaluationPeriods"])
					}
				case p["Namespace"] == "AWS/States" && dm["Name"] == "StateMachineArn":
					stateAlarms[p["MetricName"].(string)] = true
				}
			}
		}
	}
	for _, f := range tmpl.Functions {
		if !logGroups[f.LogicalID] {
			t.Errorf("%s has no /aws/lambda log group with a retention", f.LogicalID)
		}
		if !alarms[f.LogicalID] {
			t.Errorf("%s has no Errors alarm", f.LogicalID)
		}
	}
	for _, m := range []string{"ExecutionsFailed", "ExecutionsTimedOut"} {
		if !stateAlarms[m] {
			t.Errorf("no %s alarm on the state machine", m)
		}
	}
}

func TestTableIsTheOneTheStoreExpects(t *testing.T) {
	tmpl := loadTemplate(t)
	tbl, ok := tmpl.Table()
	if !ok {
		t.Fatalf("want exactly one table, got %d", len(tmpl.Tables))
	}
	if got, want := tbl.CreateTableInput("t"), store.CreateTableInput("t"); !reflect.DeepEqual(got, want) {
		t.Errorf("template table:\n %+v\nstore expects:\n %+v", got, want)
	}
	if tbl.TTLAttribute != store.AttrTTL {
		t.Errorf("TTL attribute %q, store writes %q", tbl.TTLAttribute, store.AttrTTL)
	}
	if !tbl.PointInTimeRecovery || !tbl.SSEEnabled || tbl.SSEType != "KMS" {
		t.Errorf("table: point-in-time recovery %v, SSE %v %q; want both, with KMS", tbl.PointInTimeRecovery, tbl.SSEEnabled, tbl.SSEType)
	}
}

// TestEveryFunctionBuildsThroughItsMakeTarget runs, for every function,
// what `sam build` runs (BuildMethod makefile): `make build-<LogicalId>`
// with ARTIFACTS_DIR set, from the repository root. The bootstrap must be
// that function's main, for linux/arm64, built with the flags `make build`
// uses; the Go build information in the binary says so.
func TestEveryFunctionBuildsThroughItsMakeTarget(t *testing.T) {
	root := repoRoot(t)
	tmpl := loadTemplate(t)
	for _, f := range tmpl.Functions {
		if _, err := os.Stat(filepath.Join(root, f.Dir, "main.go")); err != nil {
			t.Fatalf("%s: CodeUri without a main.go", f.Dir)
		}
	}
	if testing.Short() {
		t.Skip("building every function is slow; skipped in -short")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is not installed (sam build runs it too)")
	}
	out := t.TempDir()
	// Two at a time: the machine has two cores and the builds share the cache.
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	errs := make([]string, len(tmpl.Functions))
	for i, f := range tmpl.Functions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cmd := exec.Command("make", "-s", "build-"+f.LogicalID, "ARTIFACTS_DIR="+filepath.Join(out, f.Name))
			cmd.Dir = filepath.Join(root, f.ProjectRoot)
			if b, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Sprintf("make build-%s: %v\n%s", f.LogicalID, err, b)
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
	if t.Failed() {
		return
	}
	module := "github.com/checkpoint-relay/checkpoint-relay/"
	for _, f := range tmpl.Functions {
		bin := filepath.Join(out, f.Name, "bootstrap")
		ef, err := elf.Open(bin)
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		if ef.Machine != elf.EM_AARCH64 {
			t.Errorf("%s: built for %v, want arm64", f.Name, ef.Machine)
		}
		// -ldflags "-s -w" (which -trimpath keeps out of the build
		// information): no symbol table, no DWARF.
		for _, sec := range []string{".symtab", ".debug_info", ".zdebug_info"} {
			if ef.Section(sec) != nil {
				t.Errorf("%s: has a %s section; -ldflags \"-s -w\" strips it", f.Name, sec)
			}
		}
		ef.Close()
		info, err := buildinfo.ReadFile(bin)
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		if info.Path != module+f.Dir {
			t.Errorf("build-%s built %s, want %s", f.LogicalID, info.Path, module+f.Dir)
		}
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		want := map[string]string{
			"-tags": "lambda.norpc", "-trimpath": "true",
			"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "arm64",
		}
		for k, v := range want {
			if settings[k] != v {
				t.Errorf("%s: build setting %s = %q, want %q", f.Name, k, settings[k], v)
			}
		}
		// -buildvcs=false: the same binary from a SAM scratch copy as from a checkout.
		if settings["vcs"] != "" {
			t.Errorf("%s: stamped with %s information; build with -buildvcs=false", f.Name, settings["vcs"])
		}
		if st, err := os.Stat(bin); err == nil {
			t.Logf("%-14s %6.1f MiB", f.Name, float64(st.Size())/(1<<20))
		}
	}
}

// definition is the state machine as generic JSON.
type definition struct {
	text   string
	states map[string]map[string]any
}

func loadDefinition(t *testing.T, tmpl *samtemplate.Template) (samtemplate.StateMachine, definition) {
	t.Helper()
	sm, ok := tmpl.StateMachine()
	if !ok {
		t.Fatalf("want exactly one state machine, got %d", len(tmpl.StateMachines))
	}
	b, err := tmpl.Definition(sm)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		States map[string]map[string]any
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", sm.DefinitionURI, err)
	}
	return sm, definition{text: string(b), states: doc.States}
}

var substitution = regexp.MustCompile(`\$\{([^}]*)\}`)

func TestSubstitutionsMatchTheDefinition(t *testing.T) {
	tmpl := loadTemplate(t)
	sm, def := loadDefinition(t, tmpl)
	used := map[string]bool{}
	for _, m := range substitution.FindAllStringSubmatch(def.text, -1) {
		used[m[1]] = true
		if _, ok := sm.Substitutions[m[1]]; !ok {
			t.Errorf("the definition uses ${%s}, which DefinitionSubstitutions does not define", m[1])
		}
	}
	for k := range sm.Substitutions {
		if !used[k] {
			t.Errorf("DefinitionSubstitutions defines %s, which the definition never uses", k)
		}
	}
	if sm.Type != "STANDARD" {
		t.Errorf("state machine type %s, want STANDARD (one long-lived execution per checkpoint)", sm.Type)
	}
	// The state machine may invoke exactly the functions it names.
	refs := sm.FunctionRefs(tmpl)
	invokable := map[string]bool{}
	for _, p := range sm.Policies {
		if p.Template == "LambdaInvokePolicy" {
			fn, _ := p.Params["FunctionName"].(map[string]any)
			if ref, ok := fn["Ref"].(string); ok {
				invokable[ref] = true
			}
		}
	}
	for key, fn := range refs {
		if !invokable[fn] {
			t.Errorf("${%s} is %s, which no LambdaInvokePolicy of the state machine allows", key, fn)
		}
		delete(invokable, fn)
	}
	for fn := range invokable {
		t.Errorf("the state machine may invoke %s, which the definition never calls", fn)
	}
}

// task is one Lambda Task of the definition.
type task struct {
	state    string
	function string // the function's code directory name
	payload  map[string]any
	def      map[string]any
}

func definitionTasks(t *testing.T, tmpl *samtemplate.Template, sm samtemplate.StateMachine, def definition) []task {
	t.Helper()
	refs := sm.FunctionRefs(tmpl)
	var tasks []task
	for name, s := range def.states {
		if s["Type"] != "Task" {
			continue
		}
		params, _ := s["Parameters"].(map[string]any)
		fnName, _ := params["FunctionName"].(string)
		m := substitution.FindStringSubmatch(fnName)
		if m == nil || refs[m[1]] == "" {
			t.Errorf("%s: FunctionName %q is not a substituted function ARN", name, fnName)
			continue
		}
		f, _ := tmpl.Function(refs[m[1]])
		payload, _ := params["Payload"].(map[string]any)
		tasks = append(tasks, task{state: name, function: f.Name, payload: payload, def: s})
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].state < tasks[j].state })
	return tasks
}

func retriers(s map[string]any, key string) map[string]map[string]any {
	out := map[string]map[string]any{}
	list, _ := s[key].([]any)
	for _, r := range list {
		rm, _ := r.(map[string]any)
		errs, _ := rm["ErrorEquals"].([]any)
		for _, e := range errs {
			out[e.(string)] = rm
		}
	}
	return out
}

func TestEveryTaskRetriesAndCatches(t *testing.T) {
	tmpl := loadTemplate(t)
	sm, def := loadDefinition(t, tmpl)
	for _, tk := range definitionTasks(t, tmpl, sm, def) {
		retry, catch := retriers(tk.def, "Retry"), retriers(tk.def, "Catch")
		for _, list := range []string{"Retry"} {
			rs, _ := tk.def[list].([]any)
			for i, r := range rs {
				// After an outage, a thousand executions must not retry in lockstep.
				if r.(map[string]any)["JitterStrategy"] != "FULL" {
					t.Errorf("%s: Retry[%d] has no JitterStrategy FULL", tk.state, i)
				}
			}
		}
		for _, e := range lambdaRetryErrors {
			if r, ok := retry[e]; !ok || r["BackoffRate"] != 2.0 {
				t.Errorf("%s: no standard Lambda retry (backoff 2) for %s", tk.state, e)
			}
		}
		if _, ok := catch["States.ALL"]; !ok {
			t.Errorf("%s: no Catch for States.ALL: a failing task would end the execution without a callback", tk.state)
		}
		if _, ok := catch[errCheckpointEnded]; !ok && tk.function != "finish" {
			t.Errorf("%s: no Catch for %s: a superseded checkpoint would be finished twice", tk.state, errCheckpointEnded)
		}
		switch tk.function {
		case "solve", "resend":
			r, ok := retry[errProviderRetry]
			if !ok || r["BackoffRate"] != 2.0 || r["IntervalSeconds"] != 2.0 || r["MaxAttempts"] == nil {
				t.Errorf("%s: no bounded backoff Retry on %s: %v", tk.state, errProviderRetry, r)
			}
			if _, ok := catch[errProviderRetry]; !ok {
				t.Errorf("%s: %s is not caught after its retries", tk.state, errProviderRetry)
			}
		case "finish":
			if _, ok := retry[errCallbackFailed]; !ok {
				t.Errorf("%s: no Retry on %s", tk.state, errCallbackFailed)
			}
			if c, ok := catch[errCallbackFailed]; !ok || def.states[c["Next"].(string)]["Type"] != "Succeed" {
				t.Errorf("%s: a dead callback URL must still end the execution in Succeed", tk.state)
			}
		case "await-code":
			if tk.def["Resource"] != "arn:aws:states:::lambda:invoke.waitForTaskToken" {
				t.Errorf("%s: resource %v, want the callback pattern", tk.state, tk.def["Resource"])
			}
			if tk.payload["task_token.$"] != "$$.Task.Token" {
				t.Errorf("%s: the payload does not pass $$.Task.Token", tk.state)
			}
			if tk.def["TimeoutSecondsPath"] == nil && tk.def["TimeoutSeconds"] == nil {
				t.Errorf("%s: a wait for a code without a timeout waits forever", tk.state)
			}
			if _, ok := catch["States.Timeout"]; !ok {
				t.Errorf("%s: no Catch for States.Timeout", tk.state)
			}
		}
		if tk.function != "await-code" && tk.def["Resource"] != "arn:aws:states:::lambda:invoke" {
			t.Errorf("%s: resource %v", tk.state, tk.def["Resource"])
		}
	}
}

// edge is one transition of the state graph and the Assign that applies
// when it is taken (nil: none).
type edge struct {
	next   string
	assign map[string]any
}

// edges lists a state's transitions with their Assign: a Pass, Task or
// Wait state's own Assign applies on Next, a Catch's on its Next, a Choice
// Rule's on its Next and the Choice state's own on its Default.
func edges(s map[string]any) []edge {
	own, _ := s["Assign"].(map[string]any)
	var out []edge
	if n, ok := s["Next"].(string); ok {
		out = append(out, edge{n, own})
	}
	if n, ok := s["Default"].(string); ok {
		out = append(out, edge{n, own})
	}
	for _, key := range []string{"Choices", "Catch"} {
		list, _ := s[key].([]any)
		for _, c := range list {
			m := c.(map[string]any)
			if n, ok := m["Next"].(string); ok {
				a, _ := m["Assign"].(map[string]any)
				out = append(out, edge{n, a})
			}
		}
	}
	return out
}

func transitions(s map[string]any) []string {
	var next []string
	for _, e := range edges(s) {
		next = append(next, e.next)
	}
	return next
}

// counted reports which counter variable an edge's Assign increments
// ("c.$": "States.MathAdd($c, 1)").
func counted(e edge) (string, bool) {
	for k, v := range e.assign {
		c := strings.TrimSuffix(k, ".$")
		if s, _ := v.(string); s == "States.MathAdd($"+c+", 1)" {
			return c, true
		}
	}
	return "", false
}

// TestEveryLoopIsBounded: with the transitions that increment a counter
// variable taken out, the state graph has no cycle, so every loop
// increments a counter; every counter incremented is compared by some
// Choice, so that increment leads to a bound; and the counters start from
// the execution input's relay.Counters, each one a variable.
func TestEveryLoopIsBounded(t *testing.T) {
	tmpl := loadTemplate(t)
	_, def := loadDefinition(t, tmpl)
	incremented := map[string]bool{}
	for _, s := range def.states {
		for _, e := range edges(s) {
			if c, ok := counted(e); ok {
				incremented[c] = true
			}
		}
	}
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var path []string
	var visit func(string)
	visit = func(name string) {
		s, ok := def.states[name]
		if !ok {
			t.Errorf("transition to unknown state %q", name)
			return
		}
		switch color[name] {
		case grey:
			i := slices.Index(path, name)
			t.Errorf("loop without a counter: %s -> %s", strings.Join(path[i:], " -> "), name)
			return
		case black:
			return
		}
		color[name] = grey
		path = append(path, name)
		for _, e := range edges(s) {
			if _, ok := counted(e); !ok {
				visit(e.next)
			}
		}
		path = path[:len(path)-1]
		color[name] = black
	}
	for name := range def.states {
		visit(name)
	}
	for c := range incremented {
		if !strings.Contains(def.text, `"Variable": "$`+c+`", "Numeric`) {
			t.Errorf("counter %s is incremented but no Choice compares it", c)
		}
	}
	b, _ := json.Marshal(relay.Counters{})
	var want map[string]any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	var doc struct{ StartAt string }
	if err := json.Unmarshal([]byte(def.text), &doc); err != nil {
		t.Fatal(err)
	}
	// The first state starts the variables on every transition that
	// assigns any: each counter from the input's.
	starts := 0
	for _, e := range edges(def.states[doc.StartAt]) {
		if e.assign == nil {
			continue
		}
		starts++
		for c := range want {
			if e.assign[c+".$"] != "$.counters."+c {
				t.Errorf("the first state's transition to %s does not take the variable %s from $.counters.%s", e.next, c, c)
			}
		}
	}
	if starts == 0 {
		t.Errorf("the first state starts no variable")
	}
	for c := range want {
		if !incremented[c] {
			t.Errorf("counter %s bounds no loop; every counter of the execution input does", c)
		}
	}
}

// modeRoutes maps each mode a Choice tests on field (StringEquals, alone or
// in an Or) to the state it goes to.
func modeRoutes(s map[string]any, field string) map[string]string {
	out := map[string]string{}
	list, _ := s["Choices"].([]any)
	for _, c := range list {
		r := c.(map[string]any)
		tests := []any{r}
		if or, ok := r["Or"].([]any); ok {
			tests = or
		}
		for _, x := range tests {
			m := x.(map[string]any)
			if m["Variable"] == field {
				if mode, ok := m["StringEquals"].(string); ok {
					out[mode] = r["Next"].(string)
				}
			}
		}
	}
	return out
}

// TestChainedCheckpointsRouteAsTheFirst: a chained checkpoint is routed by
// its own Choice (so that the variables started by the first routing are not
// started again); it must send each mode where the first routing does.
func TestChainedCheckpointsRouteAsTheFirst(t *testing.T) {
	tmpl := loadTemplate(t)
	_, def := loadDefinition(t, tmpl)
	first := modeRoutes(def.states["Route by mode"], "$.mode")
	chained := modeRoutes(def.states["Route the next checkpoint"], "$.result.Payload.mode")
	if len(first) < 5 || !reflect.DeepEqual(first, chained) {
		t.Errorf("the first checkpoint is routed %v, a chained one %v", first, chained)
	}
	if def.states["Route by mode"]["Default"] != def.states["Route the next checkpoint"]["Default"] {
		t.Errorf("an unknown mode ends differently for a chained checkpoint")
	}
}

func TestEveryStateIsReachableAndEveryPathEnds(t *testing.T) {
	tmpl := loadTemplate(t)
	_, def := loadDefinition(t, tmpl)
	var doc struct{ StartAt string }
	if err := json.Unmarshal([]byte(def.text), &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(string)
	walk = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		s := def.states[n]
		next := transitions(s)
		if len(next) == 0 && s["Type"] != "Succeed" && s["Type"] != "Fail" && s["End"] != true {
			t.Errorf("%s has no way out", n)
		}
		for _, x := range next {
			walk(x)
		}
	}
	walk(doc.StartAt)
	for n := range def.states {
		if !seen[n] {
			t.Errorf("state %q is unreachable", n)
		}
	}
	// Every way to end except the Fail state passes through Finish, so the
	// app always gets its callback; the one exception is a checkpoint that
	// ended outside the execution (superseded), which has had its end.
	for n, s := range def.states {
		if s["Type"] != "Succeed" {
			continue
		}
		for from, fs := range def.states {
			if !slices.Contains(transitions(fs), n) {
				continue
			}
			params, _ := fs["Parameters"].(map[string]any)
			if params["FunctionName"] == "${FinishFunctionArn}" {
				continue
			}
			for _, c := range fs["Catch"].([]any) {
				cm := c.(map[string]any)
				if cm["Next"] == n && !reflect.DeepEqual(cm["ErrorEquals"], []any{errCheckpointEnded}) {
					t.Errorf("%s ends the execution from %s on %v without the finish task", n, from, cm["ErrorEquals"])
				}
			}
			if fs["Next"] == n || fs["Default"] == n {
				t.Errorf("%s ends the execution from %s without the finish task", n, from)
			}
		}
	}
}

// TestLocalRunnerAcceptsTheDefinition: the local Step Functions runner
// refuses what it does not implement, so the definition must keep to what
// it does (make run and the end-to-end tests depend on it).
func TestLocalRunnerAcceptsTheDefinition(t *testing.T) {
	tmpl := loadTemplate(t)
	sm, def := loadDefinition(t, tmpl)
	values := map[string]string{}
	for k := range sm.Substitutions {
		values[k] = "arn:aws:lambda:us-east-1:123456789012:function:" + k
	}
	b, err := asl.Substitute([]byte(def.text), values)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := asl.Parse(b); err != nil {
		t.Fatal(err)
	}
}

func TestASLValidator(t *testing.T) {
	root := repoRoot(t)
	bin := filepath.Join(root, "node_modules", ".bin", "asl-validator")
	if _, err := os.Stat(bin); err != nil {
		t.Skip("asl-validator is not installed (npm install); make test runs it as asl-validate")
	}
	tmpl := loadTemplate(t)
	sm, _ := tmpl.StateMachine()
	cmd := exec.Command(bin, "--json-path", filepath.Join(root, sm.DefinitionURI))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("asl-validator: %v\n%s", err, b)
	}
}

// docEnvGroups reads the environment table of ARCHITECTURE.md. Each group
// lists names of which one is enough: `X[_PARAM]` is X or X_PARAM (a value
// locally, an SSM parameter name in AWS), and `A` / `B` are alternatives
// (KMS_KEY_ID in AWS, RELAY_LOCAL_KEY locally).
func docEnvGroups(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	name := regexp.MustCompile("`([A-Z][A-Z0-9_]+)(\\[_PARAM\\])?`")
	var groups [][]string
	inEnv := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			inEnv = strings.Contains(line, "Environment")
			continue
		}
		if !inEnv || !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		for _, alt := range strings.Split(cells[1], ",") {
			var g []string
			for _, m := range name.FindAllStringSubmatch(alt, -1) {
				g = append(g, m[1])
				if m[2] != "" {
					g = append(g, m[1]+"_PARAM")
				}
			}
			if len(g) > 0 {
				groups = append(groups, g)
			}
		}
	}
	if len(groups) < 10 {
		t.Fatalf("read only %d variables from ARCHITECTURE.md's environment table", len(groups))
	}
	return groups
}

// optionalEnv are variables every function's code may read (the relay core
// is built the same way everywhere) but only some functions need. The
// others rightly leave them unset.
var optionalEnv = map[string]struct {
	requiredIn []string
	why        string
}{
	"STATE_MACHINE_ARN":       {[]string{"api"}, "only api starts executions; the others resume tasks by token"},
	"CALLBACK_SIGNING_SECRET": {[]string{"finish"}, "read when configured; only finish signs callbacks"},
	"RELAY_PUBLIC_URL":        {nil, "unset, form links and the URL Twilio signs use the request's own domain"},
	"RELAY_TIME_SCALE":        {nil, "set by the local stack only, which shrinks the provider deadline with its time scale"},
}

// runtimeProvided reports variables the Lambda runtime sets.
func runtimeProvided(name string) bool {
	return strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "LAMBDA_") || name == "_HANDLER" || name == "_X_AMZN_TRACE_ID"
}

func TestEnvironmentCoversWhatTheCodeReads(t *testing.T) {
	root := repoRoot(t)
	tmpl := loadTemplate(t)
	groups := docEnvGroups(t)
	docNames := map[string]bool{}
	groupOf := map[string][]string{}
	for _, g := range groups {
		for _, n := range g {
			docNames[n] = true
			groupOf[n] = g
		}
	}
	for _, f := range tmpl.Functions {
		t.Run(f.Name, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(root, f.Dir, "main.go")); err != nil {
				t.Fatalf("%s/main.go: %v", f.Dir, err)
			}
			facts := scanFunction(t, root, "./"+f.Dir, docNames)
			satisfied := map[string]bool{}
			for name, where := range facts.Env {
				if runtimeProvided(name) {
					continue
				}
				// Any secret may come as its value or, in AWS, as the name
				// of its SSM parameter (config.Secret).
				alts := append([]string{name, name + "_PARAM"}, groupOf[name]...)
				found := false
				for _, a := range alts {
					if _, ok := f.Environment[a]; ok {
						found = true
						satisfied[a] = true
					}
				}
				if opt, ok := optionalEnv[name]; ok && !slices.Contains(opt.requiredIn, f.Name) {
					continue
				}
				if !found {
					t.Errorf("reads %s (%s), which the template does not set (want one of %v)", name, where[0], alts)
				}
			}
			for name := range f.Environment {
				if !satisfied[name] {
					t.Errorf("the template sets %s, which the code never reads", name)
				}
			}
		})
	}
}

// sdkOnlyLocally are AWS operations the code holds for the local stack and
// tests, never run in Lambda.
var sdkOnlyLocally = map[string]string{
	"dynamodb:CreateTable":   "store.CreateTable: in AWS CloudFormation creates the table",
	"dynamodb:DescribeTable": "the table-exists waiter of store.CreateTable",
}

func TestPoliciesAllowWhatTheCodeCalls(t *testing.T) {
	root := repoRoot(t)
	tmpl := loadTemplate(t)
	for _, f := range tmpl.Functions {
		t.Run(f.Name, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(root, f.Dir, "main.go")); err != nil {
				t.Fatalf("%s/main.go: %v", f.Dir, err)
			}
			facts := scanFunction(t, root, "./"+f.Dir, nil)
			for action, where := range facts.Actions {
				if sdkOnlyLocally[action] != "" {
					continue
				}
				if !samtemplate.Allows(f.Policies, action) {
					t.Errorf("calls %s (%s), which no policy allows", action, where[0])
				}
			}
			// Least privilege: every action granted is one the code calls.
			for _, p := range f.Policies {
				acts, ok := p.Actions()
				if !ok {
					t.Errorf("policy %+v: its actions are not known to samtemplate", p)
					continue
				}
				for _, a := range acts {
					used := false
					for called := range facts.Actions {
						if samtemplate.Allows([]samtemplate.Policy{{Statements: []samtemplate.Statement{{Effect: "Allow", Actions: []string{a}}}}}, called) {
							used = true
						}
					}
					if !used {
						t.Errorf("policy %s%s%v grants %s, which the code never calls", p.Template, p.Managed, p.Params, a)
					}
				}
			}
		})
	}
}

// secretScenarios resolve the template with every optional source and
// API left out (the defaults) and with every one configured.
func secretScenarios(tmpl *samtemplate.Template) map[string]*samtemplate.Resolver {
	all := map[string]string{}
	for name, p := range tmpl.Parameters {
		switch {
		case strings.HasSuffix(name, "Param"):
			all[name] = "/test/" + name
		case strings.HasSuffix(name, "BaseUrl"):
			all[name] = "https://" + strings.ToLower(name) + ".example"
		case name == "InboundBucket":
			all[name] = "inbound-bucket"
		case !p.HasDefault:
			all[name] = "x"
		}
	}
	return map[string]*samtemplate.Resolver{
		"defaults":       {},
		"all configured": {Parameters: all},
	}
}

// TestSecretsAreReadableExactlyWhereTheyAreNamed: the SSM parameters a
// function may read are exactly those its *_PARAM variables name, under
// the same conditions, whatever is configured.
func TestSecretsAreReadableExactlyWhereTheyAreNamed(t *testing.T) {
	tmpl := loadTemplate(t)
	for scenario, r := range secretScenarios(tmpl) {
		for _, f := range tmpl.Functions {
			env, err := tmpl.Environment(f, r)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			for k, v := range env {
				if strings.HasSuffix(k, "_PARAM") {
					want["arn:aws:ssm:us-east-1:123456789012:parameter"+v] = true
				}
			}
			got := map[string]bool{}
			for _, p := range f.Policies {
				if p.Condition != "" {
					ok, err := tmpl.Condition(p.Condition, r)
					if err != nil {
						t.Fatal(err)
					}
					if ok == p.Negated {
						continue
					}
				}
				if p.Template != "" && strings.HasPrefix(p.Template, "SSM") {
					t.Errorf("%s: SAM policy template %s grants more than ssm:GetParameter; use a statement", f.Name, p.Template)
				}
				for _, st := range p.Statements {
					if !slices.ContainsFunc(st.Actions, func(a string) bool { return strings.HasPrefix(a, "ssm:") }) {
						continue
					}
					if !reflect.DeepEqual(st.Actions, []string{"ssm:GetParameter"}) {
						t.Errorf("%s: SSM statement grants %v, want ssm:GetParameter only", f.Name, st.Actions)
					}
					for _, res := range st.Resources {
						arn, _, err := tmpl.Resolve(res, r)
						if err != nil {
							t.Fatal(err)
						}
						got[arn] = true
					}
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s, %s: may read %v; its variables name %v", scenario, f.Name, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
			}
		}
	}
}

func TestCodeScanFindsWhatIsReachableOnly(t *testing.T) {
	root := repoRoot(t)
	facts := scanFunction(t, root, "./internal/samtemplate/testdata/scanfixture", map[string]bool{"FIXTURE_DOCUMENTED": true, "FIXTURE_UNREACHABLE": true})
	var env, actions []string
	for k := range facts.Env {
		env = append(env, k)
	}
	for k := range facts.Actions {
		actions = append(actions, k)
	}
	sort.Strings(env)
	sort.Strings(actions)
	if want := []string{"FIXTURE_DIRECT", "FIXTURE_DISPATCH_USED", "FIXTURE_DOCUMENTED", "FIXTURE_VIA_HELPER"}; !reflect.DeepEqual(env, want) {
		t.Errorf("environment = %v, want %v", env, want)
	}
	if want := []string{"kms:Encrypt"}; !reflect.DeepEqual(actions, want) {
		t.Errorf("actions = %v, want %v (Decrypt is in a method never reached)", actions, want)
	}
}

// sampleEvents lists events/<function>/*.json.
func sampleEvents(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "events", "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, f := range files {
		fn := filepath.Base(filepath.Dir(f))
		out[fn] = append(out[fn], f)
	}
	return out
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// jsonContains reports whether every value of want is in got, and the path
// of the first one that is not.
func jsonContains(t *testing.T, got, want []byte) (string, bool) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, g, w any) (string, bool)
	walk = func(path string, g, w any) (string, bool) {
		wm, ok := w.(map[string]any)
		if !ok {
			return path, reflect.DeepEqual(g, w)
		}
		gm, ok := g.(map[string]any)
		if !ok {
			return path, false
		}
		for k, v := range wm {
			if p, ok := walk(path+"."+k, gm[k], v); !ok {
				return p, false
			}
		}
		return path, true
	}
	return walk("$", g, w)
}

func TestHTTPEventsRoundTripAndMatchTheirRoutes(t *testing.T) {
	tmpl := loadTemplate(t)
	samples := sampleEvents(t)
	covered := map[string]bool{}
	for fn, files := range samples {
		f, ok := tmpl.Function(fn)
		if !ok {
			t.Errorf("events/%s: no such function in the template", fn)
			continue
		}
		if len(wantRoutes[f.Name]) == 0 {
			continue
		}
		for _, file := range files {
			rel := filepath.Join(fn, filepath.Base(file))
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Errorf("%s: %v", rel, err)
				continue
			}
			back, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			// Marshalling adds the zero values of fields the sample leaves
			// out (requestContext.authentication); nothing of the sample may
			// be lost or changed, and a second round trip changes nothing.
			if path, ok := jsonContains(t, back, b); !ok {
				t.Errorf("%s does not round-trip through events.APIGatewayV2HTTPRequest: %s is lost or changed", rel, path)
			}
			var again events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(back, &again); err != nil {
				t.Fatal(err)
			}
			if b2, _ := json.Marshal(again); !jsonEqual(t, back, b2) {
				t.Errorf("%s: a second round trip changed the event", rel)
			}
			var route *samtemplate.Route
			for i, r := range tmpl.Routes {
				if r.Key() == ev.RouteKey && r.Function == f.LogicalID {
					route = &tmpl.Routes[i]
				}
			}
			if route == nil {
				t.Errorf("%s: routeKey %q is not a route of %s", rel, ev.RouteKey, f.LogicalID)
				continue
			}
			covered[route.Key()] = true
			params, ok := route.Match(ev.RequestContext.HTTP.Method, ev.RawPath)
			if !ok {
				t.Errorf("%s: %s %s does not match %s", rel, ev.RequestContext.HTTP.Method, ev.RawPath, route.Key())
			} else if len(params) > 0 && !reflect.DeepEqual(params, ev.PathParameters) {
				t.Errorf("%s: pathParameters %v, the route binds %v", rel, ev.PathParameters, params)
			}
			if ev.RequestContext.RouteKey != ev.RouteKey || ev.Version != "2.0" {
				t.Errorf("%s: version %q, requestContext.routeKey %q", rel, ev.Version, ev.RequestContext.RouteKey)
			}
		}
	}
	for _, r := range tmpl.Routes {
		if !covered[r.Key()] {
			t.Errorf("no sample event in events/ for %s", r.Key())
		}
	}
}

func TestTaskEventsMatchTheDefinition(t *testing.T) {
	tmpl := loadTemplate(t)
	sm, def := loadDefinition(t, tmpl)
	tasks := definitionTasks(t, tmpl, sm, def)
	// What each function receives: its payload's keys, and the constant
	// values the definition passes ("mode": "totp").
	type shape struct {
		keys   []string
		consts map[string]string
	}
	shapes := map[string][]shape{}
	for _, tk := range tasks {
		sh := shape{consts: map[string]string{}}
		for k, v := range tk.payload {
			key := strings.TrimSuffix(k, ".$")
			sh.keys = append(sh.keys, key)
			if k == key {
				sh.consts[key], _ = v.(string)
			}
		}
		sort.Strings(sh.keys)
		shapes[tk.function] = append(shapes[tk.function], sh)
	}
	// The statuses the definition can finish with.
	finishStatuses := map[string]bool{}
	for _, s := range def.states {
		if r, ok := s["Result"].(map[string]any); ok && s["ResultPath"] == "$.final" {
			st, _ := r["status"].(string)
			finishStatuses[st] = true
			if cs := checkpoint.Status(st); !cs.Final() || cs == checkpoint.StatusSuperseded {
				t.Errorf("the definition finishes with status %q, which is not a final status", st)
			}
		}
	}
	seenConsts := map[string]bool{}
	seenStatus := map[string]bool{}
	samples := sampleEvents(t)
	for fn, list := range shapes {
		if len(samples[fn]) == 0 {
			t.Errorf("no sample event in events/%s/", fn)
		}
		for _, file := range samples[fn] {
			rel := filepath.Join(fn, filepath.Base(file))
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var ev map[string]any
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Errorf("%s: %v", rel, err)
				continue
			}
			var keys []string
			for k := range ev {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			match := false
			for _, sh := range list {
				if !reflect.DeepEqual(keys, sh.keys) {
					continue
				}
				ok := true
				for k, v := range sh.consts {
					if ev[k] != v {
						ok = false
					}
				}
				if ok {
					match = true
					for k, v := range sh.consts {
						seenConsts[fn+" "+k+"="+v] = true
					}
				}
			}
			if !match {
				t.Errorf("%s: %v is not a payload the definition sends to %s", rel, ev, fn)
			}
			if fn == "finish" {
				st, _ := ev["status"].(string)
				if !finishStatuses[st] {
					t.Errorf("%s: status %q is never sent by the definition", rel, st)
				}
				seenStatus[st] = true
			}
		}
		for _, sh := range list {
			for k, v := range sh.consts {
				if !seenConsts[fn+" "+k+"="+v] {
					t.Errorf("no sample event for %s with %s=%s", fn, k, v)
				}
			}
		}
	}
	for st := range finishStatuses {
		if !seenStatus[st] {
			t.Errorf("no sample finish event with status %s", st)
		}
	}
}

func TestCfnLint(t *testing.T) {
	if testing.Short() {
		t.Skip("cfn-lint takes a while; skipped in -short")
	}
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed")
	}
	cmd := exec.Command(bin, "template.yaml")
	cmd.Dir = repoRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cfn-lint: %v\n%s", err, b)
	}
}

// taskInputs are the relay's payload types of the state machine's tasks.
var taskInputs = map[string]func() any{
	"await-code": func() any { return new(relay.AwaitCodeInput) },
	"solve":      func() any { return new(relay.SolveInput) },
	"resend":     func() any { return new(relay.ResendInput) },
	"finish":     func() any { return new(relay.FinishInput) },
}

func TestTaskEventsRoundTripThroughTheRelayTypes(t *testing.T) {
	samples := sampleEvents(t)
	for fn, mk := range taskInputs {
		if len(samples[fn]) == 0 {
			t.Errorf("no sample event in events/%s/", fn)
		}
		for _, file := range samples[fn] {
			rel := filepath.Join(fn, filepath.Base(file))
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			v := mk()
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			if err := dec.Decode(v); err != nil {
				t.Errorf("%s: %v", rel, err)
				continue
			}
			back, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(t, b, back) {
				t.Errorf("%s does not round-trip through %T: %s", rel, v, back)
			}
		}
	}
}

// TestTheExecutionInputIsKept: no state replaces the execution input, so
// no field of relay.ExecutionInput is lost on any path (a chained
// checkpoint's mode and the counters are variables): every Task and Pass
// places its result below "$", and no state that goes on filters its input
// or output.
func TestTheExecutionInputIsKept(t *testing.T) {
	tmpl := loadTemplate(t)
	_, def := loadDefinition(t, tmpl)
	for name, s := range def.states {
		switch s["Type"] {
		case "Task", "Pass":
			rp, ok := s["ResultPath"]
			if p, _ := rp.(string); !ok || (rp != nil && (p == "$" || !strings.HasPrefix(p, "$."))) {
				t.Errorf("%s: ResultPath %v replaces the execution input", name, rp)
			}
			if s["Type"] == "Pass" && s["Parameters"] != nil {
				t.Errorf("%s: a Pass state with Parameters rebuilds the input", name)
			}
		}
		if s["Type"] == "Succeed" || s["Type"] == "Fail" {
			continue
		}
		for _, f := range []string{"InputPath", "OutputPath"} {
			if _, ok := s[f]; ok {
				t.Errorf("%s: %s filters the execution input on its way", name, f)
			}
		}
	}
}

// TestDashboardShowsEveryMetric: the dashboard is valid JSON once
// CloudFormation substitutes it, shows every metric internal/metrics
// records and every function; each alarm on the relay's own namespace
// watches one of them.
func TestDashboardShowsEveryMetric(t *testing.T) {
	tmpl := loadTemplate(t)
	var body string
	for id, r := range tmpl.Resources {
		switch {
		case r.Type == "AWS::CloudWatch::Dashboard":
			b, _, err := tmpl.Resolve(r.Properties["DashboardBody"], nil)
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			body = b
		case r.Type == "AWS::CloudWatch::Alarm" && r.Properties["Namespace"] == metrics.Namespace:
			if name, _ := r.Properties["MetricName"].(string); !slices.Contains(metrics.All, name) {
				t.Errorf("%s watches %s, which internal/metrics never records", id, name)
			}
		}
	}
	if body == "" {
		t.Fatal("no dashboard")
	}
	var doc struct {
		Widgets []struct {
			Properties struct {
				Title   string
				Metrics []any
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("dashboard body is not JSON: %v\n%s", err, body)
	}
	for _, m := range metrics.All {
		if !strings.Contains(body, `"`+m+`"`) && !strings.Contains(body, `MetricName=\"`+m+`\"`) {
			t.Errorf("the dashboard does not show %s", m)
		}
	}
	for _, f := range tmpl.Functions {
		if !strings.Contains(body, `"`+f.LogicalID+`"`) {
			t.Errorf("the dashboard does not show %s", f.LogicalID)
		}
	}
}
