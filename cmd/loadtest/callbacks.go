package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
)

// callbackSink is the app's side of the relay: it receives the signed
// callback each checkpoint sends when it ends, checks the signature as an
// app would, and counts them.
type callbackSink struct {
	url    string
	secret []byte
	srv    *http.Server

	mu  sync.Mutex
	got map[string]*callbackSeen
	bad int // refused: bad signature or body
}

type callbackSeen struct {
	count  int
	status string
}

func newCallbackSink(secret []byte) (*callbackSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &callbackSink{url: "http://" + ln.Addr().String() + "/callback", secret: secret, got: map[string]*callbackSeen{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /callback", s.receive)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *callbackSink) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	var cb struct {
		CheckpointID string `json:"checkpoint_id"`
		Status       string `json:"status"`
	}
	if err == nil {
		err = json.Unmarshal(body, &cb)
	}
	// Without the relay's signing secret (a remote relay and no
	// --callback-secret) the signature cannot be checked; the count still
	// means something.
	if err == nil && len(s.secret) > 0 {
		err = inbound.VerifyRelaySignature(s.secret, r.Header.Get(inbound.HeaderRelayTimestamp),
			r.Header.Get(inbound.HeaderRelaySignature), body, time.Now())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || cb.CheckpointID == "" {
		s.bad++
		http.Error(w, "refused", http.StatusUnauthorized)
		return
	}
	seen := s.got[cb.CheckpointID]
	if seen == nil {
		seen = &callbackSeen{}
		s.got[cb.CheckpointID] = seen
	}
	seen.count++
	seen.status = cb.Status
	w.WriteHeader(http.StatusNoContent)
}

// seen returns the callbacks a checkpoint received.
func (s *callbackSink) seen(id string) callbackSeen {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.got[id]; c != nil {
		return *c
	}
	return callbackSeen{}
}

func (s *callbackSink) refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bad
}

func (s *callbackSink) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}
