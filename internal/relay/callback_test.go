package relay

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/publicaddr"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// Every callback URL of the adversarial run that was accepted, and other
// spellings of the same places, are refused at registration, in AWS and in
// the local stack (whose one exception is loopback).
func TestRegisterRefusesCallbacksToNonPublicHosts(t *testing.T) {
	for _, allowLoopback := range []bool{false, true} {
		h := newHarness(t)
		h.svc.d.AllowLoopbackCallbacks = allowLoopback
		for _, u := range []string{
			"https://169.254.169.254/latest/meta-data/",
			"https://[::ffff:169.254.169.254]/",
			"https://[::ffff:a9fe:a9fe]/",
			"https://169.254.170.2/v2/credentials",
			"https://[fd00:ec2::254]/",
			"https://10.0.0.1/",
			"https://192.168.1.1/",
			"https://172.16.5.4/",
			"https://100.64.0.1/",
			"https://[fd00::1]/",
			"https://[fe80::1%25eth0]/",
			"https://0.0.0.0/",
			"https://2852039166/",
			"https://0xa9fea9fe/",
			"https://0251.0376.0251.0376/",
			"https://metadata/computeMetadata/v1/",
		} {
			_, err := h.svc.Register(context.Background(), RegisterRequest{API: "postpress", AccountID: "acc",
				Provider: "LINKEDIN", Type: "2FA", CallbackURL: u})
			var v *ValidationError
			if !errors.As(err, &v) || len(v.Fields) != 1 || v.Fields[0].Field != "callback_url" {
				t.Errorf("loopback=%v: %s: got %v, want callback_url refused", allowLoopback, u, err)
			}
		}
		for _, u := range []string{"https://localhost/", "https://127.0.0.1:8443/", "http://[::1]:8080/cb", "https://api.localhost/"} {
			_, err := h.svc.Register(context.Background(), RegisterRequest{API: "postpress", AccountID: "acc",
				Provider: "LINKEDIN", Type: "2FA", CallbackURL: u})
			if (err == nil) != allowLoopback {
				t.Errorf("loopback=%v: %s: got %v", allowLoopback, u, err)
			}
		}
	}
}

// countingListener counts the connections that reach it.
func countingListener(t *testing.T) (port int, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted = &atomic.Int32{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close() // reset: what made the stored error a port scanner
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, accepted
}

// In AWS the callback client refuses at connect time an address that is
// not public, whatever name led to it (a DNS answer that changed since
// registration): not one connection is opened.
func TestCallbackClientRefusesNonPublicAddressesWhenItConnects(t *testing.T) {
	port, accepted := countingListener(t)
	client := NewCallbackClient(false)
	for _, u := range []string{
		"https://localhost:" + strconv.Itoa(port) + "/",
		"https://127.0.0.1:" + strconv.Itoa(port) + "/",
		"http://127.0.0.1:" + strconv.Itoa(port) + "/",
	} {
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader("{}"))
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, publicaddr.ErrNotPublic) {
			t.Fatalf("%s: %v, want ErrNotPublic", u, err)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Fatalf("%d connections opened to loopback", n)
	}
}

// A callback that fails is recorded with a generic reason, never the
// network's error text, which would tell whoever reads the status what
// answers on a host's ports.
func TestAFailedCallbackRecordsAGenericReason(t *testing.T) {
	h := newHarness(t)
	port, accepted := countingListener(t)
	r := h.register(t, RegisterRequest{CallbackURL: "http://127.0.0.1:" + strconv.Itoa(port) + "/cb"})
	_, err := h.svc.Finish(context.Background(), FinishInput{CheckpointID: r.ID, Status: checkpoint.StatusConnected, Reason: "solved"})
	if TaskErrorName(err) != ErrorCallbackFailed {
		t.Fatalf("got %v, want %s", err, ErrorCallbackFailed)
	}
	if accepted.Load() == 0 {
		t.Fatal("the callback was not attempted")
	}
	var details []string
	for _, e := range h.item(t, r.ID).Events {
		if e.Kind == store.EventCallback {
			details = append(details, e.Detail)
		}
	}
	for _, text := range append(details, err.(messages.InvokeResponse_Error).Message) {
		if text != callbackNotDelivered {
			t.Errorf("stored or reported %q, want the generic %q", text, callbackNotDelivered)
		}
		for _, leak := range []string{"reset", "refused", "EOF", "127.0.0.1", strconv.Itoa(port)} {
			if strings.Contains(text, leak) {
				t.Errorf("%q tells %q", text, leak)
			}
		}
	}
	if len(details) != 1 {
		t.Fatalf("callback history %q, want one line", details)
	}
}

// deliverySink answers the first n callbacks with 503, then 204.
type deliverySink struct {
	mu      sync.Mutex
	fail    int
	headers []http.Header
	bodies  [][]byte
}

func (s *deliverySink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := io.ReadAll(r.Body)
	s.headers, s.bodies = append(s.headers, r.Header.Clone()), append(s.bodies, b)
	if len(s.headers) <= s.fail {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Callbacks are delivered at least once: every attempt of one checkpoint's
// callback carries the same delivery id, in a header and in the signed
// body, so an app deduplicates on it; another checkpoint's is another.
func TestEveryAttemptOfACallbackCarriesOneDeliveryID(t *testing.T) {
	h := newHarness(t)
	sink := &deliverySink{fail: 2}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	ids := map[string]bool{}
	for _, acct := range []string{"acc_1", "acc_2"} {
		r := h.register(t, RegisterRequest{AccountID: acct, CallbackURL: srv.URL + "/cb"})
		in := FinishInput{CheckpointID: r.ID, Status: checkpoint.StatusConnected, Reason: "solved"}
		for {
			if _, err := h.svc.Finish(context.Background(), in); err == nil {
				break
			} else if TaskErrorName(err) != ErrorCallbackFailed {
				t.Fatal(err)
			}
		}
	}
	if len(sink.headers) != 4 {
		t.Fatalf("%d attempts, want 3 then 1", len(sink.headers))
	}
	for i, hd := range sink.headers {
		id := hd.Get(HeaderDeliveryID)
		var cb Callback
		if err := json.Unmarshal(sink.bodies[i], &cb); err != nil {
			t.Fatal(err)
		}
		if id == "" || cb.DeliveryID != id {
			t.Fatalf("attempt %d: header %q, body %q", i, id, cb.DeliveryID)
		}
		ids[id] = true
	}
	if len(ids) != 2 || sink.headers[0].Get(HeaderDeliveryID) != sink.headers[2].Get(HeaderDeliveryID) {
		t.Fatalf("delivery ids %v: want one per checkpoint, the same on every attempt", ids)
	}
}
