package providerapi

import (
	"context"

	"github.com/checkpoint-relay/checkpoint-relay/internal/metrics"
)

// Measured returns c recording the outcome of each call it answers in the
// Outcomes metric, by API. The Lambdas' clients are measured (config); the
// operator CLI's are not, so its output stays the JSON it prints.
func Measured(c Client) Client { return measured{c} }

type measured struct{ Client }

func (m measured) Solve(ctx context.Context, req SolveRequest) (Result, error) {
	res, err := m.Client.Solve(ctx, req)
	if err == nil {
		metrics.Outcome(ctx, string(m.API()), string(res.Outcome))
	}
	return res, err
}

func (m measured) Resend(ctx context.Context, req ResendRequest) (Result, error) {
	res, err := m.Client.Resend(ctx, req)
	if err == nil {
		metrics.Outcome(ctx, string(m.API()), string(res.Outcome))
	}
	return res, err
}
