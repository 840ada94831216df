// Command loadtest drives many checkpoints through the relay at once and
// reports what it saw: registration and webhook-to-solve latency, how long
// each execution took to end, state transitions and provider calls per
// path, and anything lost. It is a load script, not a test: run it by hand
// (or with `make load`) and read the table.
//
//	go run ./cmd/loadtest [--checkpoints 1000] [--concurrency 200] [--time-scale 0.05] [--json]
//
// The default time scale, 0.05, makes the five-minute code wait fifteen
// seconds: longer than registration plus delivery take at the p99 of a
// 1,000-checkpoint burst on two cores, so what is lost is the relay's
// doing. --time-scale 0.01 (three-second waits) is a stress setting: there
// codes arrive after their wait has ended, and the report says so for each.
//
// By default it starts the whole local stack in this process
// (localstack.Start: dynalite, the gateway, the ASL runner, the provider
// simulator) on a free loopback port. With --url it drives a stack that is
// already running (`checkpoint-relay serve`) instead; then --api-key,
// --twilio-token, --sms-secret, --email-secret and --sim-url must name what
// that stack printed or was given, and the figures only the runner knows
// (state transitions, execution status) are left out.
//
// Every checkpoint has its own account id, phone number or email address,
// and its own right code programmed in the simulator, so a code solved for
// the wrong checkpoint cannot go unnoticed. All checkpoints are live at
// once; --concurrency bounds the HTTP requests in flight.
//
// The exit status is 1 when anything was lost (a checkpoint that did not end
// connected, an execution still running or failed, a webhook answered
// non-2xx, a callback that never came), 2 on a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command line.
type options struct {
	checkpoints int
	concurrency int
	timeScale   float64
	timeout     time.Duration
	// solveDelay is how late the simulator answers each solve, in the
	// stack's time (scaled as its waits are): a slow provider.
	solveDelay time.Duration
	mix        string
	seed       uint64
	jsonOut    bool
	verbose    bool

	// A stack already running elsewhere on loopback.
	url            string
	publicURL      string
	apiKey         string
	simURL         string
	twilioToken    string
	smsSecret      string
	emailSecret    string
	callbackSecret string
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.checkpoints, "checkpoints", 1000, "checkpoints to drive, all live at once")
	fs.IntVar(&o.concurrency, "concurrency", 200, "HTTP requests in flight at most (registrations take at most half)")
	fs.Float64Var(&o.timeScale, "time-scale", 0.05, "time scale of the in-process stack (0.05: a five-minute wait lasts fifteen seconds; 0.01, three seconds, is a stress setting)")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up driving after this long and report what is still running as lost")
	fs.DurationVar(&o.solveDelay, "solve-delay", 0, "the simulator answers every solve this late, in the stack's time (2s at time scale 0.05 is 100 ms): a slow provider")
	fs.StringVar(&o.mix, "mix", defaultMix, "share of each path, name=weight, comma-separated")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the path order and the codes, so two runs drive the same load")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON instead of tables")
	fs.BoolVar(&o.verbose, "v", false, "also print the relay's warnings and errors as they happen")
	fs.StringVar(&o.url, "url", "", "base URL of a running relay on loopback; empty starts one in this process")
	fs.StringVar(&o.publicURL, "public-url", "", "the relay's RELAY_PUBLIC_URL, the URL Twilio signs (default --url)")
	fs.StringVar(&o.apiKey, "api-key", "", "with --url: the relay API key (RELAY_API_KEY)")
	fs.StringVar(&o.simURL, "sim-url", "", "with --url: the provider simulator's base URL")
	fs.StringVar(&o.twilioToken, "twilio-token", "", "with --url: TWILIO_AUTH_TOKEN")
	fs.StringVar(&o.smsSecret, "sms-secret", "", "with --url: SMS_WEBHOOK_SECRET")
	fs.StringVar(&o.emailSecret, "email-secret", "", "with --url: EMAIL_WEBHOOK_SECRET")
	fs.StringVar(&o.callbackSecret, "callback-secret", "", "with --url: CALLBACK_SIGNING_SECRET, to check the callbacks' signatures (empty: not checked)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: loadtest [--checkpoints N] [--concurrency N] [--time-scale F] [--json] [--url URL --api-key K --sim-url URL --twilio-token T --sms-secret S --email-secret S]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.checkpoints < 1 || o.checkpoints > maxCheckpoints:
		return o, fmt.Errorf("--checkpoints must be between 1 and %d", maxCheckpoints)
	case o.concurrency < 2:
		return o, errors.New("--concurrency must be at least 2")
	case o.timeScale <= 0 || o.timeScale > 1:
		return o, errors.New("--time-scale must be in (0, 1]")
	case o.timeout <= 0:
		return o, errors.New("--timeout must be positive")
	}
	if o.url != "" {
		if o.apiKey == "" || o.simURL == "" || o.twilioToken == "" || o.smsSecret == "" || o.emailSecret == "" {
			return o, errors.New("--url needs --api-key, --sim-url, --twilio-token, --sms-secret and --email-secret")
		}
		for _, u := range []string{o.url, o.simURL, o.publicURL} {
			if u != "" && !loopbackURL(u) {
				return o, fmt.Errorf("%s is not a loopback URL: the load goes to this machine only", u)
			}
		}
		if o.publicURL == "" {
			o.publicURL = o.url
		}
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 2
	}
	mix, err := parseMix(o.mix)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: --mix: %v\n", err)
		return 2
	}
	logs := newLogCounter(stderr, o.verbose)

	t, err := newTarget(ctx, o, logs)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 1
	}
	defer func() {
		closing, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := t.close(closing); err != nil {
			fmt.Fprintf(stderr, "loadtest: stopping the stack: %v\n", err)
		}
	}()

	plans := makePlans(o.checkpoints, mix, o.seed)
	if !o.jsonOut {
		fmt.Fprintf(stderr, "driving %d checkpoints (%s) against %s, %d requests in flight at most...\n",
			len(plans), describeMix(plans), t.url, o.concurrency)
	}
	d, err := newDriver(t, o)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 1
	}
	defer d.close()
	loadBefore := loadAvg()
	cpuBefore := readCPU()
	pr := startProbes(ctx, t)
	began := time.Now()
	results := d.drive(ctx, plans)
	wall := time.Since(began)
	health, dynamo, probeErrs := pr.finish()

	rep := buildReport(ctx, o, t, d, plans, results, wall, logs)
	rep.HealthProbe, rep.DynamoDBProbe, rep.ProbeErrors = health, dynamo, probeErrs
	rep.CPUSeconds = readCPU().since(cpuBefore)
	rep.LoadAverage = [2]string{loadBefore, loadAvg()}
	if o.jsonOut {
		if err := writeJSON(stdout, rep); err != nil {
			fmt.Fprintf(stderr, "loadtest: %v\n", err)
			return 1
		}
	} else {
		writeTables(stdout, rep)
	}
	if rep.Lost.Total > 0 {
		return 1
	}
	return 0
}
