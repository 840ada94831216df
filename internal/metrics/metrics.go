// Package metrics records the relay's operational metrics as CloudWatch
// embedded metric format (EMF) records: one JSON line per record on the
// function's standard output, which Lambda sends to CloudWatch Logs, where
// CloudWatch extracts the metrics. No API call, no client, no credentials,
// nothing to flush: a record costs one write.
//
// Each metric has its own function, so the names, units and dimensions are
// fixed here and the dashboard and alarms in template.yaml can rely on
// them. Dimension values are the relay's own constants (channel, source,
// reason, API, outcome names), never request data, so the number of metric
// series stays bounded; and no record carries a code, a key or a secret.
package metrics

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Namespace is the CloudWatch namespace of every metric.
const Namespace = "CheckpointRelay"

// Metric names, as the dashboard and the alarms use them.
const (
	// CodesReceived counts the codes that reached the relay, by Channel
	// (sms, email, form) and Source (twilio, mailgun, form...).
	CodesReceived = "CodesReceived"
	// CodesAttributed counts the codes matched to a pending checkpoint,
	// by Reason (the attribution rule that decided).
	CodesAttributed = "CodesAttributed"
	// CodesRefused counts the codes given to no checkpoint, by Reason.
	CodesRefused = "CodesRefused"
	// ArrivalToProviderCall is the time from a code's arrival at the relay
	// to the provider call that submits it, by Channel.
	ArrivalToProviderCall = "ArrivalToProviderCall"
	// Outcomes counts the provider calls' outcomes, by API and Outcome.
	Outcomes = "Outcomes"
	// RegistrationToConnected is the time from a checkpoint's registration
	// to its connected end, by API.
	RegistrationToConnected = "RegistrationToConnected"
	// CallbacksFailed counts the callbacks to the app that were given up
	// on, by Reason.
	CallbacksFailed = "CallbacksFailed"
	// ForwardersSilent counts the forwarders found silent past their
	// expected interval, by Kind.
	ForwardersSilent = "ForwardersSilent"
)

// All lists every metric name: the template's dashboard shows each one.
var All = []string{
	CodesReceived, CodesAttributed, CodesRefused, ArrivalToProviderCall,
	Outcomes, RegistrationToConnected, CallbacksFailed, ForwardersSilent,
}

// Units CloudWatch knows.
const (
	unitCount        = "Count"
	unitMilliseconds = "Milliseconds"
)

// maxDimensionValue is CloudWatch's limit on a dimension value's length.
const maxDimensionValue = 1024

// Recorder writes EMF records to one writer, a line at a time.
type Recorder struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// New returns a Recorder writing to w; now stamps each record (nil for
// time.Now).
func New(w io.Writer, now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	return &Recorder{w: w, now: now}
}

// std is where the package functions write: the process's standard output,
// which in Lambda is the function's log stream.
var (
	stdMu sync.RWMutex
	std   = New(os.Stdout, nil)
)

// SetDefault makes r the Recorder the package functions use and returns
// the previous one (the local stack and tests capture the records).
func SetDefault(r *Recorder) *Recorder {
	stdMu.Lock()
	defer stdMu.Unlock()
	old := std
	std = r
	return old
}

// Default returns the Recorder the package functions use.
func Default() *Recorder {
	stdMu.RLock()
	defer stdMu.RUnlock()
	return std
}

// Each record is published under its full dimension set and the roll-ups
// listed with it (CloudWatch cannot aggregate across dimensions, and an
// alarm needs one metric): [] is the metric over everything.

// CodeReceived records a code that reached the relay.
func CodeReceived(ctx context.Context, channel, source string) {
	Default().record(ctx, CodesReceived, unitCount, 1, dims{"Channel": channel, "Source": source},
		[]string{"Channel", "Source"}, []string{"Channel"}, []string{})
}

// CodeAttributed records a code matched to a pending checkpoint.
func CodeAttributed(ctx context.Context, reason string) {
	Default().record(ctx, CodesAttributed, unitCount, 1, dims{"Reason": reason}, []string{"Reason"}, []string{})
}

// CodeRefused records a code given to no checkpoint.
func CodeRefused(ctx context.Context, reason string) {
	Default().record(ctx, CodesRefused, unitCount, 1, dims{"Reason": reason}, []string{"Reason"}, []string{})
}

// ProviderCalled records the time from a code's arrival to the provider
// call that submits it.
func ProviderCalled(ctx context.Context, channel string, sinceArrival time.Duration) {
	Default().record(ctx, ArrivalToProviderCall, unitMilliseconds, millis(sinceArrival), dims{"Channel": channel},
		[]string{"Channel"}, []string{})
}

// Outcome records a provider call's outcome.
func Outcome(ctx context.Context, api, outcome string) {
	Default().record(ctx, Outcomes, unitCount, 1, dims{"API": api, "Outcome": outcome},
		[]string{"API", "Outcome"}, []string{"Outcome"})
}

// Connected records the time from a checkpoint's registration to its
// connected end.
func Connected(ctx context.Context, api string, sinceRegistration time.Duration) {
	Default().record(ctx, RegistrationToConnected, unitMilliseconds, millis(sinceRegistration), dims{"API": api},
		[]string{"API"}, []string{})
}

// CallbackFailed records a callback the relay gave up on.
func CallbackFailed(ctx context.Context, reason string) {
	Default().record(ctx, CallbacksFailed, unitCount, 1, dims{"Reason": reason}, []string{"Reason"}, []string{})
}

// ForwarderSilent records a forwarder found silent.
func ForwarderSilent(ctx context.Context, kind string) {
	Default().record(ctx, ForwardersSilent, unitCount, 1, dims{"Kind": kind}, []string{"Kind"}, []string{})
}

// dims are a record's dimension values by dimension name.
type dims map[string]string

func millis(d time.Duration) float64 {
	if d < 0 {
		d = 0
	}
	return float64(d) / float64(time.Millisecond)
}

// emfDirective is the _aws member of a record (the EMF specification).
type emfDirective struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfMetricSet `json:"CloudWatchMetrics"`
}

type emfMetricSet struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// record writes one record: the metric's value under its name, each
// dimension's value under the dimension's name, the dimension sets it is
// published under, and the Lambda request id (a property, not a
// dimension) to find the invocation's log lines.
func (r *Recorder) record(ctx context.Context, name, unit string, value float64, d dims, sets ...[]string) {
	rec := make(map[string]any, len(d)+3)
	for k, v := range d {
		if v == "" {
			v = "unknown"
		}
		if len(v) > maxDimensionValue {
			v = v[:maxDimensionValue]
		}
		rec[k] = v
	}
	rec[name] = value
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		rec["requestId"] = lc.AwsRequestID
	}
	rec["_aws"] = emfDirective{
		Timestamp: r.now().UnixMilli(),
		CloudWatchMetrics: []emfMetricSet{{
			Namespace:  Namespace,
			Dimensions: sets,
			Metrics:    []emfMetric{{Name: name, Unit: unit}},
		}},
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return // only plain strings and numbers go in: cannot happen
	}
	b = append(b, '\n')
	r.mu.Lock()
	defer r.mu.Unlock()
	// A metric is never worth failing the request it describes.
	_, _ = r.w.Write(b)
}
