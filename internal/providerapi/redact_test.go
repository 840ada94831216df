package providerapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// echoes are provider answers that repeat the submitted code, in every form
// a body can carry it: in a JSON message, escaped, with separators inside
// it, in an HTML page (split by tags, as entities), in plain text, in the
// error type itself, past the length the detail is clipped to.
func echoes(code string) []struct {
	name, contentType, body string
	status                  int
} {
	spaced := code[:3] + " " + code[3:]
	dashed := code[:4] + "-" + code[4:]
	var escaped, entities, fullWidth strings.Builder
	for _, r := range code {
		fmt.Fprintf(&escaped, `\u%04x`, r)
		fmt.Fprintf(&entities, "&#%d;", r)
		if r >= '0' && r <= '9' {
			fullWidth.WriteRune(r - '0' + '０')
		} else {
			fullWidth.WriteRune(r - 'A' + 'Ａ')
		}
	}
	pad := strings.Repeat("x", maxDetail-4)
	return []struct {
		name, contentType, body string
		status                  int
	}{
		{"json message", "application/problem+json", `{"type":"errors/invalid_parameters","status":400,"title":"Bad","detail":"the code ` + code + ` is not valid"}`, 400},
		{"json, lower case", "application/problem+json", `{"type":"errors/invalid_parameters","status":400,"detail":"code ` + strings.ToLower(code) + `"}`, 400},
		{"json, spaced", "application/problem+json", `{"type":"errors/invalid_parameters","status":400,"detail":"code ` + spaced + ` refused"}`, 400},
		{"json, dashed", "application/problem+json", `{"type":"errors/invalid_parameters","status":400,"detail":"code ` + dashed + ` refused"}`, 400},
		{"json, every character apart", "application/problem+json", `{"type":"errors/invalid_parameters","status":400,"detail":"code ` + strings.Join(strings.Split(code, ""), ". ") + `"}`, 400},
		{"json, no-break space and en dash", "application/problem+json", `{"type":"errors/invalid_parameters","status":400,"detail":"code ` + code[:2] + "\u00a0" + code[2:5] + "\u2013" + code[5:] + `"}`, 400},
		{"json, unicode escapes", "application/problem+json", `{"type":"errors/invalid_parameters","status":400,"detail":"code ` + escaped.String() + `"}`, 400},
		{"json, full-width", "application/problem+json", `{"type":"errors/invalid_parameters","status":400,"detail":"code ` + fullWidth.String() + `"}`, 400},
		{"json, in the error type", "application/problem+json", `{"type":"errors/` + code + `","status":400,"detail":"x"}`, 400},
		{"json, past the clip", "application/problem+json", `{"type":"errors/invalid_parameters","status":400,"detail":"` + pad + code + `"}`, 400},
		{"json of an unexpected shape", "application/json", `{"weird":{"echo":"` + escaped.String() + `","again":"` + spaced + `"}}`, 200},
		{"html page", "text/html", `<html><head><title>502 for ` + code + `</title></head><body><p>Code <b>` + code[:4] + `</b>` + code[4:] + ` failed</p><!-- ` + code + ` --><p>` + entities.String() + `</p></body></html>`, 502},
		{"plain text", "text/plain", "bad gateway while checking code " + spaced + "\n", 502},
		{"plain text past the clip", "text/plain", pad + dashed, 503},
	}
}

// leaks reports whether text holds the code, or four characters of it in a
// row, once separators are removed and case and width folded.
func leaks(text, code string) bool {
	var b strings.Builder
	for _, r := range text {
		switch {
		case r >= '０' && r <= '９':
			r = r - '０' + '0'
		case r >= 'Ａ' && r <= 'Ｚ':
			r = r - 'Ａ' + 'A'
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	flat := b.String()
	for i := 0; i+4 <= len(code); i++ {
		if strings.Contains(flat, code[i:i+4]) {
			return true
		}
	}
	return false
}

// TestProviderTextNeverCarriesTheCode: whatever form a provider echoes the
// submitted code in, the Result (what is logged, stored and handed to the
// state machine) does not hold it.
func TestProviderTextNeverCarriesTheCode(t *testing.T) {
	for _, code := range []string{"73915846", "QZ7W4K"} {
		for _, api := range checkpoint.APIs {
			for _, e := range echoes(code) {
				t.Run(fmt.Sprintf("%s/%s/%s", code, api, e.name), func(t *testing.T) {
					body := e.body
					if api == checkpoint.APIEdges && strings.HasPrefix(body, `{"type"`) {
						body = strings.Replace(strings.Replace(body, `"type"`, `"error_label"`, 1), `"detail"`, `"message"`, 1)
					}
					if api == checkpoint.APILinkup && strings.HasPrefix(body, `{"type"`) {
						body = strings.Replace(strings.Replace(body, `{"type"`, `{"success":false,"kind"`, 1), `"detail"`, `"message"`, 1)
					}
					f := newFakeAPI(t, e.status, e.contentType, body)
					res, err := client(t, api, f.URL).Solve(context.Background(), SolveRequest{
						AccountID: "acc_1", Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.TypeCodeChallenge, Code: code})
					if err != nil {
						t.Fatal(err)
					}
					out, _ := json.Marshal(res)
					if leaks(string(out), code) {
						t.Fatalf("the result carries the code: %s", out)
					}
					if res.Detail == "" && e.status != http.StatusOK {
						t.Fatalf("no detail left at all: %s", out)
					}
					if len(res.Detail) > maxDetail+len("…") {
						t.Fatalf("detail of %d bytes", len(res.Detail))
					}
				})
			}
		}
	}
}

// BenchmarkRedactLargestBody: the largest body a client reads, an HTML page
// echoing the code, made text and redacted.
func BenchmarkRedactLargestBody(b *testing.B) {
	page := []byte("<html><body>" + strings.Repeat("<p>error 502 while checking code <b>7391</b>5846 for acc_1</p>\n", MaxResponseBytes/70) + "</body></html>")
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if strings.Contains(redact(bodyText(page), "73915846"), "5846") {
			b.Fatal("leaked")
		}
	}
}
