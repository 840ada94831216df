package relay

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

func TestRegisterValidation(t *testing.T) {
	h := newHarness(t)
	ok := RegisterRequest{API: "postpress", AccountID: "acc", Provider: "LINKEDIN", Type: "2FA"}
	for _, tc := range []struct {
		name   string
		edit   func(*RegisterRequest)
		fields []string // invalid fields, none for a valid request
	}{
		{"minimal request is valid", func(*RegisterRequest) {}, nil},
		{"everything set is valid", func(r *RegisterRequest) {
			r.Phone, r.Email, r.TOTPSecret = "+33 6 12 34 56 78", "User@Example.com", "jbsw y3dp ehpk 3pxp"
			r.CallbackURL, r.ExpiresIn = "https://app.example/cb", 600
		}, nil},
		{"http callback to loopback is allowed", func(r *RegisterRequest) { r.CallbackURL = "http://127.0.0.1:8080/cb" }, nil},
		{"unknown api", func(r *RegisterRequest) { r.API = "unipile" }, []string{"api"}},
		{"api without a configured client", func(r *RegisterRequest) { r.API = "linkup" }, []string{"api"}},
		{"missing account", func(r *RegisterRequest) { r.AccountID = " " }, []string{"account_id"}},
		{"unknown provider", func(r *RegisterRequest) { r.Provider = "FACEBOOK" }, []string{"provider"}},
		{"unknown type", func(r *RegisterRequest) { r.Type = "PIN" }, []string{"type"}},
		{"phone without country code", func(r *RegisterRequest) { r.Phone = "0612345678" }, []string{"phone"}},
		{"impossible phone", func(r *RegisterRequest) { r.Phone = "+331234" }, []string{"phone"}},
		{"email with a display name", func(r *RegisterRequest) { r.Email = "Bob <bob@example.com>" }, []string{"email"}},
		{"email without domain", func(r *RegisterRequest) { r.Email = "bob" }, []string{"email"}},
		{"totp secret not base32", func(r *RegisterRequest) { r.TOTPSecret = "not-base32-189!" }, []string{"totp_secret"}},
		{"totp secret too short", func(r *RegisterRequest) { r.TOTPSecret = "JBSWY3DP" }, []string{"totp_secret"}},
		{"http callback elsewhere", func(r *RegisterRequest) { r.CallbackURL = "http://app.example/cb" }, []string{"callback_url"}},
		{"callback with credentials", func(r *RegisterRequest) { r.CallbackURL = "https://u:p@app.example/cb" }, []string{"callback_url"}},
		{"relative callback", func(r *RegisterRequest) { r.CallbackURL = "/cb" }, []string{"callback_url"}},
		{"expiry too short", func(r *RegisterRequest) { r.ExpiresIn = 30 }, []string{"expires_in"}},
		{"expiry too long", func(r *RegisterRequest) { r.ExpiresIn = 7200 }, []string{"expires_in"}},
		{"several problems at once", func(r *RegisterRequest) { r.API, r.Type = "x", "y" }, []string{"api", "type"}},
		// What each API supports: edges is LinkedIn's only; linkup's types are its own.
		{"edges for instagram", func(r *RegisterRequest) { r.API, r.Provider = "edges", "INSTAGRAM" }, []string{"provider"}},
		{"edges for twitter", func(r *RegisterRequest) { r.API, r.Provider = "edges", "TWITTER" }, []string{"provider"}},
		{"postpress for twitter", func(r *RegisterRequest) { r.Provider = "TWITTER" }, nil},
		{"a linkup type on postpress", func(r *RegisterRequest) { r.Type = "code_challenge" }, []string{"type"}},
		{"a linkup type on edges", func(r *RegisterRequest) { r.API, r.Type = "edges", "app_challenge" }, []string{"type"}},
		// Every field has a maximum, accepted at it and refused past it.
		{"account id at its maximum", func(r *RegisterRequest) { r.AccountID = strings.Repeat("a", store.MaxAccountID) }, nil},
		{"account id past its maximum", func(r *RegisterRequest) { r.AccountID = strings.Repeat("a", store.MaxAccountID+1) }, []string{"account_id"}},
		{"account id with a control character", func(r *RegisterRequest) { r.AccountID = "acc\n1" }, []string{"account_id"}},
		{"callback url at its maximum", func(r *RegisterRequest) { r.CallbackURL = longURL(store.MaxCallbackURL) }, nil},
		{"callback url past its maximum", func(r *RegisterRequest) { r.CallbackURL = longURL(store.MaxCallbackURL + 1) }, []string{"callback_url"}},
		{"a 600 KB callback url", func(r *RegisterRequest) { r.CallbackURL = longURL(600 << 10) }, []string{"callback_url"}},
		{"email at its maximum", func(r *RegisterRequest) { r.Email = longEmail(store.MaxEmail) }, nil},
		{"email past its maximum", func(r *RegisterRequest) { r.Email = longEmail(store.MaxEmail + 1) }, []string{"email"}},
		{"phone padded past its maximum", func(r *RegisterRequest) { r.Phone = "+33612345678" + strings.Repeat(" ", maxPhoneInput) }, []string{"phone"}},
		{"totp secret at its maximum", func(r *RegisterRequest) { r.TOTPSecret = strings.Repeat("A", store.MaxTOTPSecret) }, nil},
		{"totp secret past its maximum", func(r *RegisterRequest) { r.TOTPSecret = strings.Repeat("A", store.MaxTOTPSecret+1) }, []string{"totp_secret"}},
		{"a 700 KB totp secret", func(r *RegisterRequest) { r.TOTPSecret = strings.Repeat("A", 700<<10) }, []string{"totp_secret"}},
		{"every field at its maximum at once", func(r *RegisterRequest) {
			r.AccountID, r.Email, r.CallbackURL = strings.Repeat("a", store.MaxAccountID), longEmail(store.MaxEmail), longURL(store.MaxCallbackURL)
			r.TOTPSecret, r.IdempotencyKey, r.Phone = strings.Repeat("A", store.MaxTOTPSecret), strings.Repeat("k", maxIdempotencyKey), "+33612345678"
		}, nil},
		{"idempotency key at its maximum", func(r *RegisterRequest) { r.IdempotencyKey = strings.Repeat("k", maxIdempotencyKey) }, nil},
		{"idempotency key past its maximum", func(r *RegisterRequest) { r.IdempotencyKey = strings.Repeat("k", maxIdempotencyKey+1) }, []string{"Idempotency-Key"}},
		{"idempotency key not printable ASCII", func(r *RegisterRequest) { r.IdempotencyKey = "login-é" }, []string{"Idempotency-Key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := ok
			tc.edit(&req)
			_, err := h.svc.Register(context.Background(), req)
			var v *ValidationError
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("valid request refused: %v", err)
				}
				return
			}
			if !errors.As(err, &v) {
				t.Fatalf("got %v, want a ValidationError", err)
			}
			var got []string
			for _, f := range v.Fields {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("invalid fields %v, want %v", got, tc.fields)
			}
		})
	}
}

