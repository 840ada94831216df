package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/checkpoint-relay/checkpoint-relay/internal/extract"
)

func init() {
	commands["extract"] = command{
		summary: "read the code out of one SMS or e-mail given on stdin",
		run:     runExtract,
	}
}

// Input limits: an SMS is at most a few concatenated segments; a code mail
// is tens of kilobytes, a few megabytes with inline images.
const (
	maxSMSInput   = 64 << 10
	maxEmailInput = 8 << 20
)

// extractOutput is the JSON the command prints; code and service are null
// when absent.
type extractOutput struct {
	Code       *string `json:"code"`
	Service    *string `json:"service"`
	Confidence float64 `json:"confidence"`
	Reason     string  `json:"reason"`
}

// runExtract reads one message from stdin and prints what extract found.
// Finding no code is a result, not a failure: the exit code is 0 either way.
func runExtract(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	channel := fs.String("channel", "sms", "sms (the text of a text message) or email (a raw RFC 5322 message, or plain text)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: checkpoint-relay extract [--channel sms|email] < message")
		fs.PrintDefaults()
	}
	if exit, ok := parseFlags(fs, args, stderr); !ok {
		return exit
	}
	limit := int64(maxSMSInput)
	switch *channel {
	case "sms":
	case "email":
		limit = maxEmailInput
	default:
		return usageError(fs, stderr, fmt.Errorf("unknown channel %q: want sms or email", *channel))
	}
	msg, err := io.ReadAll(io.LimitReader(stdin, limit+1))
	if err != nil {
		fmt.Fprintf(stderr, "checkpoint-relay extract: reading stdin: %v\n", err)
		return 1
	}
	if int64(len(msg)) > limit {
		fmt.Fprintf(stderr, "checkpoint-relay extract: message larger than %d bytes\n", limit)
		return 1
	}
	var res extract.Result
	if *channel == "email" {
		res = extract.Email(msg)
	} else {
		res = extract.SMS(string(msg))
	}
	out := extractOutput{Confidence: res.Confidence, Reason: res.Reason}
	if res.Code != "" {
		out.Code = &res.Code
	}
	if res.Service != "" {
		out.Service = &res.Service
	}
	if err := json.NewEncoder(stdout).Encode(out); err != nil {
		fmt.Fprintf(stderr, "checkpoint-relay extract: writing the result: %v\n", err)
		return 1
	}
	return 0
}
