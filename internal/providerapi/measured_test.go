package providerapi

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/metrics"
)

type answering struct {
	res Result
	err error
}

func (a answering) API() checkpoint.API { return checkpoint.APILinkup }
func (a answering) Solve(context.Context, SolveRequest) (Result, error) {
	return a.res, a.err
}
func (a answering) Resend(context.Context, ResendRequest) (Result, error) {
	return a.res, a.err
}

// Every answered call is one Outcomes record; a call refused before
// anything was sent is none.
func TestMeasuredRecordsEachOutcome(t *testing.T) {
	var buf bytes.Buffer
	defer metrics.SetDefault(metrics.SetDefault(metrics.New(&buf, nil)))
	ctx := context.Background()
	c := Measured(answering{res: Result{Outcome: checkpoint.InvalidCode}})
	if res, err := c.Solve(ctx, SolveRequest{}); err != nil || res.Outcome != checkpoint.InvalidCode {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := c.Resend(ctx, ResendRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Measured(answering{err: ErrUnsupported}).Resend(ctx, ResendRequest{}); !errors.Is(err, ErrUnsupported) {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"API":"linkup"`) || !strings.Contains(lines[0], `"Outcome":"invalid_code"`) {
		t.Errorf("records:\n%s", buf.String())
	}
}
