package metrics

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// record is an EMF record as CloudWatch reads it (the specification's
// structured log format: the _aws directive and the root members it names).
type record struct {
	AWS struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	} `json:"_aws"`
	root map[string]any
}

func readRecords(t *testing.T, b []byte) []record {
	t.Helper()
	var out []record
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("not one JSON object a line: %q: %v", sc.Text(), err)
		}
		if err := json.Unmarshal(sc.Bytes(), &r.root); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// checkSpec checks what CloudWatch requires of a record: one metric
// directive, every dimension and metric it names present at the root,
// dimension values strings, metric values numbers.
func checkSpec(t *testing.T, r record) {
	t.Helper()
	if len(r.AWS.CloudWatchMetrics) != 1 || r.AWS.Timestamp == 0 {
		t.Fatalf("directive %+v", r.AWS)
	}
	d := r.AWS.CloudWatchMetrics[0]
	if d.Namespace != Namespace || len(d.Dimensions) < 2 || len(d.Metrics) != 1 {
		t.Fatalf("directive %+v: want the full dimension set and a roll-up", d)
	}
	for _, set := range d.Dimensions {
		for _, dim := range set {
			if s, ok := r.root[dim].(string); !ok || s == "" {
				t.Errorf("dimension %s = %v, want a non-empty string at the root", dim, r.root[dim])
			}
		}
	}
	if _, ok := r.root[d.Metrics[0].Name].(float64); !ok {
		t.Errorf("metric %s = %v, want a number at the root", d.Metrics[0].Name, r.root[d.Metrics[0].Name])
	}
}

func capture(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	old := SetDefault(New(&buf, func() time.Time { return at }))
	t.Cleanup(func() { SetDefault(old) })
	return &buf
}

func TestEveryMetricIsOneEMFRecord(t *testing.T) {
	buf := capture(t)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	CodeReceived(ctx, "sms", "twilio")
	CodeAttributed(ctx, "most_recent")
	CodeRefused(ctx, "no_pending_checkpoint")
	ProviderCalled(ctx, "email", 1500*time.Millisecond)
	Outcome(ctx, "linkup", "connected")
	Connected(ctx, "postpress", 90*time.Second)
	CallbackFailed(ctx, "http_500")
	ForwarderSilent(ctx, "sms-gate")

	want := []struct {
		metric, unit string
		value        float64
		dims         map[string]string
		rollups      [][]string
	}{
		{CodesReceived, "Count", 1, map[string]string{"Channel": "sms", "Source": "twilio"}, [][]string{{"Channel"}, {}}},
		{CodesAttributed, "Count", 1, map[string]string{"Reason": "most_recent"}, [][]string{{}}},
		{CodesRefused, "Count", 1, map[string]string{"Reason": "no_pending_checkpoint"}, [][]string{{}}},
		{ArrivalToProviderCall, "Milliseconds", 1500, map[string]string{"Channel": "email"}, [][]string{{}}},
		{Outcomes, "Count", 1, map[string]string{"API": "linkup", "Outcome": "connected"}, [][]string{{"Outcome"}}},
		{RegistrationToConnected, "Milliseconds", 90000, map[string]string{"API": "postpress"}, [][]string{{}}},
		{CallbacksFailed, "Count", 1, map[string]string{"Reason": "http_500"}, [][]string{{}}},
		{ForwardersSilent, "Count", 1, map[string]string{"Kind": "sms-gate"}, [][]string{{}}},
	}
	recs := readRecords(t, buf.Bytes())
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d:\n%s", len(recs), len(want), buf)
	}
	for i, w := range want {
		r := recs[i]
		checkSpec(t, r)
		d := r.AWS.CloudWatchMetrics[0]
		if d.Metrics[0].Name != w.metric || d.Metrics[0].Unit != w.unit || r.root[w.metric] != w.value {
			t.Errorf("record %d: %s %s = %v, want %s %s = %v", i, d.Metrics[0].Name, d.Metrics[0].Unit, r.root[d.Metrics[0].Name], w.metric, w.unit, w.value)
		}
		got := map[string]string{}
		for _, dim := range d.Dimensions[0] {
			got[dim], _ = r.root[dim].(string)
		}
		if !reflect.DeepEqual(got, w.dims) {
			t.Errorf("%s dimensions %v, want %v", w.metric, got, w.dims)
		}
		if !reflect.DeepEqual(d.Dimensions[1:], w.rollups) {
			t.Errorf("%s roll-ups %v, want %v", w.metric, d.Dimensions[1:], w.rollups)
		}
		if r.root["requestId"] != "req-1" {
			t.Errorf("%s: requestId %v", w.metric, r.root["requestId"])
		}
		if r.AWS.Timestamp != time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli() {
			t.Errorf("timestamp %d", r.AWS.Timestamp)
		}
	}
}

// A dimension value left empty or too long still makes a record CloudWatch
// accepts; a negative duration (clock skew) is recorded as zero.
func TestBadValuesStillMakeValidRecords(t *testing.T) {
	buf := capture(t)
	CodeReceived(context.Background(), "", strings.Repeat("x", 5000))
	ProviderCalled(context.Background(), "sms", -time.Second)
	recs := readRecords(t, buf.Bytes())
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	checkSpec(t, recs[0])
	if recs[0].root["Channel"] != "unknown" || len(recs[0].root["Source"].(string)) != maxDimensionValue {
		t.Errorf("record %v", recs[0].root)
	}
	if _, ok := recs[0].root["requestId"]; ok {
		t.Error("a requestId outside an invocation")
	}
	if recs[1].root[ArrivalToProviderCall] != 0.0 {
		t.Errorf("negative duration recorded as %v", recs[1].root[ArrivalToProviderCall])
	}
}

// Records written from many goroutines stay whole lines.
func TestConcurrentRecordsDoNotInterleave(t *testing.T) {
	buf := capture(t)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			Outcome(context.Background(), "edges", "invalid_code")
		}()
	}
	wg.Wait()
	if recs := readRecords(t, buf.Bytes()); len(recs) != 50 {
		t.Fatalf("%d records, want 50", len(recs))
	}
}

func BenchmarkRecord(b *testing.B) {
	r := New(discard{}, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r.record(ctx, CodesReceived, unitCount, 1, dims{"Channel": "sms", "Source": "twilio"}, []string{"Channel", "Source"}, []string{})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
