package providerapi

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// Endpoint names one checkpoint endpoint of an API.
type Endpoint string

const (
	// EndpointSolve submits a code or polls an in-app validation.
	EndpointSolve Endpoint = "solve"
	// EndpointResend asks for the checkpoint notification again (postpress).
	EndpointResend Endpoint = "resend"
)

// Any matches every API, endpoint, status or case in a Row.
const Any = "*"

// Row is one line of the outcome table: an answer of one API's endpoint,
// recognised by its HTTP status and its case, and the outcome it means.
type Row struct {
	// API is "postpress", "linkup", "edges", or Any.
	API string `json:"api"`
	// Endpoint is "solve", "resend", or Any.
	Endpoint string `json:"endpoint"`
	// Status is an exact HTTP status ("401"), a class ("5xx"), or Any.
	Status string `json:"status"`
	// Case is what the answer is branched on: the postpress error `type` or
	// success `object`, the edges `error_label` or account `status`, one of
	// the linkup cases this package infers (see linkup.go), or a relay/*
	// condition for answers that could not be read. Any matches a case no
	// other row names.
	Case    string             `json:"case"`
	Outcome checkpoint.Outcome `json:"outcome"`
	// Note says why, where the outcome is a decision rather than a
	// documented fact.
	Note string `json:"note,omitempty"`
}

// Cases the client assigns itself when an answer cannot be branched on a
// documented field. They appear in Result.ErrorType.
const (
	CaseTimeout        = "relay/timeout"
	CaseNetworkError   = "relay/network_error"
	CaseNotJSON        = "relay/not_json"
	CaseBodyTooLarge   = "relay/body_too_large"
	CaseUnexpectedBody = "relay/unexpected_body"
	// CaseInvalidRequest: the request could not be built; nothing was sent.
	CaseInvalidRequest = "relay/invalid_request"
)

const (
	pp = string(checkpoint.APIPostpress)
	lk = string(checkpoint.APILinkup)
	ed = string(checkpoint.APIEdges)
	sv = string(EndpointSolve)
	rs = string(EndpointResend)
)

const (
	connected = checkpoint.Connected
	next      = checkpoint.NextCheckpoint
	invalid   = checkpoint.InvalidCode
	pending   = checkpoint.Pending
	restart   = checkpoint.Restart
	retry     = checkpoint.Retry
	rejected  = checkpoint.Rejected
	resent    = checkpoint.Resent
)

