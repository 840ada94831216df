package providerapi

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// Edges calls the edges LinkedIn checkpoint endpoint. The account id of a
// SolveRequest is the edges identity uid.
type Edges struct{ t *transport }

var _ Client = (*Edges)(nil)

// NewEdges returns an edges client. BaseURL (e.g. https://api.edges.run)
// and APIKey are required.
func NewEdges(cfg Config) (*Edges, error) {
	t, err := newTransport(checkpoint.APIEdges, "X-API-Key", cfg)
	if err != nil {
		return nil, err
	}
	return &Edges{t: t}, nil
}

// API implements Client.
func (*Edges) API() checkpoint.API { return checkpoint.APIEdges }

// edgesBody is {"code": "..."} to submit a code and {} to poll an
// IN_APP_VALIDATION.
type edgesBody struct {
	Code string `json:"code,omitempty"`
}

// edgesAnswer holds the account object of a success and the edges error
// envelope.
type edgesAnswer struct {
	Status      string `json:"status"`
	UID         string `json:"uid"`
	IdentityUID string `json:"identity_uid"`
	Error       any    `json:"error"`

	ErrorLabel string `json:"error_label"`
	ErrorScope string `json:"error_scope"`
	ErrorRef   string `json:"error_ref"`
	Message    string `json:"message"`
	StatusCode int    `json:"status_code"`
}

// Solve implements Client. Only LinkedIn has a checkpoint endpoint on edges.
func (e *Edges) Solve(ctx context.Context, req SolveRequest) (res Result, err error) {
	defer finish(&res, &err, req.AccountID, req.Code)
	if strings.TrimSpace(req.AccountID) == "" {
		return Result{}, fmt.Errorf("identity uid is required")
	}
	if req.Provider != "" && req.Provider != checkpoint.ProviderLinkedIn {
		return Result{}, fmt.Errorf("edges checkpoint for %s: %w", req.Provider, ErrUnsupported)
	}
	path := "/v1/identities/" + url.PathEscape(req.AccountID) + "/integrations/linkedin/checkpoint"
	a, res, ok := e.t.post(ctx, EndpointSolve, path, edgesBody{Code: req.Code})
	if !ok {
		return res, nil
	}
	var ans edgesAnswer
	if !decode(a, &ans) {
		return e.t.unreadable(EndpointSolve, a), nil
	}
	r := Result{HTTPStatus: a.status, AccountID: req.AccountID}
	if ans.IdentityUID != "" {
		r.AccountID = ans.IdentityUID
	}
	if success(a.status) && ans.ErrorLabel == "" {
		cas := "status:" + ans.Status
		row := Lookup(checkpoint.APIEdges, EndpointSolve, a.status, cas)
		if ans.Status == "" || row.Case != cas {
			return e.t.unreadable(EndpointSolve, a), nil
		}
		r.Outcome = row.Outcome
		if row.Outcome != checkpoint.Connected {
			r.ErrorType = cas
			if s, ok := ans.Error.(string); ok {
				r.Detail = s
			}
		}
		return r, nil
	}
	if ans.ErrorLabel == "" {
		return e.t.unreadable(EndpointSolve, a), nil
	}
	r.Outcome = Lookup(checkpoint.APIEdges, EndpointSolve, a.status, ans.ErrorLabel).Outcome
	r.ErrorType = ans.ErrorLabel
	detail := ans.Message
	if ans.ErrorRef != "" {
		detail += " (ref " + ans.ErrorRef + ")"
	}
	r.Detail = strings.TrimSpace(detail)
	return r, nil
}

// Resend implements Client: edges has no resend endpoint.
func (*Edges) Resend(context.Context, ResendRequest) (Result, error) {
	return Result{}, fmt.Errorf("edges resend: %w", ErrUnsupported)
}
