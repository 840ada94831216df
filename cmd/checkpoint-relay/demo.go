package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relaysig"
)

func init() {
	commands["demo"] = command{
		summary: "talk to a local relay as its senders do: send a Twilio-signed SMS, receive signed callbacks",
		run:     runDemo,
	}
}

// defaultRelayURL is where serve listens unless told otherwise.
const defaultRelayURL = "http://127.0.0.1:3000"

func runDemo(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "sms":
			return demoSMS(ctx, args[1:], stdout, stderr)
		case "callbacks":
			return demoCallbacks(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintln(stderr, "usage: checkpoint-relay demo sms --to +E164 --text TEXT   (a fresh Twilio-signed inbound SMS)")
	fmt.Fprintln(stderr, "       checkpoint-relay demo callbacks [--addr 127.0.0.1:8098]   (print verified callbacks)")
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		return 0
	}
	return 2
}

// demoSMS posts one inbound SMS to the relay's Twilio webhook exactly as
// Twilio does, with a fresh MessageSid each time (a repeated one is a
// retry, which the relay acknowledges and ignores) and the
// X-Twilio-Signature made with the auth token.
func demoSMS(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo sms", flag.ContinueOnError)
	relayURL := fs.String("relay", envOr("RELAY_URL", defaultRelayURL), "the relay's base URL; default $RELAY_URL or "+defaultRelayURL)
	publicURL := fs.String("public-url", os.Getenv("RELAY_PUBLIC_URL"), "the base URL the relay checks signatures against (its RELAY_PUBLIC_URL); default $RELAY_PUBLIC_URL or --relay")
	to := fs.String("to", "", "the number that receives the SMS (the checkpoint's phone), E.164")
	from := fs.String("from", "+15017122661", "the sender")
	text := fs.String("text", "", "the message text")
	token := fs.String("auth-token", os.Getenv("TWILIO_AUTH_TOKEN"), "the Twilio auth token the relay verifies with; default $TWILIO_AUTH_TOKEN")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: checkpoint-relay demo sms --to +E164 --text TEXT [--from +E164] [--relay URL] [--auth-token T]")
		fs.PrintDefaults()
	}
	if exit, ok := parseFlags(fs, args, stderr); !ok {
		return exit
	}
	switch {
	case *to == "" || *text == "":
		return usageError(fs, stderr, errors.New("--to and --text are required"))
	case *token == "":
		return usageError(fs, stderr, errors.New("no auth token: set TWILIO_AUTH_TOKEN (serve prints the one it generated) or pass --auth-token"))
	}
	base := strings.TrimRight(*relayURL, "/")
	signedBase := strings.TrimRight(*publicURL, "/")
	if signedBase == "" {
		signedBase = base
	}
	sid := make([]byte, 16)
	_, _ = rand.Read(sid)
	params := url.Values{
		"MessageSid": {"SM" + hex.EncodeToString(sid)},
		"AccountSid": {"ACdemo"},
		"From":       {*from},
		"To":         {*to},
		"Body":       {*text},
		"NumMedia":   {"0"},
	}
	const path = "/v1/webhooks/sms/twilio"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(params.Encode()))
	if err != nil {
		return usageError(fs, stderr, fmt.Errorf("--relay: %w", err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", inbound.TwilioSignature(*token, signedBase+path, params))
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "checkpoint-relay demo sms: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprintf(stdout, "sent %s to %s: %s %s\n", params.Get("MessageSid"), *to, resp.Status, strings.TrimSpace(string(body)))
	if resp.StatusCode/100 != 2 {
		return 1
	}
	return 0
}

// demoCallbacks serves a callback receiver that checks each callback as an
// app must (the HMAC over the raw body, a timestamp within five minutes)
// and prints it with the verdict.
func demoCallbacks(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo callbacks", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8098", "listen address; register callback_url http://<addr>/callback")
	secret := fs.String("secret", os.Getenv("CALLBACK_SIGNING_SECRET"), "the relay's callback signing secret; default $CALLBACK_SIGNING_SECRET")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: checkpoint-relay demo callbacks [--addr 127.0.0.1:8098] [--secret S]")
		fs.PrintDefaults()
	}
	if exit, ok := parseFlags(fs, args, stderr); !ok {
		return exit
	}
	if *secret == "" {
		return usageError(fs, stderr, errors.New("no secret: set CALLBACK_SIGNING_SECRET (serve prints the one it generated) or pass --secret"))
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "checkpoint-relay demo callbacks: %v\n", err)
		return 1
	}
	out := &lockedWriter{w: stdout}
	srv := &http.Server{Handler: callbackReceiver([]byte(*secret), out, time.Now), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "receiving callbacks on http://%s/callback\n", ln.Addr())
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "checkpoint-relay demo callbacks: %v\n", err)
		return 1
	}
	return 0
}

// maxCallbackSkew is the replay window README asks apps to apply.
const maxCallbackSkew = 5 * time.Minute

// callbackReceiver answers 204 to a callback whose signature and timestamp
// are good and 401 to any other, printing one line for each.
func callbackReceiver(secret []byte, out io.Writer, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || r.Method != http.MethodPost {
			http.Error(w, "POST a callback", http.StatusBadRequest)
			return
		}
		ts, sig := r.Header.Get(relaysig.HeaderTimestamp), r.Header.Get(relaysig.HeaderSignature)
		verdict := "signature verified"
		switch sec, perr := parseUnix(ts); {
		case !relaysig.Match(secret, ts, sig, body):
			verdict = "REFUSED: bad signature"
		case perr != nil || now().Sub(sec).Abs() > maxCallbackSkew:
			verdict = "REFUSED: timestamp outside five minutes"
		}
		var cb struct {
			CheckpointID string `json:"checkpoint_id"`
			Status       string `json:"status"`
			Reason       string `json:"reason"`
		}
		_ = json.Unmarshal(body, &cb)
		fmt.Fprintf(out, "callback %s %s %s (%s, delivery %s)\n  %s\n", cb.CheckpointID, cb.Status, cb.Reason, verdict,
			r.Header.Get(relay.HeaderDeliveryID), strings.TrimSpace(string(body)))
		if strings.HasPrefix(verdict, "REFUSED") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func parseUnix(s string) (time.Time, error) {
	sec, err := strconv.ParseInt(s, 10, 64)
	return time.Unix(sec, 0), err
}

// lockedWriter serialises the lines of concurrent callbacks.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