// outcomeTable is the one place where provider answers become outcomes.
// Every documented error type of every endpoint has its row; the rows with
// Case Any are the deliberate fallbacks for everything undocumented.
var outcomeTable = []Row{
	// postpress solve: successes (branch on `object`, NOTES.md).
	{pp, sv, "2xx", "AccountCreated", connected, "documented as 201"},
	{pp, sv, "2xx", "Checkpoint", next, "chained checkpoint; checkpoint.type is the new type"},
	// postpress solve: 400, the request itself is wrong; sending it again cannot help.
	{pp, sv, "400", "errors/invalid_parameters", rejected, ""},
	{pp, sv, "400", "errors/missing_parameters", rejected, ""},
	{pp, sv, "400", "errors/invalid_request", rejected, ""},
	{pp, sv, "400", "errors/malformed_request", rejected, ""},
	{pp, sv, "400", "errors/content_too_large", rejected, ""},
	{pp, sv, "400", "errors/too_many_characters", rejected, ""},
	{pp, sv, "400", "errors/unescaped_characters", rejected, ""},
	{pp, sv, "400", "errors/limit_too_high", rejected, ""},
	{pp, sv, "401", "errors/invalid_checkpoint_solution", invalid, "the code was wrong"},
	{pp, sv, "403", "errors/account_restricted", rejected, ""},
	{pp, sv, "403", "errors/account_mismatch", rejected, ""},
	{pp, sv, "403", "errors/insufficient_permissions", rejected, ""},
	{pp, sv, "403", "errors/session_mismatch", rejected, ""},
	{pp, sv, "403", "errors/feature_not_subscribed", rejected, ""},
	{pp, sv, "403", "errors/subscription_required", rejected, ""},
	{pp, sv, "403", "errors/unknown_authentication_context", restart, "no live intent for this account: the app must log in again"},
	{pp, sv, "403", "errors/action_required", rejected, "needs a human on the provider's side"},
	{pp, sv, "403", "errors/resource_access_restricted", rejected, ""},
	{pp, sv, "407", "errors/proxy_auth_error", retry, "documented: try again"},
	{pp, sv, "408", "errors/request_timeout", retry, ""},
	{pp, sv, "409", "errors/operation_canceled", rejected, "a newer task superseded this one; retrying would fight it"},
	{pp, sv, "409", "errors/already_exists", rejected, "the account is already connected elsewhere"},
	{pp, sv, "500", "errors/unexpected_error", retry, ""},
	{pp, sv, "500", "errors/provider_error", retry, ""},
	{pp, sv, "500", "errors/authentication_intent_error", restart, "intent killed: restart from the beginning"},
	{pp, sv, "502", "errors/proxy_error", retry, ""},
	{pp, sv, "503", "errors/no_client_session", retry, ""},
	{pp, sv, "503", "errors/no_channel", retry, ""},
	{pp, sv, "503", "errors/no_handler", retry, ""},
	{pp, sv, "503", "errors/network_down", retry, ""},
	{pp, sv, "503", "errors/service_unavailable", retry, ""},
	{pp, sv, "504", "errors/request_timeout", retry, ""},

	// postpress resend: successes.
	{pp, rs, "2xx", "CheckpointResend success:true", resent, "documented as 200"},
	{pp, rs, "2xx", "CheckpointResend success:false", retry, "the provider did not acknowledge: nothing was sent, asking again later is safe"},
	{pp, rs, "400", "errors/invalid_parameters", rejected, ""},
	{pp, rs, "400", "errors/missing_parameters", rejected, ""},
	{pp, rs, "400", "errors/invalid_request", rejected, ""},
	{pp, rs, "400", "errors/malformed_request", rejected, ""},
	{pp, rs, "400", "errors/content_too_large", rejected, ""},
	{pp, rs, "400", "errors/too_many_characters", rejected, ""},
	{pp, rs, "400", "errors/unescaped_characters", rejected, ""},
	{pp, rs, "400", "errors/limit_too_high", rejected, ""},
	{pp, rs, "401", "errors/missing_credentials", rejected, "our API key is missing"},
	{pp, rs, "401", "errors/multiple_sessions", rejected, ""},
	{pp, rs, "401", "errors/invalid_checkpoint_solution", rejected, "nothing to resend for a failed checkpoint"},
	{pp, rs, "401", "errors/invalid_proxy_credentials", rejected, ""},
	{pp, rs, "401", "errors/checkpoint_error", rejected, "documented as not resolvable"},
	{pp, rs, "401", "errors/invalid_credentials", rejected, ""},
	{pp, rs, "401", "errors/expired_credentials", restart, "documented: reconnect the account"},
	{pp, rs, "401", "errors/insufficient_privileges", rejected, "outside our API key's scopes"},
	{pp, rs, "401", "errors/disconnected_account", restart, "the account must be connected again"},
	{pp, rs, "401", "errors/disconnected_feature", rejected, ""},
	{pp, rs, "401", "errors/invalid_credentials_but_valid_account_imap", rejected, ""},
	{pp, rs, "401", "errors/expired_link", restart, "documented: generate a new one"},
	{pp, rs, "401", "errors/wrong_account", rejected, ""},
	{pp, rs, "500", "errors/unexpected_error", retry, ""},
	{pp, rs, "500", "errors/provider_error", retry, ""},
	{pp, rs, "500", "errors/authentication_intent_error", restart, "intent killed: restart from the beginning"},
	// postpress, either endpoint: documented for resend only, but a type
	// means one thing across the API, and what is not implemented will not
	// be by retrying.
	{pp, Any, "501", "errors/feature_not_implemented", rejected, "not offered for this provider"},
	{pp, rs, "503", "errors/no_client_session", retry, ""},
	{pp, rs, "503", "errors/no_channel", retry, ""},
	{pp, rs, "503", "errors/no_handler", retry, ""},
	{pp, rs, "503", "errors/network_down", retry, ""},
	{pp, rs, "503", "errors/service_unavailable", retry, ""},
	{pp, rs, "504", "errors/request_timeout", retry, ""},

	// linkup solve: only the success is documented; the error cases are
	// inferred from the HTTP status and message (linkup.go says how).
	{lk, sv, "2xx", "status:connected", connected, "documented"},
	{lk, sv, "2xx", "status:pending", pending, "assumed answer while an app_challenge is not approved"},
	{lk, sv, "2xx", "status:checkpoint_required", next, "assumed: the /v2/login checkpoint answer, data.challenge_type is the new type"},
	{lk, sv, Any, "linkup/invalid_api_key", rejected, "assumed: 401 or 403"},
	{lk, sv, Any, "linkup/insufficient_credits", rejected, "assumed: 402, or a message about credits"},
	{lk, sv, Any, "linkup/session_expired", restart, "documented: an expired session needs /v2/login again; recognised by its message"},
	{lk, sv, Any, "linkup/challenge_pending", pending, "assumed: a message saying the app challenge is not approved yet"},
	{lk, sv, Any, "linkup/invalid_code", invalid, "assumed: a message about a wrong code"},
	{lk, sv, Any, "linkup/account_not_found", restart, "assumed: 404, the checkpoint's account is gone"},
	{lk, sv, Any, "linkup/rate_limited", retry, "assumed: 429"},
	{lk, sv, Any, "linkup/server_error", retry, "assumed: 5xx"},
	{lk, sv, Any, "linkup/bad_request", rejected, "assumed: any other success:false answer"},

	// edges solve: the account object's status.
	{ed, sv, "2xx", "status:VALID", connected, "documented"},
	{ed, sv, "2xx", "status:PENDING", pending, "keep polling, as for IN_APP_CHALLENGE_PENDING"},
	{ed, sv, "2xx", "status:INVALID", restart, "the integration account is not valid: log in again"},
	{ed, sv, "2xx", "status:LIMIT_REACHED", rejected, "the account's limit resets in about 24 h, beyond any checkpoint's life"},
	// edges checkpoint labels (their HTTP status is not documented).
	{ed, sv, Any, "IN_APP_CHALLENGE_PENDING", pending, "documented: continue polling"},
	{ed, sv, Any, "IN_APP_CHALLENGE_EXPIRED", restart, "documented"},
	{ed, sv, Any, "2FA_VALIDATION_EXPIRED", restart, "documented"},
	{ed, sv, Any, "CHECKPOINT_MISSING_DATA", restart, "documented"},
	{ed, sv, Any, "INVALID_CODE", invalid, "documented"},
	// edges general labels (NOTES.md).
	{ed, sv, Any, "INVALID_INPUT", rejected, "the envelope's own example (400)"},
	{ed, sv, Any, "BAD_INPUT", rejected, "400, no retry"},
	{ed, sv, Any, "BAD_PARAMETERS", rejected, "400, no retry"},
	{ed, sv, Any, "NO_ACCESS", rejected, "402"},
	{ed, sv, Any, "STATUS_429", retry, "429, retry with backoff"},
	{ed, sv, Any, "LIMIT_REACHED", rejected, "429/424, wait 24 h: beyond any checkpoint's life"},
	{ed, sv, Any, "LK_ERROR", retry, "424, retry with backoff"},
	{ed, sv, Any, "LK_524", retry, "424, retry with backoff"},
	{ed, sv, Any, "GENERIC_ERROR", retry, "424, retry with backoff"},
	{ed, sv, Any, "PROXY_ERROR", rejected, "424, no retry"},
	{ed, sv, Any, "INTEGRATION_ERROR", rejected, "424, no retry"},

	// Every API: answers that name no documented case, by status class.
	{Any, Any, Any, CaseTimeout, retry, "no answer before the deadline; the state machine decides whether to call again"},
	{Any, Any, Any, CaseNetworkError, retry, "connection refused or reset before a complete answer"},
	{Any, Any, Any, CaseInvalidRequest, rejected, "the request could not be built: nothing was sent"},
	{Any, Any, "2xx", Any, rejected, "a success we cannot read is never taken as success"},
	{Any, Any, "3xx", Any, rejected, "redirects are not followed: the key header would travel with them"},
	{Any, Any, "408", Any, retry, ""},
	{Any, Any, "425", Any, retry, ""},
	{Any, Any, "429", Any, retry, ""},
	{Any, Any, "4xx", Any, rejected, "an unknown client error will not heal by itself"},
	{Any, Any, "5xx", Any, retry, "server and proxy failures, an HTML error page included"},
	{Any, Any, Any, Any, rejected, "anything else (1xx, statuses out of range)"},
}

