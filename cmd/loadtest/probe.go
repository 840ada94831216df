package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkpoint-relay/checkpoint-relay/internal/localstack"
)

// probeInterval spaces the probes: often enough for percentiles over a
// run of a few seconds, rarely enough to add nothing to the load.
const probeInterval = 100 * time.Millisecond

// probes time one cheap request to each part of the stack while the load
// runs: GET /v1/health (the gateway and the Go scheduler, no storage) and
// a GetItem of a missing key straight to dynalite. When the relay slows
// down, the two together say whether the time goes to DynamoDB or to the
// relay's own process.
type probes struct {
	mu     sync.Mutex
	health []time.Duration
	dynamo []time.Duration
	errs   int
	wg     sync.WaitGroup
	stop   context.CancelFunc
}

func startProbes(ctx context.Context, t *target) *probes {
	ctx, cancel := context.WithCancel(ctx)
	p := &probes{stop: cancel}
	client := &http.Client{Timeout: 30 * time.Second}
	p.loop(ctx, func(ctx context.Context) (time.Duration, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url+"/v1/health", nil)
		if err != nil {
			return 0, err
		}
		began := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return time.Since(began), nil
	}, &p.health)
	if t.stack != nil {
		db := dynamodb.New(dynamodb.Options{
			Region:       localstack.Region,
			BaseEndpoint: aws.String(t.stack.DynamoDBEndpoint),
			Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		})
		key := map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "LOADTEST#probe"},
			"sk": &types.AttributeValueMemberS{Value: "probe"},
		}
		p.loop(ctx, func(ctx context.Context) (time.Duration, error) {
			began := time.Now()
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.stack.TableName), Key: key})
			return time.Since(began), err
		}, &p.dynamo)
	}
	return p
}

func (p *probes) loop(ctx context.Context, probe func(context.Context) (time.Duration, error), into *[]time.Duration) {
	p.wg.Go(func() {
		tick := time.NewTicker(probeInterval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			d, err := probe(ctx)
			p.mu.Lock()
			if err != nil {
				if ctx.Err() == nil {
					p.errs++
				}
			} else {
				*into = append(*into, d)
			}
			p.mu.Unlock()
		}
	})
}

// finish stops the probes and summarises them.
func (p *probes) finish() (health, dynamo latency, errs int) {
	p.stop()
	p.wg.Wait()
	return summarize(p.health), summarize(p.dynamo), p.errs
}

// cpuTimes is the CPU time (user + system) of this process and of each
// child process by command name (dynalite runs as "node"), read from
// /proc: the load, the relay's functions, the runner and the simulator all
// run in this process, DynamoDB in the child. Empty where /proc is not.
type cpuTimes map[string]time.Duration

// clockTick is USER_HZ, 100 on every Linux the stack runs on.
const clockTick = 10 * time.Millisecond

func readCPU() cpuTimes {
	out := cpuTimes{}
	self := os.Getpid()
	if comm, _, ticks, ok := procStat("/proc/self/stat"); ok {
		out["this process ("+comm+")"] = ticks
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		comm, ppid, ticks, ok := procStat(f)
		if ok && ppid == self {
			out["child "+comm] += ticks
		}
	}
	return out
}

// procStat reads a /proc/<pid>/stat: the command name, the parent pid and
// utime + stime.
func procStat(file string) (comm string, ppid int, cpu time.Duration, ok bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", 0, 0, false
	}
	s := string(data)
	// The command name is in parentheses and may itself hold spaces.
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return "", 0, 0, false
	}
	comm = s[open+1 : closing]
	fields := strings.Fields(s[closing+1:])
	// fields[0] is the state (field 3); ppid is field 4, utime 14, stime 15.
	if len(fields) < 13 {
		return "", 0, 0, false
	}
	ppid, _ = strconv.Atoi(fields[1])
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return comm, ppid, time.Duration(utime+stime) * clockTick, true
}

// since is the CPU used between two readings.
func (c cpuTimes) since(before cpuTimes) map[string]float64 {
	out := map[string]float64{}
	for k, v := range c {
		out[k] = (v - before[k]).Seconds()
	}
	return out
}

// loadAvg is the machine's one-minute load average, "" where /proc is not:
// on a shared machine it says how much of the CPU the run could have.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
