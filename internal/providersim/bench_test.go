package providersim

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
)

// BenchmarkSolveRoundTrip measures one solve through the real client over
// loopback HTTP: the floor under every provider call of the local stack.
func BenchmarkSolveRoundTrip(b *testing.B) {
	for _, api := range checkpoint.APIs {
		b.Run(string(api), func(b *testing.B) {
			srv := httptest.NewServer(New(Config{}))
			defer srv.Close()
			c, err := providerapi.New(api, providerapi.Config{BaseURL: srv.URL, APIKey: DefaultAPIKey})
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; b.Loop(); i++ {
				res, err := c.Solve(context.Background(), providerapi.SolveRequest{
					AccountID: fmt.Sprint("acc-", i), Provider: checkpoint.ProviderLinkedIn, Code: DefaultCode,
				})
				if err != nil || res.Outcome != checkpoint.Connected {
					b.Fatalf("%+v %v", res, err)
				}
			}
		})
	}
}
