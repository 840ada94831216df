package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// The interpreter works on decoded JSON: nil, bool, string, int64 (integral
// numbers), float64, []any and map[string]any. Values are never modified in
// place once decoded, so states can share them.

// decodeJSON parses one JSON text. Integral numbers become int64 so that
// 7 stays 7 through a round trip, and everything else float64.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("unexpected data after the JSON text")
	}
	return normalize(v), nil
}

func decodeJSONString(s string) (any, error) { return decodeJSON([]byte(s)) }

func normalize(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case []any:
		for i := range v {
			v[i] = normalize(v[i])
		}
		return v
	case map[string]any:
		for k, e := range v {
			v[k] = normalize(e)
		}
		return v
	}
	return v
}

// encodeJSON writes a value compactly, without HTML escaping (Step Functions
// returns "<" as is).
func encodeJSON(v any) string {
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		// Only NaN or infinities can get here; they have no JSON form.
		return "null"
	}
	return string(bytes.TrimRight(buf.Bytes(), "\n"))
}

// number reports v as a float64 if it is a JSON number.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}

// integer reports v as an int64 if it is a JSON number with no fraction.
func integer(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	}
	return 0, false
}

// equalJSON compares two decoded values structurally, numbers by value.
func equalJSON(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	switch a := a.(type) {
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equalJSON(a[i], b[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok || !equalJSON(v, w) {
				return false
			}
		}
		return true
	}
	return a == b
}
