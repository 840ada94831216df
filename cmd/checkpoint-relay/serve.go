package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/localstack"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providersim"
)

func init() {
	commands["serve"] = command{
		summary: "run the whole relay locally: dynalite, gateway, Step Functions runner, simulator",
		run:     runServe,
	}
}

func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:3000", "gateway listen address")
	defScale := 1.0
	if v := os.Getenv("RELAY_TIME_SCALE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			fmt.Fprintf(stderr, "checkpoint-relay serve: RELAY_TIME_SCALE=%q is not a number\n", v)
			return 2
		}
		defScale = f
	}
	scale := fs.Float64("time-scale", defScale, "shrinks every wait, timeout and retry interval (0.01: five minutes in three seconds); default $RELAY_TIME_SCALE or 1")
	template := fs.String("template", "", "a template.yaml to run instead of the one built into the binary; its state machine definitions are read beside it, as its DefinitionUri says")
	simulate := fs.Bool("simulate", false, "answer every API from the built-in simulator even where a base URL is set (the default for each API without one)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: checkpoint-relay serve [--addr 127.0.0.1:3000] [--time-scale F] [--simulate] [--template FILE]")
		fs.PrintDefaults()
	}
	if exit, ok := parseFlags(fs, args, stderr); !ok {
		return exit
	}
	if *scale <= 0 || *scale > 1 {
		return usageError(fs, stderr, errors.New("--time-scale must be in (0, 1]"))
	}
	stack, err := localstack.Start(ctx, localstack.Options{Addr: *addr, TimeScale: *scale, Simulate: *simulate, Template: *template})
	if err != nil {
		fmt.Fprintf(stderr, "checkpoint-relay serve: %v\n", err)
		return 1
	}
	printWalkthrough(stdout, stack, selfCommand())
	<-ctx.Done()
	fmt.Fprintln(stdout, "\nshutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := stack.Close(shutdown); err != nil {
		fmt.Fprintf(stderr, "checkpoint-relay serve: shutdown: %v\n", err)
		return 1
	}
	return 0
}

// demoPhone receives the walkthrough's SMS; demoCallbackAddr is where its
// callback receiver listens.
const (
	demoPhone        = "+15005550006"
	demoCallbackAddr = "127.0.0.1:8098"
)

// walkthroughSecrets are the variables the walkthrough's commands read, in
// the order the export line gives them.
var walkthroughSecrets = []string{"RELAY_API_KEY", "TWILIO_AUTH_TOKEN", "CALLBACK_SIGNING_SECRET"}

// printWalkthrough prints the banner. Every command in it is a line
// starting with "   $ " (continued by lines starting with five spaces), and
// reads the relay's URL and secrets from the variables its first command
// exports, so the same commands work again and again.
func printWalkthrough(w io.Writer, s *localstack.Stack, self string) {
	sim := "none (real APIs)"
	if len(s.Simulated) > 0 {
		names := make([]string, len(s.Simulated))
		for i, a := range s.Simulated {
			names[i] = string(a)
		}
		sort.Strings(names)
		sim = strings.Join(names, ", ") + " at " + s.SimulatorURL + " (right code " + providersim.DefaultCode + "; control API in docs/simulator.md)"
	}
	// A secret the operator set is theirs (perhaps a real one): the banner
	// refers to it by name rather than print it into a terminal or CI log.
	keyLine := "as set in RELAY_API_KEY"
	if k, ok := s.Generated["RELAY_API_KEY"]; ok {
		keyLine = k
	}
	exports := []string{"RELAY_URL=" + s.URL}
	var kept []string
	for _, k := range walkthroughSecrets {
		if v, ok := s.Generated[k]; ok {
			exports = append(exports, k+"="+shellQuote(v))
		} else {
			kept = append(kept, k)
		}
	}
	keptNote := ""
	if len(kept) > 0 {
		keptNote = "\n   (" + strings.Join(kept, ", ") + ": export the values you gave serve.)"
	}
	generated := make([]string, 0, len(s.Generated))
	for k := range s.Generated {
		generated = append(generated, k)
	}
	sort.Strings(generated)
	genLine := "none"
	if len(generated) > 0 {
		genLine = strings.Join(generated, ", ")
	}
	fmt.Fprintf(w, `checkpoint-relay is up at %s (ready in %s)
  DynamoDB (dynalite)   %s  table %s
                        %s
  Step Functions API    %s  %s
  provider simulator    %s
  relay API key         %s
  generated secrets     %s
                        (set any of them before serve to choose its value)

Walkthrough, in another shell; run steps 3-5 as often as you like:

1. The relay's address and the local secrets the commands below use:

   $ export %s%s

2. Receive the callbacks, each verified with CALLBACK_SIGNING_SECRET (leave it running):

   $ %s demo callbacks --addr %s

3. Register a pending checkpoint whose SMS codes reach %s:

   $ curl -s "$RELAY_URL/v1/checkpoints" -H "Authorization: Bearer $RELAY_API_KEY" \
     -H 'Content-Type: application/json' \
     -d '{"api":"postpress","account_id":"acc_demo","provider":"LINKEDIN","type":"OTP","phone":"%s","callback_url":"http://%s/callback"}'

   It answers {"id", "status", "form_url", "expires_at"} and starts the state machine. Each
   registration is a new login: the code is needed again.

4. Send the code by SMS, signed as Twilio signs it, with a fresh MessageSid each time:

   $ %s demo sms --to %s --text 'Your LinkedIn verification code is %s.'

5. Watch it solve (the callback receiver prints the signed callback):

   $ curl -s "$RELAY_URL/v1/checkpoints/<id>" -H "Authorization: Bearer $RELAY_API_KEY"

Or register again and open its form_url in a browser: 000000 is a wrong code, %s the right one.
A registration with "totp_secret":"JBSWY3DPEHPK3PXP" connects by itself: the relay generates the code.

Press Ctrl-C to stop.
`, s.URL, s.Ready.Round(time.Millisecond), s.DynamoDBEndpoint, s.TableName, s.Dynalite, s.SFNEndpoint, s.StateMachineARN,
		sim, keyLine, genLine, strings.Join(exports, " "), keptNote, self, demoCallbackAddr, demoPhone, demoPhone, demoCallbackAddr,
		self, demoPhone, providersim.DefaultCode, providersim.DefaultCode)
}

// shellQuote quotes v for a POSIX shell when it needs it.
func shellQuote(v string) string {
	if strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/=+") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// selfCommand is how the walkthrough names this binary: as it was invoked
// when that was a path (bin/checkpoint-relay from make run, ./checkpoint-relay),
// else the name found on PATH.
func selfCommand() string {
	if strings.ContainsRune(os.Args[0], os.PathSeparator) {
		return os.Args[0]
	}
	return "checkpoint-relay"
}