// longURL is an https URL of exactly n bytes.
func longURL(n int) string {
	const base = "https://app.example/cb?p="
	return base + strings.Repeat("x", n-len(base))
}

// longEmail is a valid address of exactly n bytes (n >= 72): a 64-byte
// local part and a domain of labels of at most 63 bytes.
func longEmail(n int) string {
	domain := n - 65 - len(".com")
	var labels []string
	for domain > 0 {
		l := min(domain, 63)
		if domain-l == 1 { // no empty label before the last dot
			l--
		}
		labels = append(labels, strings.Repeat("d", l))
		domain -= l + 1
	}
	return strings.Repeat("u", 64) + "@" + strings.Join(labels, ".") + ".com"
}

func TestRegisterStoresSecretsSealedAndStartsTheExecution(t *testing.T) {
	h := newHarness(t)
	r := h.register(t, RegisterRequest{Phone: "+33612345678", Email: "User@Example.com", TOTPSecret: "JBSWY3DPEHPK3PXP"})
	if !ValidID(r.ID) || r.Status != checkpoint.StatusPending {
		t.Fatalf("registration %+v", r)
	}
	token, found := strings.CutPrefix(r.FormURL, "https://relay.example/c/")
	if !found || len(token) < 26 {
		t.Fatalf("form url %q: want the public URL and a token of at least 128 bits", r.FormURL)
	}
	cp := h.item(t, r.ID)
	if cp.Phone != "+33612345678" || cp.Email != "user@example.com" || cp.Mode != checkpoint.ModeTOTP {
		t.Fatalf("item %+v", cp)
	}
	if bytes.Contains(cp.SealedTOTPSecret, []byte("JBSWY3DPEHPK3PXP")) || bytes.Contains(cp.SealedFormToken, []byte(token)) ||
		cp.FormTokenFP == token {
		t.Fatal("a secret is stored in clear")
	}
	if secret, err := h.sealer.Open(context.Background(), cp.SealedTOTPSecret, store.TOTPContext(r.ID)); err != nil || string(secret) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("sealed TOTP secret opens to %q, %v", secret, err)
	}
	in, ok := h.wf.started[r.ID].(ExecutionInput)
	if !ok {
		t.Fatalf("no execution named %s: %v", r.ID, h.wf.started)
	}
	if in.Mode != checkpoint.ModeTOTP || !in.CanResend || in.CodeWaitSeconds != CodeWaitSeconds || in.MaxPolls != MaxPolls {
		t.Fatalf("execution input %+v", in)
	}
	if cp.ExecutionARN == "" {
		t.Fatal("execution ARN not recorded")
	}
	if v, err := h.svc.FormView(context.Background(), token); err != nil || v.CheckpointID != r.ID {
		t.Fatalf("form token does not find the checkpoint: %+v, %v", v, err)
	}
}