// OutcomeTable returns a copy of the outcome table, in its order, for
// documentation and tests.
func OutcomeTable() []Row {
	return append([]Row(nil), outcomeTable...)
}

// Lookup returns the row that decides an answer. A row matches when each of
// its fields equals the answer's or is Any (Status also matches by class;
// a row naming the case matches under any status, because the documented
// type decides, not the status alone). Among matching rows the one naming
// the case wins, then the one with the most precise status, then the one
// naming the API and endpoint. The last row matches everything, so Lookup
// always answers.
func Lookup(api checkpoint.API, ep Endpoint, status int, cas string) Row {
	best, bestScore := outcomeTable[len(outcomeTable)-1], -1
	for _, r := range outcomeTable {
		score, ok := r.match(string(api), string(ep), status, cas)
		if ok && score > bestScore {
			best, bestScore = r, score
		}
	}
	return best
}

func (r Row) match(api, ep string, status int, cas string) (int, bool) {
	score := 0
	switch r.Case {
	case cas:
		score += 1000
	case Any:
	default:
		return 0, false
	}
	switch {
	case r.Status == Any:
	case r.Status == strconv.Itoa(status):
		score += 100
	case len(r.Status) == 3 && r.Status[1:] == "xx" && status >= 100 && status <= 599 &&
		r.Status[0] == byte('0'+status/100):
		score += 50
	case r.Case != Any:
		// The documented type decides even under an undocumented status.
	default:
		return 0, false
	}
	switch r.API {
	case api:
		score += 10
	case Any:
	default:
		return 0, false
	}
	switch r.Endpoint {
	case ep:
		score += 5
	case Any:
	default:
		return 0, false
	}
	return score, true
}

// MarkdownTable renders the outcome table as a Markdown table, for the
// README and `checkpoint-relay outcomes`.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| api | endpoint | status | case | outcome | why |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for _, r := range outcomeTable {
		fmt.Fprintf(&b, "| %s | %s | %s | `%s` | %s | %s |\n", r.API, r.Endpoint, r.Status, r.Case, r.Outcome, r.Note)
	}
	return b.String()
}
