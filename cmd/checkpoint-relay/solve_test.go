package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeProvider answers every request with one fixed answer and records the
// requests it received.
type fakeProvider struct {
	*httptest.Server
	mu     sync.Mutex
	paths  []string
	bodies []string
	keys   []string
}

func newFakeProvider(t *testing.T, status int, body string) *fakeProvider {
	t.Helper()
	f := &fakeProvider{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.paths = append(f.paths, r.URL.Path)
		f.bodies = append(f.bodies, string(raw))
		f.keys = append(f.keys, r.Header.Get("X-Api-Key"))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeProvider) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.paths)
}

// runCLI runs the CLI as main does and returns exit code, stdout, stderr.
func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestSolvePrintsOneResultWhateverTheOutcome(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		args     []string
		wantPath string
		wantBody string
		wantOut  map[string]any
	}{
		{"postpress connected", 201, `{"object":"AccountCreated","account_id":"acc_1"}`,
			[]string{"--api", "postpress", "--account-id", "acc_1", "--code", "123456"},
			"/v1/accounts/checkpoint", `{"account_id":"acc_1","provider":"LINKEDIN","code":"123456"}`,
			map[string]any{"outcome": "connected", "http_status": 201.0, "account_id": "acc_1"}},
		{"postpress wrong code is still exit 0", 401,
			`{"title":"Unauthorized","detail":"The checkpoint resolution did not pass successfully. Please retry.","type":"errors/invalid_checkpoint_solution","status":401}`,
			[]string{"--api", "postpress", "--account-id", "acc_1", "--provider", "INSTAGRAM", "--code", "000000"},
			"/v1/accounts/checkpoint", `{"account_id":"acc_1","provider":"INSTAGRAM","code":"000000"}`,
			map[string]any{"outcome": "invalid_code", "http_status": 401.0, "account_id": "acc_1",
				"error_type": "errors/invalid_checkpoint_solution", "detail": "The checkpoint resolution did not pass successfully. Please retry."}},
		{"postpress chained checkpoint", 201, `{"object":"Checkpoint","account_id":"acc_1","checkpoint":{"type":"OTP"}}`,
			[]string{"--api", "postpress", "--account-id", "acc_1", "--code", "TRY_ANOTHER_WAY"},
			"/v1/accounts/checkpoint", `{"account_id":"acc_1","provider":"LINKEDIN","code":"TRY_ANOTHER_WAY"}`,
			map[string]any{"outcome": "next_checkpoint", "http_status": 201.0, "account_id": "acc_1", "next_checkpoint": map[string]any{"type": "OTP"}}},
		{"linkup keeps the credits", 200, `{"success":true,"data":{"account_id":"a1","status":"connected"},"metadata":{"action":"checkpoint","credits_consumed":1}}`,
			[]string{"--api", "linkup", "--account-id", "a1", "--code", "123456"},
			"/v2/checkpoint", `{"account_id":"a1","code":"123456"}`,
			map[string]any{"outcome": "connected", "http_status": 200.0, "account_id": "a1", "credits_consumed": 1.0}},
		{"linkup app challenge sends no code", 200, `{"success":true,"data":{"account_id":"a1","status":"pending"},"metadata":{"credits_consumed":1}}`,
			[]string{"--api", "linkup", "--account-id", "a1", "--type", "app_challenge"},
			"/v2/checkpoint", `{"account_id":"a1"}`,
			map[string]any{"outcome": "pending", "http_status": 200.0, "account_id": "a1", "credits_consumed": 1.0}},
		{"edges poll without a code", 400, `{"error_label":"IN_APP_CHALLENGE_PENDING","error_scope":"checkpoint","error_ref":"ERR-1","message":"Waiting","status_code":400,"params":{}}`,
			[]string{"--api", "edges", "--account-id", "5678e456"},
			"/v1/identities/5678e456/integrations/linkedin/checkpoint", `{}`,
			map[string]any{"outcome": "pending", "http_status": 400.0, "account_id": "5678e456",
				"error_type": "IN_APP_CHALLENGE_PENDING", "detail": "Waiting (ref ERR-1)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeProvider(t, tt.status, tt.body)
			args := append([]string{"solve", "--base-url", f.URL, "--api-key", "k-123"}, tt.args...)
			code, out, errOut := runCLI(args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("stdout is not one JSON object: %q", out)
			}
			wantJSON, _ := json.Marshal(tt.wantOut)
			gotJSON, _ := json.Marshal(got)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("stdout %s, want %s", gotJSON, wantJSON)
			}
			if strings.Count(strings.TrimSpace(out), "\n") != 0 {
				t.Errorf("stdout has more than one line: %q", out)
			}
			if f.calls() != 1 || f.paths[0] != tt.wantPath || f.bodies[0] != tt.wantBody || f.keys[0] != "k-123" {
				t.Errorf("requests %v %v keys %v, want one to %s with %s", f.paths, f.bodies, f.keys, tt.wantPath, tt.wantBody)
			}
		})
	}
}