func TestRegisterWithIdempotencyKeyReplays(t *testing.T) {
	h := newHarness(t)
	req := RegisterRequest{API: "postpress", AccountID: "acc_1", Provider: "LINKEDIN", Type: "2FA",
		Phone: "+33612345678", IdempotencyKey: "login-42"}
	first := h.register(t, req)
	second := h.register(t, req)
	if !second.Replayed || first.Replayed {
		t.Fatalf("replayed flags %v %v", first.Replayed, second.Replayed)
	}
	if first.ID != second.ID || first.FormURL != second.FormURL {
		t.Fatalf("replay answered %+v, first %+v", second, first)
	}
	if len(h.wf.started) != 1 {
		t.Fatalf("%d executions, want 1", len(h.wf.started))
	}
	if h.item(t, first.ID).Status != checkpoint.StatusPending {
		t.Fatal("a replay superseded its own checkpoint")
	}
	req.Phone = "+33698765432"
	if _, err := h.svc.Register(context.Background(), req); !errors.Is(err, ErrIdempotencyConflict) {
		t.Fatalf("same key, other request: %v, want ErrIdempotencyConflict", err)
	}
	other := h.register(t, RegisterRequest{Phone: "+33612345678", IdempotencyKey: "login-43"})
	if other.ID == first.ID {
		t.Fatal("two keys gave one id")
	}
}

func TestRegisterSupersedesThePreviousPendingCheckpoint(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	old := h.register(t, RegisterRequest{Phone: "+33612345678"})
	if err := h.svc.AwaitCode(ctx, AwaitCodeInput{CheckpointID: old.ID, TaskToken: "tok-old"}); err != nil {
		t.Fatal(err)
	}
	other := h.register(t, RegisterRequest{AccountID: "acc_other", Phone: "+33612345679"})
	cur := h.register(t, RegisterRequest{Phone: "+33612345678"})

	if got := h.item(t, old.ID); got.Status != checkpoint.StatusSuperseded || got.TaskToken != "" {
		t.Fatalf("old checkpoint %s token %q, want superseded without token", got.Status, got.TaskToken)
	}
	if h.item(t, other.ID).Status != checkpoint.StatusPending {
		t.Fatal("another account's checkpoint was superseded")
	}
	if len(h.wf.stopped) != 1 || !strings.HasSuffix(h.wf.stopped[0], ":"+old.ID) {
		t.Fatalf("stopped %v, want the old execution", h.wf.stopped)
	}
	// A code for the phone now goes to the new checkpoint.
	res, err := h.svc.Deliver(ctx, Delivery{Channel: checkpoint.ChannelSMS, Source: "twilio", MessageID: "m1", Recipients: []string{"+33612345678"}, Code: "111111"})
	if err != nil || res.CheckpointID != cur.ID {
		t.Fatalf("delivery went to %+v, %v; want %s", res, err, cur.ID)
	}
}

