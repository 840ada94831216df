package problem

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriteSendsAnRFC9457Problem(t *testing.T) {
	rec := httptest.NewRecorder()
	d := ErrInvalidParams("the request has invalid fields")
	d.Errors = []FieldError{{Field: "phone", Detail: "must be E.164"}}
	Write(rec, d)
	if rec.Code != http.StatusBadRequest || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"type": "errors/invalid_parameters", "title": "Bad Request", "status": float64(400), "detail": "the request has invalid fields"} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	if errs, _ := got["errors"].([]any); len(errs) != 1 {
		t.Errorf("errors = %v", got["errors"])
	}
	if _, ok := got["instance"]; ok {
		t.Error("empty instance is sent")
	}
}
