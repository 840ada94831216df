package providersim

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
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
)

// clock is a settable clock for intent expiry.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// step is one call made through the real client, and what it must give.
type step struct {
	code    string // "" polls
	typ     checkpoint.Type
	resend  bool
	advance time.Duration // clock moves before the call
	want    checkpoint.Outcome
	// wantNext is the chained checkpoint type expected with next_checkpoint.
	wantNext checkpoint.Type
}

func newSim(t *testing.T) (*Simulator, *clock, string) {
	t.Helper()
	clk := &clock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	sim := New(Config{Now: clk.Now, Keys: map[checkpoint.API]string{checkpoint.APIPostpress: "pp-key"}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, clk, srv.URL
}

func keyFor(api checkpoint.API) string {
	if api == checkpoint.APIPostpress {
		return "pp-key"
	}
	return DefaultAPIKey
}

// TestBehavioursThroughTheRealClients drives every programmed behaviour
// through the providerapi clients, which makes it an integration test of
// both: the simulator answers in the documented shapes, and the clients
// reduce those answers to the right outcomes.
func TestBehavioursThroughTheRealClients(t *testing.T) {
	tests := []struct {
		name      string
		account   *Account // nil: the default account
		api       checkpoint.API
		provider  checkpoint.Provider
		steps     []step
		wantStats Stats
	}{
		{"postpress default account: right code connects", nil, checkpoint.APIPostpress, checkpoint.ProviderLinkedIn,
			[]step{{code: DefaultCode, want: checkpoint.Connected}},
			Stats{State: StateConnected, Checkpoint: "2FA", SolveCalls: 1, CodesReceived: 1}},
		{"postpress wrong code then right code", nil, checkpoint.APIPostpress, checkpoint.ProviderLinkedIn,
			[]step{{code: "000000", want: checkpoint.InvalidCode}, {code: DefaultCode, want: checkpoint.Connected}},
			Stats{State: StateConnected, Checkpoint: "2FA", SolveCalls: 2, CodesReceived: 2, WrongCodes: 1}},
		{"postpress chained checkpoint", &Account{Code: "777777", Chain: []checkpoint.Type{"OTP", "2FA"}}, checkpoint.APIPostpress, checkpoint.ProviderLinkedIn,
			[]step{{code: "777777", want: checkpoint.NextCheckpoint, wantNext: "OTP"}, {code: "777777", want: checkpoint.NextCheckpoint, wantNext: "2FA"}, {code: "777777", want: checkpoint.Connected}},
			Stats{State: StateConnected, Checkpoint: "2FA", SolveCalls: 3, CodesReceived: 3}},
		{"postpress TRY_ANOTHER_WAY switches to 2FA", &Account{Type: checkpoint.TypeInAppValidation}, checkpoint.APIPostpress, checkpoint.ProviderLinkedIn,
			[]step{{code: providerapi.TryAnotherWay, want: checkpoint.NextCheckpoint, wantNext: "2FA"}, {code: DefaultCode, want: checkpoint.Connected}},
			Stats{State: StateConnected, Checkpoint: "2FA", SolveCalls: 2, CodesReceived: 2}},
		{"postpress phone number in the documented form", &Account{Code: "(+33)0612345678", Type: checkpoint.TypePhoneRegister}, checkpoint.APIPostpress, checkpoint.ProviderLinkedIn,
			[]step{{code: "+33612345678", want: checkpoint.Connected}},
			Stats{State: StateConnected, Checkpoint: "PHONE_REGISTER", SolveCalls: 1, CodesReceived: 1}},
		{"postpress intent expires", &Account{ExpireAfterSeconds: 270}, checkpoint.APIPostpress, checkpoint.ProviderLinkedIn,
			[]step{{code: "1", want: checkpoint.InvalidCode}, {advance: 271 * time.Second, code: DefaultCode, want: checkpoint.Restart}, {resend: true, want: checkpoint.Restart}},
			Stats{State: StateExpired, Checkpoint: "2FA", SolveCalls: 2, CodesReceived: 1, WrongCodes: 1, ResendCalls: 1}},
		{"postpress wrong codes kill the intent", &Account{KillAfterWrongCodes: 2}, checkpoint.APIPostpress, checkpoint.ProviderInstagram,
			[]step{{code: "1", want: checkpoint.InvalidCode}, {code: "2", want: checkpoint.InvalidCode}, {code: DefaultCode, want: checkpoint.Restart}},
			Stats{State: StateKilled, Checkpoint: "2FA", SolveCalls: 3, CodesReceived: 2, WrongCodes: 2}},
		{"postpress resend then code", nil, checkpoint.APIPostpress, checkpoint.ProviderLinkedIn,
			[]step{{resend: true, want: checkpoint.Resent}, {resend: true, want: checkpoint.Resent}, {code: DefaultCode, want: checkpoint.Connected}},
			Stats{State: StateConnected, Checkpoint: "2FA", SolveCalls: 1, CodesReceived: 1, ResendCalls: 2}},
		{"postpress unacknowledged resend", &Account{ResendUnacknowledged: true}, checkpoint.APIPostpress, checkpoint.ProviderMessenger,
			[]step{{resend: true, want: checkpoint.Retry}},
			Stats{State: StatePending, Checkpoint: "2FA", ResendCalls: 1}},
		{"postpress outage then success", &Account{OutageNext: 2}, checkpoint.APIPostpress, checkpoint.ProviderLinkedIn,
			[]step{{code: DefaultCode, want: checkpoint.Retry}, {resend: true, want: checkpoint.Retry}, {code: DefaultCode, want: checkpoint.Connected}},
			Stats{State: StateConnected, Checkpoint: "2FA", SolveCalls: 2, CodesReceived: 1, ResendCalls: 1, OutagesServed: 2}},

		{"linkup right code connects and costs a credit", nil, checkpoint.APILinkup, "",
			[]step{{code: DefaultCode, typ: checkpoint.TypeCodeChallenge, want: checkpoint.Connected}},
			Stats{State: StateConnected, Checkpoint: "2FA", SolveCalls: 1, CodesReceived: 1, CreditsConsumed: 1}},
		{"linkup wrong code", nil, checkpoint.APILinkup, "",
			[]step{{code: "999999", want: checkpoint.InvalidCode}, {code: DefaultCode, want: checkpoint.Connected}},
			Stats{State: StateConnected, Checkpoint: "2FA", SolveCalls: 2, CodesReceived: 2, WrongCodes: 1, CreditsConsumed: 2}},
		{"linkup app challenge approved on the third poll", &Account{Type: checkpoint.TypeAppChallenge}, checkpoint.APILinkup, "",
			[]step{{typ: checkpoint.TypeAppChallenge, want: checkpoint.Pending}, {typ: checkpoint.TypeAppChallenge, want: checkpoint.Pending}, {typ: checkpoint.TypeAppChallenge, want: checkpoint.Connected}},
			Stats{State: StateConnected, Checkpoint: "app_challenge", SolveCalls: 3, Polls: 3, CreditsConsumed: 3}},
		{"linkup chained challenge", &Account{Chain: []checkpoint.Type{checkpoint.TypeCodeChallenge}}, checkpoint.APILinkup, "",
			[]step{{code: DefaultCode, want: checkpoint.NextCheckpoint, wantNext: "code_challenge"}, {code: DefaultCode, want: checkpoint.Connected}},
			Stats{State: StateConnected, Checkpoint: "code_challenge", SolveCalls: 2, CodesReceived: 2, CreditsConsumed: 2}},
		{"linkup session expires", &Account{ExpireAfterSeconds: 60}, checkpoint.APILinkup, "",
			[]step{{advance: time.Minute, code: DefaultCode, want: checkpoint.Restart}},
			Stats{State: StateExpired, Checkpoint: "2FA", SolveCalls: 1, CreditsConsumed: 1}},
		{"linkup outage", &Account{OutageNext: 1}, checkpoint.APILinkup, "",
			[]step{{code: DefaultCode, want: checkpoint.Retry}, {code: DefaultCode, want: checkpoint.Connected}},
			Stats{State: StateConnected, Checkpoint: "2FA", SolveCalls: 2, CodesReceived: 1, OutagesServed: 1, CreditsConsumed: 2}},

		{"edges right code connects", nil, checkpoint.APIEdges, checkpoint.ProviderLinkedIn,
			[]step{{code: DefaultCode, want: checkpoint.Connected}},
			Stats{State: StateConnected, Checkpoint: "2FA", SolveCalls: 1, CodesReceived: 1}},
		{"edges wrong code", nil, checkpoint.APIEdges, checkpoint.ProviderLinkedIn,
			[]step{{code: "111111", want: checkpoint.InvalidCode}},
			Stats{State: StatePending, Checkpoint: "2FA", SolveCalls: 1, CodesReceived: 1, WrongCodes: 1}},
		{"edges in-app approval after N polls", &Account{Type: checkpoint.TypeInAppValidation, ApproveAfterPolls: 2}, checkpoint.APIEdges, checkpoint.ProviderLinkedIn,
			[]step{{want: checkpoint.Pending}, {want: checkpoint.Connected}, {want: checkpoint.Connected}},
			Stats{State: StateConnected, Checkpoint: "IN_APP_VALIDATION", SolveCalls: 3, Polls: 2}},
		{"edges in-app validation expires", &Account{Type: checkpoint.TypeInAppValidation, ApproveAfterPolls: -1, ExpireAfterSeconds: 300}, checkpoint.APIEdges, checkpoint.ProviderLinkedIn,
			[]step{{want: checkpoint.Pending}, {advance: 5 * time.Minute, want: checkpoint.Restart}},
			Stats{State: StateExpired, Checkpoint: "IN_APP_VALIDATION", SolveCalls: 2, Polls: 1}},
		{"edges code after expiry", &Account{ExpireAfterSeconds: 10}, checkpoint.APIEdges, checkpoint.ProviderLinkedIn,
			[]step{{advance: 11 * time.Second, code: DefaultCode, want: checkpoint.Restart}},
			Stats{State: StateExpired, Checkpoint: "2FA", SolveCalls: 1}},
		{"edges outage answers LK_ERROR", &Account{OutageNext: 1}, checkpoint.APIEdges, checkpoint.ProviderLinkedIn,
			[]step{{code: DefaultCode, want: checkpoint.Retry}, {code: DefaultCode, want: checkpoint.Connected}},
			Stats{State: StateConnected, Checkpoint: "2FA", SolveCalls: 2, CodesReceived: 1, OutagesServed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, clk, base := newSim(t)
			id := "acct-" + strings.ReplaceAll(tt.name, " ", "-")
			if tt.account != nil {
				a := *tt.account
				a.API, a.AccountID = tt.api, id
				if err := sim.SetAccount(a); err != nil {
					t.Fatal(err)
				}
			}
			c, err := providerapi.New(tt.api, providerapi.Config{BaseURL: base, APIKey: keyFor(tt.api)})
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				clk.Advance(s.advance)
				var res providerapi.Result
				if s.resend {
					res, err = c.Resend(context.Background(), providerapi.ResendRequest{AccountID: id, Provider: tt.provider})
				} else {
					res, err = c.Solve(context.Background(), providerapi.SolveRequest{AccountID: id, Provider: tt.provider, Type: s.typ, Code: s.code})
				}
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if res.Outcome != s.want {
					t.Fatalf("step %d: %+v, want %s", i, res, s.want)
				}
				if s.wantNext != "" && (res.NextCheckpoint == nil || res.NextCheckpoint.Type != s.wantNext) {
					t.Fatalf("step %d: next checkpoint %+v, want %s", i, res.NextCheckpoint, s.wantNext)
				}
				if tt.api == checkpoint.APILinkup && res.Outcome != checkpoint.Retry && res.Outcome != checkpoint.InvalidCode &&
					res.Outcome != checkpoint.Restart && (res.CreditsConsumed == nil || *res.CreditsConsumed != 1) {
					t.Fatalf("step %d: linkup success without credits_consumed: %+v", i, res)
				}
			}
			got, ok := sim.Stats(tt.api, id)
			if !ok {
				t.Fatal("account unknown after the calls")
			}
			want := tt.wantStats
			want.API, want.AccountID = tt.api, id
			if got != want {
				t.Fatalf("stats\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestWrongAPIKeyGetsTheAPIsAuthError(t *testing.T) {
	sim, _, base := newSim(t)
	tests := []struct {
		api      checkpoint.API
		key      string
		wantType string
	}{
		{checkpoint.APIPostpress, "nope", "errors/invalid_credentials"},
		{checkpoint.APIPostpress, DefaultAPIKey, "errors/invalid_credentials"},
		{checkpoint.APILinkup, "nope", "linkup/invalid_api_key"},
		{checkpoint.APIEdges, "nope", "UNAUTHORIZED"},
	}
	for _, tt := range tests {
		t.Run(string(tt.api), func(t *testing.T) {
			c, err := providerapi.New(tt.api, providerapi.Config{BaseURL: base, APIKey: tt.key})
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.Solve(context.Background(), providerapi.SolveRequest{AccountID: "k-" + string(tt.api), Provider: checkpoint.ProviderLinkedIn, Code: DefaultCode})
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != checkpoint.Rejected || res.HTTPStatus != 401 || res.ErrorType != tt.wantType {
				t.Fatalf("got %+v", res)
			}
			st, _ := sim.Stats(tt.api, "k-"+string(tt.api))
			if st.SolveCalls != 0 || st.State != StatePending || st.AuthFailures == 0 {
				t.Fatalf("a refused call changed the account: %+v", st)
			}
		})
	}
}

// TestAnswersAreTheDocumentedShapes pins raw answers, independent of the
// clients: the fields each document lists are there.
func TestAnswersAreTheDocumentedShapes(t *testing.T) {
	_, _, base := newSim(t)
	tests := []struct {
		name       string
		path, key  string
		keyHeader  string
		body       string
		wantStatus int
		wantCT     string
		wantFields []string
	}{
		{"postpress AccountCreated", "/v1/accounts/checkpoint", "pp-key", "X-API-KEY",
			`{"account_id":"s1","provider":"LINKEDIN","code":"123456"}`, 201, "application/json", []string{"object", "account_id"}},
		{"postpress problem+json", "/v1/accounts/checkpoint", "pp-key", "X-API-KEY",
			`{"account_id":"s2","provider":"LINKEDIN","code":"1"}`, 401, "application/problem+json", []string{"title", "detail", "instance", "type", "status"}},
		{"postpress missing parameters", "/v1/accounts/checkpoint", "pp-key", "X-API-KEY",
			`{"account_id":"s3","provider":"LINKEDIN"}`, 400, "application/problem+json", []string{"title", "type", "status"}},
		{"postpress invalid provider", "/v1/accounts/checkpoint", "pp-key", "X-API-KEY",
			`{"account_id":"s3","provider":"MYSPACE","code":"1"}`, 400, "application/problem+json", []string{"title", "type", "status"}},
		{"postpress malformed body", "/v1/accounts/checkpoint", "pp-key", "X-API-KEY",
			`not json`, 400, "application/problem+json", []string{"title", "type", "status"}},
		{"postpress missing key", "/v1/accounts/checkpoint", "", "X-API-KEY",
			`{"account_id":"s4","provider":"LINKEDIN","code":"1"}`, 401, "application/problem+json", []string{"title", "type", "status"}},
		{"postpress resend", "/v1/accounts/checkpoint/resend", "pp-key", "X-API-KEY",
			`{"account_id":"s5","provider":"LINKEDIN"}`, 200, "application/json", []string{"object", "account_id", "success"}},
		{"postpress resend TWITTER", "/v1/accounts/checkpoint/resend", "pp-key", "X-API-KEY",
			`{"account_id":"s6","provider":"TWITTER"}`, 501, "application/problem+json", []string{"title", "type", "status"}},
		{"linkup connected", "/v2/checkpoint", DefaultAPIKey, "x-api-key",
			`{"account_id":"s7","code":"123456"}`, 200, "application/json", []string{"success", "data", "metadata"}},
		{"linkup missing account", "/v2/checkpoint", DefaultAPIKey, "x-api-key",
			`{"code":"123456"}`, 400, "application/json", []string{"success", "message"}},
		{"edges account", "/v1/identities/s8/integrations/linkedin/checkpoint", DefaultAPIKey, "X-API-Key",
			`{"code":"123456"}`, 200, "application/json", []string{"identity_uid", "status", "uid", "auth_type"}},
		{"edges envelope", "/v1/identities/s9/integrations/linkedin/checkpoint", DefaultAPIKey, "X-API-Key",
			`{"code":"1"}`, 400, "application/json", []string{"error_label", "error_scope", "error_ref", "message", "status_code", "params"}},
		{"edges bad input", "/v1/identities/s9/integrations/linkedin/checkpoint", DefaultAPIKey, "X-API-Key",
			`[`, 400, "application/json", []string{"error_label", "status_code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, base+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			if tt.key != "" {
				req.Header.Set(tt.keyHeader, tt.key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Content-Type") != tt.wantCT {
				t.Fatalf("status %d %q, want %d %q", resp.StatusCode, resp.Header.Get("Content-Type"), tt.wantStatus, tt.wantCT)
			}
			var got map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			for _, f := range tt.wantFields {
				if _, ok := got[f]; !ok {
					t.Errorf("field %q missing from %v", f, got)
				}
			}
			if sc, ok := got["status_code"]; ok && sc != float64(tt.wantStatus) {
				t.Errorf("status_code %v, want %d", sc, tt.wantStatus)
			}
			if sc, ok := got["status"]; ok && tt.wantCT == "application/problem+json" && sc != float64(tt.wantStatus) {
				t.Errorf("status %v, want %d", sc, tt.wantStatus)
			}
		})
	}
}

func TestControlAPI(t *testing.T) {
	sim, _, base := newSim(t)
	post := func(path, body string) (int, map[string]any) {
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	get := func(path string) (int, []byte) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	status, m := post("/_sim/accounts", `{"api":"edges","account_id":"u1","code":"424242","type":"IN_APP_VALIDATION","approve_after_polls":-1}`)
	if status != 201 || m["state"] != "pending" || m["checkpoint"] != "IN_APP_VALIDATION" {
		t.Fatalf("set: %d %v", status, m)
	}
	if _, ok := m["code"]; ok {
		t.Fatal("the control API echoes the code")
	}
	for _, bad := range []string{`{"api":"acme","account_id":"x"}`, `{"api":"edges"}`, `nope`, `{"api":"edges","account_id":"x","outage_next":-1}`} {
		if status, _ := post("/_sim/accounts", bad); status != 400 {
			t.Errorf("set %s: status %d, want 400", bad, status)
		}
	}

	c, _ := providerapi.NewEdges(providerapi.Config{BaseURL: base, APIKey: DefaultAPIKey})
	res, _ := c.Solve(context.Background(), providerapi.SolveRequest{AccountID: "u1"})
	if res.Outcome != checkpoint.Pending {
		t.Fatalf("poll before approval: %+v", res)
	}
	if status, m := post("/_sim/accounts/edges/u1/approve", ``); status != 200 || m["account_id"] != "u1" {
		t.Fatalf("approve: %d %v", status, m)
	}
	res, _ = c.Solve(context.Background(), providerapi.SolveRequest{AccountID: "u1"})
	if res.Outcome != checkpoint.Connected {
		t.Fatalf("poll after approval: %+v", res)
	}

	status, body := get("/_sim/accounts/edges/u1")
	if status != 200 {
		t.Fatalf("get: %d %s", status, body)
	}
	var st Stats
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	want := Stats{API: "edges", AccountID: "u1", State: StateConnected, Checkpoint: "IN_APP_VALIDATION", SolveCalls: 2, Polls: 2}
	if st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
	if status, _ := get("/_sim/accounts/edges/nobody"); status != 404 {
		t.Fatalf("unknown account: %d", status)
	}
	if status, body := get("/_sim/accounts"); status != 200 || !bytes.Contains(body, []byte(`"account_id":"u1"`)) {
		t.Fatalf("list: %d %s", status, body)
	}
	if len(sim.AllStats()) != 1 {
		t.Fatalf("AllStats %+v", sim.AllStats())
	}
	req, _ := http.NewRequest(http.MethodDelete, base+"/_sim/accounts", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || len(sim.AllStats()) != 0 {
		t.Fatalf("reset: %d, %d accounts left", resp.StatusCode, len(sim.AllStats()))
	}
}

// TestCodesAreNeverKeptInClear: nothing the simulator exposes holds the
// right code or a received one.
func TestCodesAreNeverKeptInClear(t *testing.T) {
	sim, _, base := newSim(t)
	if err := sim.SetAccount(Account{API: checkpoint.APIPostpress, AccountID: "secret", Code: "80470611"}); err != nil {
		t.Fatal(err)
	}
	c, _ := providerapi.NewPostpress(providerapi.Config{BaseURL: base, APIKey: "pp-key"})
	_, _ = c.Solve(context.Background(), providerapi.SolveRequest{AccountID: "secret", Provider: checkpoint.ProviderLinkedIn, Code: "55501234"})
	sim.mu.Lock()
	dump, _ := json.Marshal(sim.accounts["postpress\x00secret"].spec)
	sim.mu.Unlock()
	all, _ := json.Marshal(sim.AllStats())
	for _, s := range []string{string(dump), string(all)} {
		if strings.Contains(s, "80470611") || strings.Contains(s, "55501234") {
			t.Fatalf("a code is kept in clear: %s", s)
		}
	}
}

func TestTimeScaleShortensExpiry(t *testing.T) {
	clk := &clock{now: time.Unix(0, 0)}
	sim := New(Config{Now: clk.Now, TimeScale: 0.01})
	if err := sim.SetAccount(Account{API: checkpoint.APIEdges, AccountID: "u", ExpireAfterSeconds: 300}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2900 * time.Millisecond)
	if st, _ := sim.Stats(checkpoint.APIEdges, "u"); st.State != StatePending {
		t.Fatalf("expired early: %s", st.State)
	}
	clk.Advance(200 * time.Millisecond)
	if st, _ := sim.Stats(checkpoint.APIEdges, "u"); st.State != StateExpired {
		t.Fatalf("not expired after 3 s at scale 0.01: %s", st.State)
	}
}

func TestConcurrentCallsCountEveryCall(t *testing.T) {
	sim, _, base := newSim(t)
	c, _ := providerapi.NewLinkup(providerapi.Config{BaseURL: base, APIKey: DefaultAPIKey})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = c.Solve(context.Background(), providerapi.SolveRequest{AccountID: "shared", Code: "000000"})
		}()
	}
	wg.Wait()
	st, _ := sim.Stats(checkpoint.APILinkup, "shared")
	if st.SolveCalls != 20 || st.WrongCodes != 20 || st.CreditsConsumed != 20 {
		t.Fatalf("stats %+v", st)
	}
}

// TestSolveDelayAnswersLateAfterTheAccountChanged: a slow account has
// already connected when its answer is still on the way, for every API;
// the answer is the usual one.
func TestSolveDelayAnswersLateAfterTheAccountChanged(t *testing.T) {
	for _, api := range checkpoint.APIs {
		t.Run(string(api), func(t *testing.T) {
			sim, _, base := newSim(t)
			acct := "slow-" + string(api)
			if err := sim.SetAccount(Account{API: api, AccountID: acct, SolveDelayMS: MaxSolveDelayMS}); err != nil {
				t.Fatal(err)
			}
			client, err := providerapi.New(api, providerapi.Config{BaseURL: base, APIKey: keyFor(api)})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			answered := make(chan providerapi.Result, 1)
			go func() {
				res, _ := client.Solve(ctx, providerapi.SolveRequest{AccountID: acct, Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.Type2FA, Code: DefaultCode})
				answered <- res
			}()
			for {
				st, _ := sim.Stats(api, acct)
				if st.State == StateConnected {
					break
				}
				select {
				case res := <-answered:
					t.Fatalf("answered %+v before the account connected", res)
				case <-time.After(5 * time.Millisecond):
				}
			}
			select {
			case res := <-answered:
				t.Fatalf("answered %+v at once; want the answer held for solve_delay_ms", res)
			default:
			}
			cancel() // the caller giving up ends the wait
			<-answered
		})
	}
	// Without a delay the same call answers as usual.
	sim, _, base := newSim(t)
	if err := sim.SetAccount(Account{API: checkpoint.APIEdges, AccountID: "quick"}); err != nil {
		t.Fatal(err)
	}
	client, _ := providerapi.New(checkpoint.APIEdges, providerapi.Config{BaseURL: base, APIKey: DefaultAPIKey})
	res, err := client.Solve(context.Background(), providerapi.SolveRequest{AccountID: "quick", Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.Type2FA, Code: DefaultCode})
	if err != nil || res.Outcome != checkpoint.Connected {
		t.Fatalf("%+v, %v", res, err)
	}
	for _, bad := range []int{-1, MaxSolveDelayMS + 1} {
		if err := sim.SetAccount(Account{API: checkpoint.APIEdges, AccountID: "bad", SolveDelayMS: bad}); err == nil {
			t.Errorf("solve_delay_ms %d accepted", bad)
		}
	}
}

// TestLoginNeedsTheRightCodeAgain: a connected account logs in again (a
// new registration); its checkpoint is back, so a wrong code is wrong and
// only the programmed right code connects. A secret given at login makes
// its authenticator code the right one.
func TestLoginNeedsTheRightCodeAgain(t *testing.T) {
	sim, _, base := newSim(t)
	c, _ := providerapi.NewPostpress(providerapi.Config{BaseURL: base, APIKey: "pp-key"})
	solve := func(code string) checkpoint.Outcome {
		t.Helper()
		res, _ := c.Solve(context.Background(), providerapi.SolveRequest{AccountID: "acc_demo", Provider: checkpoint.ProviderLinkedIn, Code: code})
		return res.Outcome
	}
	if err := sim.SetAccount(Account{API: checkpoint.APIPostpress, AccountID: "acc_demo", Code: "777111"}); err != nil {
		t.Fatal(err)
	}
	if got := solve("777111"); got != checkpoint.Connected {
		t.Fatalf("right code: %s", got)
	}
	if got := solve("000000"); got != checkpoint.Connected {
		t.Fatalf("a connected account answers connected to anything, as the API does: %s", got)
	}

	resp, err := http.Post(base+"/_sim/accounts/postpress/acc_demo/login", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var st Stats
	_ = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if resp.StatusCode != 200 || st.State != StatePending || st.SolveCalls != 0 {
		t.Fatalf("login: %d %+v", resp.StatusCode, st)
	}
	if got := solve("000000"); got != checkpoint.InvalidCode {
		t.Fatalf("wrong code after a new login: %s, want invalid_code", got)
	}
	if got := solve("777111"); got != checkpoint.Connected {
		t.Fatalf("the programmed code after a new login: %s", got)
	}

	const secret = "JBSWY3DPEHPK3PXP"
	if err := sim.Login(checkpoint.APIPostpress, "acc_totp", secret); err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(secret, sim.now())
	if err != nil {
		t.Fatal(err)
	}
	res, _ := c.Solve(context.Background(), providerapi.SolveRequest{AccountID: "acc_totp", Provider: checkpoint.ProviderLinkedIn, Code: code})
	if res.Outcome != checkpoint.Connected {
		t.Fatalf("the authenticator code of the secret given at login: %+v", res)
	}
	for _, bad := range []struct{ path, body string }{
		{"/_sim/accounts/acme/x/login", ""},
		{"/_sim/accounts/postpress/x/login", `{"totp_secret":"not base32!"}`},
		{"/_sim/accounts/postpress/x/login", `nope`},
	} {
		resp, err := http.Post(base+bad.path, "application/json", strings.NewReader(bad.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("%s %s: %d, want 400", bad.path, bad.body, resp.StatusCode)
		}
	}
}

// TestASingleUseIntentRefusesACodeSentAgain: the caller that gave up
// waiting sends the same code again; the intent is used up.
func TestASingleUseIntentRefusesACodeSentAgain(t *testing.T) {
	sim, _, base := newSim(t)
	c, _ := providerapi.NewPostpress(providerapi.Config{BaseURL: base, APIKey: "pp-key"})
	if err := sim.SetAccount(Account{API: checkpoint.APIPostpress, AccountID: "once", SingleUseIntent: true}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []checkpoint.Outcome{checkpoint.Connected, checkpoint.Restart} {
		res, _ := c.Solve(context.Background(), providerapi.SolveRequest{AccountID: "once", Provider: checkpoint.ProviderLinkedIn, Code: DefaultCode})
		if res.Outcome != want {
			t.Fatalf("call %d: %+v, want %s", i+1, res, want)
		}
	}
}
