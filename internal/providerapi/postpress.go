package providerapi

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// TryAnotherWay is the postpress code that switches the checkpoint to
// another type (e.g. from in-app validation to 2FA).
const TryAnotherWay = "TRY_ANOTHER_WAY"

// Postpress calls the Unipile-compatible postpress checkpoint endpoints.
type Postpress struct{ t *transport }

var _ Client = (*Postpress)(nil)

// NewPostpress returns a postpress client. BaseURL and APIKey are required.
func NewPostpress(cfg Config) (*Postpress, error) {
	t, err := newTransport(checkpoint.APIPostpress, "X-API-KEY", cfg)
	if err != nil {
		return nil, err
	}
	return &Postpress{t: t}, nil
}

// API implements Client.
func (*Postpress) API() checkpoint.API { return checkpoint.APIPostpress }

type postpressSolveBody struct {
	AccountID string `json:"account_id"`
	Provider  string `json:"provider"`
	Code      string `json:"code"`
}

type postpressResendBody struct {
	AccountID string `json:"account_id"`
	Provider  string `json:"provider"`
}

// postpressAnswer holds every field of a postpress answer the client
// branches on: the success objects and the problem+json error envelope.
type postpressAnswer struct {
	Object     string `json:"object"`
	AccountID  string `json:"account_id"`
	Success    *bool  `json:"success"`
	Checkpoint *struct {
		Type     string `json:"type"`
		Platform string `json:"platform"`
	} `json:"checkpoint"`
	Type   string `json:"type"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

// Solve implements Client. postpress cannot poll: an empty code is
// ErrUnsupported. A code that is an E.164 phone number (a PHONE_REGISTER
// answer) is sent as the document asks, "(+33)0612345678".
func (p *Postpress) Solve(ctx context.Context, req SolveRequest) (res Result, err error) {
	defer finish(&res, &err, req.AccountID, req.Code, PostpressCode(req.Code))
	if req.Code == "" {
		return Result{}, fmt.Errorf("postpress solve without a code (polling): %w", ErrUnsupported)
	}
	if err := validAccount(req.AccountID, req.Provider); err != nil {
		return Result{}, err
	}
	body := postpressSolveBody{AccountID: req.AccountID, Provider: string(req.Provider), Code: PostpressCode(req.Code)}
	a, res, ok := p.t.post(ctx, EndpointSolve, "/v1/accounts/checkpoint", body)
	if !ok {
		return res, nil
	}
	var ans postpressAnswer
	if !decode(a, &ans) {
		return p.t.unreadable(EndpointSolve, a), nil
	}
	if success(a.status) {
		switch {
		case ans.Object == "AccountCreated":
			return p.result(EndpointSolve, a.status, ans.Object, ans, req.AccountID), nil
		case ans.Object == "Checkpoint" && ans.Checkpoint != nil && ans.Checkpoint.Type != "":
			r := p.result(EndpointSolve, a.status, ans.Object, ans, req.AccountID)
			r.NextCheckpoint = &NextCheckpoint{Type: checkpoint.Type(ans.Checkpoint.Type), Platform: ans.Checkpoint.Platform}
			return r, nil
		}
		return p.t.unreadable(EndpointSolve, a), nil
	}
	if ans.Type == "" {
		return p.t.unreadable(EndpointSolve, a), nil
	}
	return p.result(EndpointSolve, a.status, ans.Type, ans, req.AccountID), nil
}

// Resend implements Client. TWITTER is refused before any request: the
// resend endpoint does not accept it.
func (p *Postpress) Resend(ctx context.Context, req ResendRequest) (res Result, err error) {
	defer finish(&res, &err, req.AccountID)
	if !checkpoint.APIPostpress.CanResend(req.Provider) {
		return Result{}, fmt.Errorf("postpress resend for %s: %w", req.Provider, ErrUnsupported)
	}
	if err := validAccount(req.AccountID, req.Provider); err != nil {
		return Result{}, err
	}
	body := postpressResendBody{AccountID: req.AccountID, Provider: string(req.Provider)}
	a, res, ok := p.t.post(ctx, EndpointResend, "/v1/accounts/checkpoint/resend", body)
	if !ok {
		return res, nil
	}
	var ans postpressAnswer
	if !decode(a, &ans) {
		return p.t.unreadable(EndpointResend, a), nil
	}
	if success(a.status) {
		if ans.Object != "CheckpointResend" || ans.Success == nil {
			return p.t.unreadable(EndpointResend, a), nil
		}
		cas := "CheckpointResend success:false"
		if *ans.Success {
			cas = "CheckpointResend success:true"
		}
		return p.result(EndpointResend, a.status, cas, ans, req.AccountID), nil
	}
	if ans.Type == "" {
		return p.t.unreadable(EndpointResend, a), nil
	}
	return p.result(EndpointResend, a.status, ans.Type, ans, req.AccountID), nil
}

// result builds the Result of an answer the table can branch on. Errors
// carry their type; successes carry none. (finish removes the codes sent
// from the provider's text.)
func (p *Postpress) result(ep Endpoint, status int, cas string, ans postpressAnswer, accountID string) Result {
	row := Lookup(checkpoint.APIPostpress, ep, status, cas)
	r := Result{Outcome: row.Outcome, HTTPStatus: status, AccountID: accountID}
	if ans.AccountID != "" {
		r.AccountID = ans.AccountID
	}
	if !success(status) {
		r.ErrorType = cas
		detail := ans.Detail
		if detail == "" {
			detail = ans.Title
		}
		r.Detail = detail
	}
	return r
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// PostpressCode returns the code as postpress wants it. A phone number in
// E.164 form ("+33612345678") becomes "(+33)0612345678": the country code
// in brackets, then the number as dialled nationally. Anything else, codes
// and TRY_ANOTHER_WAY included, is returned unchanged.
func PostpressCode(code string) string {
	c := strings.TrimSpace(code)
	if !e164.MatchString(c) {
		return code
	}
	num, err := phonenumbers.Parse(c, "")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return code
	}
	national := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, phonenumbers.Format(num, phonenumbers.NATIONAL))
	return fmt.Sprintf("(+%d)%s", num.GetCountryCode(), national)
}

func validAccount(accountID string, provider checkpoint.Provider) error {
	if strings.TrimSpace(accountID) == "" {
		return fmt.Errorf("account id is required")
	}
	if !provider.Valid() {
		return fmt.Errorf("unknown provider %q: want one of LINKEDIN, INSTAGRAM, TWITTER, MESSENGER", provider)
	}
	return nil
}