// In AWS (no AllowLoopbackCallbacks) a plain http callback is refused even
// to loopback, where it would reach the Lambda runtime API.
func TestRegisterRefusesHTTPCallbacksOutsideTheLocalStack(t *testing.T) {
	for _, tc := range []struct {
		url           string
		allowLoopback bool
		ok            bool
	}{
		{"http://127.0.0.1:9001/2018-06-01/runtime/invocation/next", false, false},
		{"http://localhost:8080/cb", false, false},
		{"https://app.example/cb", false, true},
		{"http://127.0.0.1:8080/cb", true, true},
		{"http://app.example/cb", true, false},
	} {
		err := checkCallbackURL(tc.url, tc.allowLoopback)
		if (err == nil) != tc.ok {
			t.Errorf("checkCallbackURL(%q, loopback=%v) = %v, want ok=%v", tc.url, tc.allowLoopback, err, tc.ok)
		}
	}
}

// failingStore fails SetExecution, as a DynamoDB write does that is refused
// or never answers.
type failingStore struct {
	*store.Store
}

func (failingStore) SetExecution(context.Context, string, string, time.Time) error {
	return errors.New("fake: dynamodb unavailable")
}

// startFails fails Start after it may have started the execution (the
// answer was lost).
type startFails struct {
	*fakeWorkflow
}

func (w startFails) Start(ctx context.Context, name string, input any) (string, error) {
	_, _ = w.fakeWorkflow.Start(ctx, name, input)
	return "", errors.New("fake: states unavailable")
}

// A registration that answers an error leaves nothing pending and no
// execution running: the checkpoint it created ends failed (an execution
// that did start finds it ended at its first task), and an execution
// whose ARN is known is stopped.
func TestARegistrationThatFailsLeavesNothingPending(t *testing.T) {
	for _, tc := range []struct {
		name     string
		breakIt  func(h *harness, d *Deps)
		stopsARN bool
	}{
		{"the execution ARN is not recorded", func(h *harness, d *Deps) { d.Store = failingStore{h.store} }, true},
		{"StartExecution fails", func(h *harness, d *Deps) { d.Workflow = startFails{h.wf} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			d := h.svc.d
			tc.breakIt(h, &d)
			svc, err := New(d)
			if err != nil {
				t.Fatal(err)
			}
			_, err = svc.Register(context.Background(), RegisterRequest{API: "postpress", AccountID: "acc", Provider: "LINKEDIN",
				Type: "2FA", Phone: "+33612345678"})
			if err == nil {
				t.Fatal("the registration answered success")
			}
			cp, err := h.store.LatestForRecipient(context.Background(), "+33612345678")
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Fatal(err)
			}
			if cp != nil && cp.Status == checkpoint.StatusPending {
				t.Fatalf("the failed registration left checkpoint %s pending", cp.ID)
			}
			if cp != nil && (cp.Status != checkpoint.StatusFailed || cp.Reason != ReasonRegistrationFailed) {
				t.Fatalf("checkpoint ended %s/%s, want failed/%s", cp.Status, cp.Reason, ReasonRegistrationFailed)
			}
			if tc.stopsARN && len(h.wf.stopped) != 1 {
				t.Fatalf("stopped %v, want the started execution stopped", h.wf.stopped)
			}
		})
	}
}
