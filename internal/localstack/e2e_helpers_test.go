package localstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkpoint-relay/checkpoint-relay/internal/asl"
	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
	"github.com/checkpoint-relay/checkpoint-relay/internal/localstack"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providersim"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
	"github.com/checkpoint-relay/checkpoint-relay/internal/workflow"
)

// The stack is shared by every test of the binary: the functions read their
// configuration from the process environment, as in Lambda, so one process
// runs one stack. Tests keep apart by using their own accounts, phone
// numbers and addresses.
var (
	stack     *localstack.Stack
	callbacks *callbackSink
)

// timeScale runs the five-minute code wait in three seconds and the 8 s
// poll interval in 80 ms.
const timeScale = 0.01

// secretsUsed are the codes and secrets the tests send; none may reach a log.
var secretsUsed = []string{"123456", "654321", "111111", "246810", "135790", "777777", "JBSWY3DPEHPK3PXP"}

// logs captures everything the relay logs during the run.
var logs syncBuffer

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestMain(m *testing.M) {
	// Times are dropped so a timestamp's digits cannot look like a code.
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})))
	callbacks = newCallbackSink()
	srv := httptest.NewServer(callbacks)
	ctx := context.Background()
	var err error
	stack, err = localstack.Start(ctx, localstack.Options{
		Addr:      "127.0.0.1:0",
		TimeScale: timeScale,
		Simulate:  true,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "local stack did not start:", err)
		os.Exit(1)
	}
	callbacks.secret = []byte(os.Getenv("CALLBACK_SIGNING_SECRET"))
	callbacks.url = srv.URL
	code := m.Run()
	if code == 0 {
		if err := tableHoldsNoSecret(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	_ = stack.Close(context.Background())
	srv.Close()
	if code == 0 {
		out := logs.String()
		if !strings.Contains(out, "checkpoint registered") {
			fmt.Fprintln(os.Stderr, "the relay's logs were not captured")
			code = 1
		}
		secrets := append([]string(nil), secretsUsed...)
		formTokens.Range(func(k, _ any) bool { secrets = append(secrets, k.(string)); return true })
		for _, secret := range secrets {
			if strings.Contains(out, secret) {
				fmt.Fprintf(os.Stderr, "a code, secret or form token reached the logs:\n%s\n", out)
				code = 1
				break
			}
		}
	}
	os.Exit(code)
}

var seq atomic.Int64

// uniquePhone returns an E.164 number no other test uses.
func uniquePhone() string {
	return fmt.Sprintf("+336%08d", 10000000+seq.Add(1))
}

// runID keeps accounts apart between runs; letters only, so account ids in
// logs cannot look like codes.
var runID = func() string {
	b := make([]byte, 6)
	for i := range b {
		b[i] = 'a' + byte(time.Now().UnixNano()>>(i*3))%26
	}
	return string(b)
}()

func uniqueAccount(prefix string) string {
	return fmt.Sprintf("%s_%s_%d", prefix, runID, seq.Add(1))
}

// register posts a checkpoint and returns the registration.
// formTokens collects every form token handed out, to check none is stored
// in clear.
var formTokens sync.Map

func register(t *testing.T, body map[string]any) relay.Registration {
	t.Helper()
	if _, ok := body["callback_url"]; !ok {
		body["callback_url"] = callbacks.url + "/cb"
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, stack.URL+"/v1/checkpoints", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+stack.RelayAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.StatusCode, raw)
	}
	var reg relay.Registration
	if err := json.Unmarshal(raw, &reg); err != nil {
		t.Fatalf("register: %v in %s", err, raw)
	}
	if i := strings.LastIndex(reg.FormURL, "/c/"); i >= 0 {
		formTokens.Store(reg.FormURL[i+3:], true)
	}
	return reg
}

func getView(t *testing.T, id string) relay.View {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, stack.URL+"/v1/checkpoints/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+stack.RelayAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("get %s: %d %s", id, resp.StatusCode, raw)
	}
	var v relay.View
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("get: %v", err)
	}
	return v
}

