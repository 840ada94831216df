package providerapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// documented is one documented error of one endpoint, copied from the
// documents in shared/seeds independently of the outcome table, with the
// outcome the relay must give it.
type documented struct {
	api    checkpoint.API
	ep     Endpoint
	status int
	typ    string
	want   checkpoint.Outcome
}

func postpressSolveErrors() []documented {
	rows := []documented{}
	add := func(status int, want checkpoint.Outcome, types ...string) {
		for _, typ := range types {
			rows = append(rows, documented{checkpoint.APIPostpress, EndpointSolve, status, "errors/" + typ, want})
		}
	}
	add(400, rejected, "invalid_parameters", "missing_parameters", "invalid_request", "malformed_request",
		"content_too_large", "too_many_characters", "unescaped_characters", "limit_too_high")
	add(401, invalid, "invalid_checkpoint_solution")
	add(403, rejected, "account_restricted", "account_mismatch", "insufficient_permissions", "session_mismatch",
		"feature_not_subscribed", "subscription_required", "action_required", "resource_access_restricted")
	add(403, restart, "unknown_authentication_context")
	add(407, retry, "proxy_auth_error")
	add(408, retry, "request_timeout")
	add(409, rejected, "operation_canceled", "already_exists")
	add(500, retry, "unexpected_error", "provider_error")
	add(500, restart, "authentication_intent_error")
	add(502, retry, "proxy_error")
	add(503, retry, "no_client_session", "no_channel", "no_handler", "network_down", "service_unavailable")
	add(504, retry, "request_timeout")
	return rows
}

func postpressResendErrors() []documented {
	rows := []documented{}
	add := func(status int, want checkpoint.Outcome, types ...string) {
		for _, typ := range types {
			rows = append(rows, documented{checkpoint.APIPostpress, EndpointResend, status, "errors/" + typ, want})
		}
	}
	add(400, rejected, "invalid_parameters", "missing_parameters", "invalid_request", "malformed_request",
		"content_too_large", "too_many_characters", "unescaped_characters", "limit_too_high")
	add(401, rejected, "missing_credentials", "multiple_sessions", "invalid_checkpoint_solution",
		"invalid_proxy_credentials", "checkpoint_error", "invalid_credentials", "insufficient_privileges",
		"disconnected_feature", "invalid_credentials_but_valid_account_imap", "wrong_account")
	add(401, restart, "expired_credentials", "disconnected_account", "expired_link")
	add(500, retry, "unexpected_error", "provider_error")
	add(500, restart, "authentication_intent_error")
	add(501, rejected, "feature_not_implemented")
	add(503, retry, "no_client_session", "no_channel", "no_handler", "network_down", "service_unavailable")
	add(504, retry, "request_timeout")
	return rows
}

// edgesErrors are the checkpoint labels of the edges document (HTTP status
// undocumented; 400 is used) and the general labels of NOTES.md with their
// documented statuses.
func edgesErrors() []documented {
	rows := []documented{}
	add := func(status int, want checkpoint.Outcome, labels ...string) {
		for _, l := range labels {
			rows = append(rows, documented{checkpoint.APIEdges, EndpointSolve, status, l, want})
		}
	}
	add(400, pending, "IN_APP_CHALLENGE_PENDING")
	add(400, restart, "IN_APP_CHALLENGE_EXPIRED", "2FA_VALIDATION_EXPIRED", "CHECKPOINT_MISSING_DATA")
	add(400, invalid, "INVALID_CODE")
	add(400, rejected, "INVALID_INPUT", "BAD_INPUT", "BAD_PARAMETERS")
	add(402, rejected, "NO_ACCESS")
	add(429, retry, "STATUS_429")
	add(429, rejected, "LIMIT_REACHED")
	add(424, rejected, "LIMIT_REACHED", "PROXY_ERROR", "INTEGRATION_ERROR")
	add(424, retry, "LK_ERROR", "LK_524", "GENERIC_ERROR")
	return rows
}

