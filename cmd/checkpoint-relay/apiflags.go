package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
)

// apiFlags are the flags solve and resend share: which API, where, with
// which key, for which account.
type apiFlags struct {
	api       string
	baseURL   string
	apiKey    string
	accountID string
	timeout   time.Duration
}

func (f *apiFlags) register(fs *flag.FlagSet, apiHelp string) {
	fs.StringVar(&f.api, "api", "", apiHelp)
	fs.StringVar(&f.baseURL, "base-url", "", "the API's base URL (default $<API>_BASE_URL, e.g. $POSTPRESS_BASE_URL)")
	fs.StringVar(&f.apiKey, "api-key", "", "the API key (default $<API>_API_KEY, e.g. $POSTPRESS_API_KEY)")
	fs.StringVar(&f.accountID, "account-id", "", "the account id (for edges, the identity uid)")
	fs.DurationVar(&f.timeout, "timeout", providerapi.DefaultTimeout, "deadline of the call")
}

// client builds the API client, filling the base URL and key from the
// environment when the flags leave them out.
func (f *apiFlags) client() (providerapi.Client, error) {
	api, err := checkpoint.ParseAPI(f.api)
	if err != nil {
		return nil, err
	}
	prefix := strings.ToUpper(string(api))
	if f.baseURL == "" {
		f.baseURL = os.Getenv(prefix + "_BASE_URL")
	}
	if f.apiKey == "" {
		f.apiKey = os.Getenv(prefix + "_API_KEY")
	}
	if f.baseURL == "" {
		return nil, fmt.Errorf("--base-url (or %s_BASE_URL) is required", prefix)
	}
	if f.apiKey == "" {
		return nil, fmt.Errorf("--api-key (or %s_API_KEY) is required", prefix)
	}
	if f.accountID == "" {
		return nil, errors.New("--account-id is required")
	}
	return providerapi.New(api, providerapi.Config{BaseURL: f.baseURL, APIKey: f.apiKey, Timeout: f.timeout})
}

// parseFlags parses args, writing flag errors and help to stderr. It
// returns the exit code to use when parsing ended the command.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return 2, false
	}
	return 0, true
}

// usageError reports a usage problem the flag package cannot see.
func usageError(fs *flag.FlagSet, stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "checkpoint-relay %s: %v\n", fs.Name(), err)
	return 2
}

// callResult prints a call's Result as one JSON object. A call the API does
// not offer was refused before any request: that is the operator's mistake,
// reported on stderr with exit code 1.
func callResult(name string, res providerapi.Result, err error, stdout, stderr io.Writer) int {
	if err != nil {
		fmt.Fprintf(stderr, "checkpoint-relay %s: %v\n", name, err)
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		fmt.Fprintf(stderr, "checkpoint-relay %s: writing the result: %v\n", name, err)
		return 1
	}
	return 0
}
