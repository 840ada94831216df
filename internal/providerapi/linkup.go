package providerapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// Linkup calls the LinkupAPI-style /v2/checkpoint endpoint. Every call costs
// a credit, so the client makes exactly one request per Solve.
type Linkup struct{ t *transport }

var _ Client = (*Linkup)(nil)

// NewLinkup returns a linkup client. BaseURL and APIKey are required.
func NewLinkup(cfg Config) (*Linkup, error) {
	t, err := newTransport(checkpoint.APILinkup, "x-api-key", cfg)
	if err != nil {
		return nil, err
	}
	return &Linkup{t: t}, nil
}

// API implements Client.
func (*Linkup) API() checkpoint.API { return checkpoint.APILinkup }

// linkupBody omits code for an app_challenge: the document says to send
// only the account_id.
type linkupBody struct {
	AccountID string `json:"account_id"`
	Code      string `json:"code,omitempty"`
}

type linkupAnswer struct {
	Success *bool `json:"success"`
	Data    *struct {
		AccountID     string `json:"account_id"`
		Status        string `json:"status"`
		ChallengeType string `json:"challenge_type"`
	} `json:"data"`
	Metadata *struct {
		CreditsConsumed *int `json:"credits_consumed"`
	} `json:"metadata"`
	// The error bodies are undocumented beyond success:false; these are the
	// places an explanation is commonly found (FastAPI puts it in detail).
	Message string `json:"message"`
	Error   any    `json:"error"`
	Detail  any    `json:"detail"`
}

// Solve implements Client. A code is sent for a code_challenge; an
// app_challenge, or an empty code, sends only the account_id, which asks
// whether the user approved in the app.
func (l *Linkup) Solve(ctx context.Context, req SolveRequest) (res Result, err error) {
	defer finish(&res, &err, req.AccountID, req.Code)
	if strings.TrimSpace(req.AccountID) == "" {
		return Result{}, fmt.Errorf("account id is required")
	}
	body := linkupBody{AccountID: req.AccountID}
	if req.Type != checkpoint.TypeAppChallenge {
		body.Code = req.Code
	}
	a, res, ok := l.t.post(ctx, EndpointSolve, "/v2/checkpoint", body)
	if !ok {
		return res, nil
	}
	var ans linkupAnswer
	if !decode(a, &ans) {
		return l.t.unreadable(EndpointSolve, a), nil
	}
	r := Result{HTTPStatus: a.status, AccountID: req.AccountID}
	if ans.Metadata != nil && ans.Metadata.CreditsConsumed != nil {
		n := *ans.Metadata.CreditsConsumed
		r.CreditsConsumed = &n
	}
	if ans.Data != nil && ans.Data.AccountID != "" {
		r.AccountID = ans.Data.AccountID
	}
	if success(a.status) && ans.Success != nil && *ans.Success {
		if ans.Data == nil || ans.Data.Status == "" {
			return withCredits(l.t.unreadable(EndpointSolve, a), r.CreditsConsumed), nil
		}
		cas := "status:" + ans.Data.Status
		row := Lookup(checkpoint.APILinkup, EndpointSolve, a.status, cas)
		if row.Case != cas {
			return withCredits(l.t.unreadable(EndpointSolve, a), r.CreditsConsumed), nil
		}
		r.Outcome = row.Outcome
		if row.Outcome == checkpoint.NextCheckpoint {
			if ans.Data.ChallengeType == "" {
				return withCredits(l.t.unreadable(EndpointSolve, a), r.CreditsConsumed), nil
			}
			r.NextCheckpoint = &NextCheckpoint{Type: checkpoint.Type(ans.Data.ChallengeType)}
		}
		return r, nil
	}
	if ans.Success == nil && success(a.status) {
		return withCredits(l.t.unreadable(EndpointSolve, a), r.CreditsConsumed), nil
	}
	msg := ans.message()
	cas := linkupCase(a.status, msg)
	r.Outcome = Lookup(checkpoint.APILinkup, EndpointSolve, a.status, cas).Outcome
	r.ErrorType = cas
	r.Detail = msg
	return r, nil
}

// Resend implements Client: linkup has no resend endpoint.
func (*Linkup) Resend(context.Context, ResendRequest) (Result, error) {
	return Result{}, fmt.Errorf("linkup resend: %w", ErrUnsupported)
}

func (a linkupAnswer) message() string {
	for _, v := range []any{a.Message, a.Error, a.Detail} {
		switch s := v.(type) {
		case string:
			if s != "" {
				return s
			}
		case map[string]any:
			if m, ok := s["message"].(string); ok && m != "" {
				return m
			}
		}
	}
	return ""
}

// linkupCase infers the case of a linkup failure. The document only says
// errors have success:false and that an expired session needs /v2/login
// again, so these are assumptions, in order:
//   - 401 and 403 are about our API key, whatever the message says;
//   - 429: rate limited; 5xx: the server's failure, whatever the message;
//   - 402, or a message saying credits are lacking ("insufficient",
//     "not enough", "out of", "no more" credits): the plan has run out. A
//     message that only mentions credits ("1 credit consumed") is not;
//   - otherwise the message decides: "expired" or "session" (and "login
//     again") means the session is dead; "pending", "not approved",
//     "waiting" means the app challenge is not approved yet; "code",
//     "invalid" or "incorrect" means the code was wrong;
//   - 404 without such a message: the account is gone;
//   - anything else is a request we should not repeat.
func linkupCase(status int, msg string) string {
	m := strings.ToLower(msg)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(m, w) {
				return true
			}
		}
		return false
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "linkup/invalid_api_key"
	case status == http.StatusTooManyRequests:
		return "linkup/rate_limited"
	case status >= 500:
		return "linkup/server_error"
	case status == http.StatusPaymentRequired ||
		has("credit") && has("insufficient", "not enough", "out of", "no more", "no credit", "exhausted", "run out", "ran out"):
		return "linkup/insufficient_credits"
	case has("expired", "session", "login again", "log in again"):
		return "linkup/session_expired"
	case has("pending", "not approved", "not yet approved", "waiting"):
		return "linkup/challenge_pending"
	case has("code", "invalid", "incorrect", "wrong"):
		return "linkup/invalid_code"
	case status == http.StatusNotFound:
		return "linkup/account_not_found"
	case status >= 400 || success(status):
		return "linkup/bad_request"
	}
	// 1xx/3xx: no case; the table's status-class fallback decides.
	return "linkup/unexpected_status"
}

func withCredits(r Result, credits *int) Result {
	r.CreditsConsumed = credits
	return r
}