func TestEveryDocumentedErrorIsARowWithItsOutcome(t *testing.T) {
	all := append(append(postpressSolveErrors(), postpressResendErrors()...), edgesErrors()...)
	for _, d := range all {
		t.Run(fmt.Sprintf("%s/%s/%d/%s", d.api, d.ep, d.status, d.typ), func(t *testing.T) {
			var body string
			switch d.api {
			case checkpoint.APIPostpress:
				body = problemBody(d.status, d.typ, http.StatusText(d.status))
			case checkpoint.APIEdges:
				body = edgesError(d.status, d.typ)
			}
			ct := "application/problem+json"
			if d.api == checkpoint.APIEdges {
				ct = "application/json"
			}
			f := newFakeAPI(t, d.status, ct, body)
			c := client(t, d.api, f.URL)
			var res Result
			var err error
			if d.ep == EndpointResend {
				res, err = c.Resend(context.Background(), ResendRequest{AccountID: "acc_1", Provider: checkpoint.ProviderLinkedIn})
			} else {
				res, err = c.Solve(context.Background(), SolveRequest{AccountID: "acc_1", Provider: checkpoint.ProviderLinkedIn, Code: "424242"})
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != d.want || res.ErrorType != d.typ || res.HTTPStatus != d.status {
				t.Fatalf("got %+v, want outcome %s, type %s, status %d", res, d.want, d.typ, d.status)
			}
			f.only(t)
			// The row that decided must name the type: a fallback row
			// deciding a documented type means the table lacks it.
			if row := Lookup(d.api, d.ep, d.status, d.typ); row.Case != d.typ {
				t.Fatalf("decided by fallback row %+v", row)
			}
		})
	}
}

// TestTableHoldsOnlyDocumentedErrors is the other direction: the table has
// no error row the documents do not list (a typo would be one).
func TestTableHoldsOnlyDocumentedErrors(t *testing.T) {
	known := map[string]bool{}
	for _, d := range append(append(postpressSolveErrors(), postpressResendErrors()...), edgesErrors()...) {
		known[fmt.Sprintf("%s|%s|%s", d.api, d.ep, d.typ)] = true
		known[fmt.Sprintf("%s|%s|%d|%s", d.api, d.ep, d.status, d.typ)] = true
	}
	for _, r := range OutcomeTable() {
		if r.API == Any || r.API == lk || r.Case == Any || isSuccessCase(r.Case) {
			continue
		}
		documentedOn := func(ep string) bool {
			key := fmt.Sprintf("%s|%s|%s", r.API, ep, r.Case)
			if _, err := strconv.Atoi(r.Status); err == nil {
				key = fmt.Sprintf("%s|%s|%s|%s", r.API, ep, r.Status, r.Case)
			}
			return known[key]
		}
		// A row for every endpoint must be documented for at least one.
		if !(documentedOn(r.Endpoint) || r.Endpoint == Any && (documentedOn(sv) || documentedOn(rs))) {
			t.Errorf("row %+v is not a documented error", r)
		}
	}
}

func isSuccessCase(c string) bool {
	switch c {
	case "AccountCreated", "Checkpoint", "CheckpointResend success:true", "CheckpointResend success:false":
		return true
	}
	return len(c) > 7 && c[:7] == "status:"
}

func TestEveryOutcomeRowHasAKnownOutcome(t *testing.T) {
	valid := map[checkpoint.Outcome]bool{}
	for _, o := range checkpoint.Outcomes {
		valid[o] = true
	}
	seen := map[string]bool{}
	for _, r := range OutcomeTable() {
		if !valid[r.Outcome] {
			t.Errorf("row %+v has unknown outcome", r)
		}
		key := r.API + "|" + r.Endpoint + "|" + r.Status + "|" + r.Case
		if seen[key] {
			t.Errorf("row %+v is duplicated", r)
		}
		seen[key] = true
	}
	if last := outcomeTable[len(outcomeTable)-1]; last.API != Any || last.Endpoint != Any || last.Status != Any || last.Case != Any {
		t.Errorf("the last row must match everything, got %+v", last)
	}
}

func TestLookupPrefersTheMostSpecificRow(t *testing.T) {
	tests := []struct {
		name   string
		api    checkpoint.API
		ep     Endpoint
		status int
		cas    string
		want   checkpoint.Outcome
	}{
		{"documented type wins over its status class", checkpoint.APIPostpress, EndpointSolve, 500, "errors/authentication_intent_error", restart},
		{"a documented type under another status still decides", checkpoint.APIPostpress, EndpointSolve, 400, "errors/invalid_checkpoint_solution", invalid},
		{"a type of the other endpoint is unknown here", checkpoint.APIPostpress, EndpointSolve, 401, "errors/expired_credentials", rejected},
		{"unknown 5xx type retries", checkpoint.APIPostpress, EndpointSolve, 599, "errors/brand_new", retry},
		{"unknown 4xx type is rejected", checkpoint.APIEdges, EndpointSolve, 418, "TEAPOT", rejected},
		{"unknown 429 retries", checkpoint.APIEdges, EndpointSolve, 429, "SLOW_DOWN", retry},
		{"unknown 2xx is never success", checkpoint.APILinkup, EndpointSolve, 200, CaseUnexpectedBody, rejected},
		{"status out of range is rejected", checkpoint.APILinkup, EndpointSolve, 0, "x", rejected},
		{"timeout retries", checkpoint.APIEdges, EndpointSolve, 0, CaseTimeout, retry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Lookup(tt.api, tt.ep, tt.status, tt.cas).Outcome; got != tt.want {
				t.Fatalf("Lookup = %s, want %s", got, tt.want)
			}
		})
	}
}

// A postpress error type means one thing whichever endpoint answers it:
// feature_not_implemented is documented for resend only, and a solve that
// meets it (the provider does not offer this checkpoint) must stop, not be
// retried as a 5xx.
func TestFeatureNotImplementedIsRejectedOnSolveToo(t *testing.T) {
	f := newFakeAPI(t, http.StatusNotImplemented, "application/problem+json",
		problemBody(http.StatusNotImplemented, "errors/feature_not_implemented", "Not Implemented"))
	res, err := client(t, checkpoint.APIPostpress, f.URL).Solve(context.Background(),
		SolveRequest{AccountID: "acc_1", Provider: checkpoint.ProviderLinkedIn, Code: "424242"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != rejected || res.ErrorType != "errors/feature_not_implemented" {
		t.Fatalf("got %+v, want rejected", res)
	}
	if row := Lookup(checkpoint.APIPostpress, EndpointSolve, 501, "errors/feature_not_implemented"); row.Case != "errors/feature_not_implemented" {
		t.Fatalf("decided by fallback row %+v", row)
	}
}

func TestMarkdownTableHasOneLinePerRow(t *testing.T) {
	md := MarkdownTable()
	lines := strings.Split(strings.TrimSuffix(md, "\n"), "\n")
	if len(lines) != len(OutcomeTable())+2 {
		t.Fatalf("%d lines for %d rows", len(lines), len(OutcomeTable()))
	}
	if !strings.Contains(md, "| postpress | solve | 401 | `errors/invalid_checkpoint_solution` | invalid_code |") {
		t.Fatalf("row missing:\n%s", md)
	}
}