// waitFor polls the checkpoint until cond holds, failing after a bound that
// is generous for a 2-core machine under load: the tests assert what
// happened, never how fast.
func waitFor(t *testing.T, id, what string, cond func(relay.View) bool) relay.View {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		v := getView(t, id)
		if cond(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("checkpoint %s never reached %s; last view: status=%s reason=%s events=%s", id, what, v.Status, v.Reason, eventKinds(v))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func waitStatus(t *testing.T, id string, want checkpoint.Status) relay.View {
	t.Helper()
	return waitFor(t, id, string(want), func(v relay.View) bool { return v.Status.Final() })
}

func requireStatus(t *testing.T, v relay.View, want checkpoint.Status) {
	t.Helper()
	if v.Status != want {
		t.Fatalf("status = %s (reason %q), want %s; events %s", v.Status, v.Reason, want, eventKinds(v))
	}
}

func hasEvent(v relay.View, kind string) bool {
	for _, e := range v.Events {
		if string(e.Kind) == kind {
			return true
		}
	}
	return false
}

func countEvents(v relay.View, kind string) int {
	n := 0
	for _, e := range v.Events {
		if string(e.Kind) == kind {
			n++
		}
	}
	return n
}

func eventKinds(v relay.View) string {
	var out []string
	for _, e := range v.Events {
		s := string(e.Kind)
		if e.Outcome != "" {
			s += ":" + string(e.Outcome)
		}
		if e.Channel != "" {
			s += "@" + string(e.Channel)
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

// waitExecution waits for the checkpoint's execution to end and describes it.
func waitExecution(t *testing.T, id string) asl.ExecutionDescription {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := stack.Runner.Wait(ctx, workflow.ExecutionARN(stack.StateMachineARN, id))
	if err != nil {
		t.Fatalf("execution of %s: %v", id, err)
	}
	return d
}

// setAccount programs the simulator for one account.
func setAccount(t *testing.T, a providersim.Account) {
	t.Helper()
	if err := stack.Simulator.SetAccount(a); err != nil {
		t.Fatalf("program simulator: %v", err)
	}
}

func simStats(t *testing.T, api checkpoint.API, account string) providersim.Stats {
	t.Helper()
	st, ok := stack.Simulator.Stats(api, account)
	if !ok {
		t.Fatalf("simulator never heard of %s %s", api, account)
	}
	return st
}

// twilioSMS posts an inbound SMS exactly as Twilio does, signed with the
// stack's TWILIO_AUTH_TOKEN, and returns the HTTP status.
func twilioSMS(t *testing.T, sid, to, body string) int {
	t.Helper()
	return twilioSMSFrom(t, sid, "+15017122661", to, body)
}

// twilioSMSFrom is twilioSMS from another sender.
func twilioSMSFrom(t *testing.T, sid, from, to, body string) int {
	t.Helper()
	target := os.Getenv("RELAY_PUBLIC_URL") + "/v1/webhooks/sms/twilio"
	params := url.Values{
		"MessageSid": {sid}, "SmsSid": {sid}, "AccountSid": {"ACe2e"},
		"From": {from}, "To": {to}, "Body": {body}, "NumMedia": {"0"},
	}
	req, _ := http.NewRequest(http.MethodPost, stack.URL+"/v1/webhooks/sms/twilio", strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", inbound.TwilioSignature(os.Getenv("TWILIO_AUTH_TOKEN"), target, params))
	return do(t, req)
}

// genericEmail posts a forwarded mail to the generic email endpoint with
// the relay's HMAC header scheme.
func genericEmail(t *testing.T, id, to, subject, text string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"id": id, "to": to, "from": "security-noreply@linkedin.com", "subject": subject, "text": text})
	ts := time.Now().Unix()
	req, _ := http.NewRequest(http.MethodPost, stack.URL+"/v1/webhooks/email/generic", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(relay.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(relay.HeaderSignature, relay.SignCallback([]byte(os.Getenv("EMAIL_WEBHOOK_SECRET")), ts, body))
	return do(t, req)
}

// genericSMS posts an SMS to the generic SMS endpoint, signed with the
// relay's HMAC scheme, and returns the HTTP status and each message's
// delivery status.
func genericSMS(t *testing.T, id, to, text string) (int, []string) {
	t.Helper()
	// One sender per message: these tests queue several codes, and a
	// sender whose code was wrong is not trusted again before the next
	// code request (attribution's rule 6).
	from := fmt.Sprintf("+1501712%04d", crc32.ChecksumIEEE([]byte(id))%10000)
	body, _ := json.Marshal(map[string]string{"id": id, "to": to, "from": from, "text": text})
	ts := time.Now().Unix()
	req, _ := http.NewRequest(http.MethodPost, stack.URL+"/v1/webhooks/sms/generic", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(relay.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(relay.HeaderSignature, relay.SignCallback([]byte(os.Getenv("SMS_WEBHOOK_SECRET")), ts, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("generic sms: %v", err)
	}
	defer resp.Body.Close()
	var answer struct {
		Results []struct{ Status string } `json:"results"`
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &answer)
	var statuses []string
	for _, r := range answer.Results {
		statuses = append(statuses, r.Status)
	}
	return resp.StatusCode, statuses
}

func do(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// formClient opens a form link like a browser: it keeps the CSRF cookie
// and reads the hidden CSRF field.
type formClient struct {
	t      *testing.T
	client *http.Client
	link   string
	csrf   string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func openForm(t *testing.T, link string) *formClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	fc := &formClient{t: t, client: &http.Client{Jar: jar}, link: link}
	page := fc.get()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("form page has no CSRF field:\n%s", page)
	}
	fc.csrf = m[1]
	return fc
}

func (fc *formClient) get() string {
	resp, err := fc.client.Get(fc.link)
	if err != nil {
		fc.t.Fatalf("open form: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		fc.t.Fatalf("open form: %d", resp.StatusCode)
	}
	return string(b)
}

func (fc *formClient) post(action, code string) (int, string) {
	form := url.Values{"csrf": {fc.csrf}, "action": {action}, "code": {code}}
	resp, err := fc.client.PostForm(fc.link, form)
	if err != nil {
		fc.t.Fatalf("post form: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// callbackSink receives the relay's signed callbacks and checks every
// signature.
type callbackSink struct {
	url    string
	secret []byte
	mu     sync.Mutex
	got    map[string][]relay.Callback
	bad    []string
}

func newCallbackSink() *callbackSink { return &callbackSink{got: map[string][]relay.Callback{}} }

func (c *callbackSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	err := inbound.VerifyRelaySignature(c.secret, r.Header.Get(relay.HeaderTimestamp), r.Header.Get(relay.HeaderSignature), body, time.Now())
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.bad = append(c.bad, err.Error())
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var cb relay.Callback
	if err := json.Unmarshal(body, &cb); err != nil {
		c.bad = append(c.bad, err.Error())
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	c.got[cb.CheckpointID] = append(c.got[cb.CheckpointID], cb)
	w.WriteHeader(http.StatusNoContent)
}

// requireCallback waits for the one callback of a checkpoint.
func requireCallback(t *testing.T, id string, want checkpoint.Status) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		callbacks.mu.Lock()
		got := append([]relay.Callback(nil), callbacks.got[id]...)
		bad := append([]string(nil), callbacks.bad...)
		callbacks.mu.Unlock()
		if len(bad) > 0 {
			t.Fatalf("callbacks with bad signatures: %v", bad)
		}
		if len(got) > 0 {
			if len(got) != 1 || got[0].Status != want {
				t.Fatalf("callbacks for %s = %+v, want one with status %s", id, got, want)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no callback for %s", id)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// tableHoldsNoSecret scans the whole table after the run: no code, TOTP
// secret or form token the tests used may be stored in clear, in any
// attribute of any item.
func tableHoldsNoSecret() error {
	db := dynamodb.New(dynamodb.Options{
		Region: localstack.Region, BaseEndpoint: aws.String(stack.DynamoDBEndpoint),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	needles := append([]string(nil), secretsUsed...)
	formTokens.Range(func(k, _ any) bool { needles = append(needles, k.(string)); return true })
	if len(needles) == len(secretsUsed) {
		return errors.New("no form token was collected: the table check would prove nothing")
	}
	items := 0
	var start map[string]types.AttributeValue
	for {
		out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(stack.TableName), ExclusiveStartKey: start})
		if err != nil {
			return fmt.Errorf("scan the table: %w", err)
		}
		for _, it := range out.Items {
			items++
			var plain map[string]any
			if err := attributevalue.UnmarshalMap(it, &plain); err != nil {
				return fmt.Errorf("read an item: %w", err)
			}
			raw, _ := json.Marshal(plain)
			dump := string(raw)
			for _, n := range needles {
				if strings.Contains(dump, n) {
					return fmt.Errorf("%q is stored in clear in item %v: %s", n, plain["pk"], dump)
				}
			}
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		start = out.LastEvaluatedKey
	}
	if items == 0 {
		return errors.New("the table is empty: the check would prove nothing")
	}
	return nil
}
