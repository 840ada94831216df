package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
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
	printWalkthrough(stdout, stack)
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

// demoPhone receives the walkthrough's SMS.
const demoPhone = "+15005550006"

func printWalkthrough(w io.Writer, s *localstack.Stack) {
	sim := "none (real APIs)"
	if len(s.Simulated) > 0 {
		names := make([]string, len(s.Simulated))
		for i, a := range s.Simulated {
			names[i] = string(a)
		}
		sort.Strings(names)
		sim = strings.Join(names, ", ") + " at " + s.SimulatorURL + " (right code " + providersim.DefaultCode + ")"
	}
	// A key the operator set is theirs (perhaps a real one): the banner
	// refers to it by name rather than print it into a terminal or CI log.
	key, keyLine := "$RELAY_API_KEY", "as set in RELAY_API_KEY"
	if s.RelayAPIKeyGenerated {
		key, keyLine = s.RelayAPIKey, s.RelayAPIKey
	}
	fmt.Fprintf(w, `checkpoint-relay is up at %s (ready in %s)
  DynamoDB (dynalite)   %s  table %s
                        %s
  Step Functions API    %s  %s
  provider simulator    %s
  relay API key         %s

Walkthrough (in another shell):

1. Register a pending checkpoint whose SMS codes reach %s:

   curl -s %s/v1/checkpoints -H "Authorization: Bearer %s" \
     -H 'Content-Type: application/json' \
     -d '{"api":"postpress","account_id":"acc_demo","provider":"LINKEDIN","type":"OTP","phone":"%s"}'

   It answers {"id", "status", "form_url", "expires_at"} and starts the state machine.

2. Send the SMS as Twilio would (signed with the local TWILIO_AUTH_TOKEN):

%s

3. Watch it solve:   curl -s %s/v1/checkpoints/<id> -H "Authorization: Bearer %s"

4. Or open the form_url from step 1 in a browser and type %s.

Press Ctrl-C to stop.
`, s.URL, s.Ready.Round(time.Millisecond), s.DynamoDBEndpoint, s.TableName, s.Dynalite, s.SFNEndpoint, s.StateMachineARN,
		sim, keyLine, demoPhone, s.URL, key, demoPhone, twilioCurl(s.URL), s.URL, key, providersim.DefaultCode)
}

// twilioCurl is a curl command posting an inbound SMS exactly as Twilio
// does, with the X-Twilio-Signature Twilio would compute.
func twilioCurl(base string) string {
	target := strings.TrimRight(os.Getenv("RELAY_PUBLIC_URL"), "/") + "/v1/webhooks/sms/twilio"
	params := url.Values{
		"MessageSid": {"SM" + strconv.FormatInt(time.Now().UnixNano(), 16)},
		"AccountSid": {"ACdemo"},
		"From":       {"+15017122661"},
		"To":         {demoPhone},
		"Body":       {"Your LinkedIn verification code is " + providersim.DefaultCode + "."},
		"NumMedia":   {"0"},
	}
	sig := inbound.TwilioSignature(os.Getenv("TWILIO_AUTH_TOKEN"), target, params)
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var lines []string
	lines = append(lines, fmt.Sprintf("   curl -s %s/v1/webhooks/sms/twilio -H 'X-Twilio-Signature: %s'", base, sig))
	for _, k := range keys {
		lines = append(lines, fmt.Sprintf("     --data-urlencode '%s=%s'", k, params.Get(k)))
	}
	return strings.Join(lines, " \\\n")
}
