package providerapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

const testKey = "test-key-9f8e7d"

// recorded is one request a fake API received.
type recorded struct {
	Method string
	Path   string
	Header http.Header
	Body   map[string]any
	Raw    string
}

// fakeAPI answers every request with one fixed answer and records what it
// was sent.
type fakeAPI struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newFakeAPI(t *testing.T, status int, contentType, body string) *fakeAPI {
	t.Helper()
	f := &fakeAPI{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		rec := recorded{Method: r.Method, Path: r.URL.EscapedPath(), Header: r.Header.Clone(), Raw: string(raw)}
		_ = json.Unmarshal(raw, &rec.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, rec)
		f.mu.Unlock()
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fakeAPI) only(t *testing.T) recorded {
	t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("API received %d requests, want exactly 1", len(reqs))
	}
	return reqs[0]
}

// problemBody is a postpress error exactly as the documents show it.
func problemBody(status int, typ, title string) string {
	b, _ := json.Marshal(map[string]any{
		"title": title, "detail": "Details of " + typ, "instance": "req_01HXYZ",
		"type": typ, "status": status,
	})
	return string(b)
}

// edgesError is an edges error envelope as NOTES.md shows it.
func edgesError(status int, label string) string {
	b, _ := json.Marshal(map[string]any{
		"error_label": label, "error_scope": "checkpoint", "error_ref": "ERR-12345",
		"message": "Message for " + label, "status_code": status, "params": map[string]any{},
	})
	return string(b)
}

func client(t *testing.T, api checkpoint.API, base string) Client {
	t.Helper()
	c, err := New(api, Config{BaseURL: base, APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