func TestSolveFallsBackToTheEnvironment(t *testing.T) {
	f := newFakeProvider(t, 201, `{"object":"AccountCreated","account_id":"acc_9"}`)
	t.Setenv("POSTPRESS_BASE_URL", f.URL)
	t.Setenv("POSTPRESS_API_KEY", "from-env")
	t.Setenv("EDGES_API_KEY", "wrong-api")
	code, out, errOut := runCLI("solve", "--api", "postpress", "--account-id", "acc_9", "--code", "1")
	if code != 0 || !strings.Contains(out, `"outcome":"connected"`) {
		t.Fatalf("exit %d out %q err %q", code, out, errOut)
	}
	if f.keys[0] != "from-env" {
		t.Fatalf("key %q, want the POSTPRESS_API_KEY value", f.keys[0])
	}
}

func TestSolveFlagsWinOverTheEnvironment(t *testing.T) {
	f := newFakeProvider(t, 201, `{"object":"AccountCreated","account_id":"acc_9"}`)
	t.Setenv("POSTPRESS_BASE_URL", "http://127.0.0.1:1")
	t.Setenv("POSTPRESS_API_KEY", "from-env")
	code, _, errOut := runCLI("solve", "--api", "postpress", "--base-url", f.URL, "--api-key", "from-flag", "--account-id", "a", "--code", "1")
	if code != 0 || f.calls() != 1 || f.keys[0] != "from-flag" {
		t.Fatalf("exit %d err %q keys %v", code, errOut, f.keys)
	}
}

func TestSolveTransportFailureIsAResultNotAnExitCode(t *testing.T) {
	code, out, errOut := runCLI("solve", "--api", "edges", "--base-url", "http://127.0.0.1:1", "--api-key", "k", "--account-id", "u", "--code", "1")
	if code != 0 || !strings.Contains(out, `"outcome":"retry"`) {
		t.Fatalf("exit %d out %q err %q", code, out, errOut)
	}
}

func TestBadUsageExitsNonZeroWithoutCalling(t *testing.T) {
	f := newFakeProvider(t, 201, `{"object":"AccountCreated","account_id":"a"}`)
	base := []string{"--base-url", f.URL, "--api-key", "k"}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown api", append([]string{"solve", "--api", "acme", "--account-id", "a", "--code", "1"}, base...), "unknown api"},
		{"missing api", append([]string{"solve", "--account-id", "a", "--code", "1"}, base...), "unknown api"},
		{"missing account", append([]string{"solve", "--api", "postpress", "--code", "1"}, base...), "--account-id is required"},
		{"missing key", []string{"solve", "--api", "linkup", "--base-url", f.URL, "--account-id", "a"}, "LINKUP_API_KEY"},
		{"missing base URL", []string{"solve", "--api", "edges", "--api-key", "k", "--account-id", "a"}, "EDGES_BASE_URL"},
		{"unknown provider", append([]string{"solve", "--api", "postpress", "--account-id", "a", "--provider", "MYSPACE", "--code", "1"}, base...), "unknown provider"},
		{"unknown type", append([]string{"solve", "--api", "linkup", "--account-id", "a", "--type", "dance"}, base...), "unknown checkpoint type"},
		{"unknown flag", append([]string{"solve", "--api", "postpress", "--color"}, base...), "flag provided but not defined"},
		{"stray argument", append([]string{"solve", "--api", "postpress", "--account-id", "a"}, append(base, "extra")...), "unexpected argument"},
		{"postpress cannot poll", append([]string{"solve", "--api", "postpress", "--account-id", "a"}, base...), "not supported"},
		{"resend without provider", append([]string{"resend", "--api", "postpress", "--account-id", "a"}, base...), "--provider is required"},
		{"resend for TWITTER", append([]string{"resend", "--api", "postpress", "--account-id", "a", "--provider", "TWITTER"}, base...), "not supported"},
		{"resend on edges", append([]string{"resend", "--api", "edges", "--account-id", "a", "--provider", "LINKEDIN"}, base...), "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("LINKUP_API_KEY", "")
			t.Setenv("EDGES_BASE_URL", "")
			code, out, errOut := runCLI(tt.args...)
			if code == 0 {
				t.Fatalf("exit 0, out %q", out)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q, want it to mention %q", errOut, tt.wantErr)
			}
			if f.calls() != 0 {
				t.Fatalf("%d calls made", f.calls())
			}
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, cmd := range []string{"solve", "resend"} {
		code, out, errOut := runCLI(cmd, "-h")
		if code != 0 || out != "" || !strings.Contains(errOut, "usage: checkpoint-relay "+cmd) {
			t.Errorf("%s -h: exit %d out %q err %q", cmd, code, out, errOut)
		}
	}
}
