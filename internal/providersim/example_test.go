package providersim_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providersim"
)

// A postpress account whose first right code answers a chained OTP
// checkpoint, driven through the real client.
func Example() {
	sim := providersim.New(providersim.Config{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	_ = sim.SetAccount(providersim.Account{
		API: checkpoint.APIPostpress, AccountID: "acc_1", Code: "804706",
		Chain: []checkpoint.Type{checkpoint.TypeOTP},
	})
	c, _ := providerapi.NewPostpress(providerapi.Config{BaseURL: srv.URL, APIKey: providersim.DefaultAPIKey})
	for _, code := range []string{"111111", "804706", "804706"} {
		res, _ := c.Solve(context.Background(), providerapi.SolveRequest{
			AccountID: "acc_1", Provider: checkpoint.ProviderLinkedIn, Code: code,
		})
		fmt.Println(res.Outcome, res.HTTPStatus)
	}
	st, _ := sim.Stats(checkpoint.APIPostpress, "acc_1")
	fmt.Println(st.State, st.SolveCalls, st.WrongCodes)
	// Output:
	// invalid_code 401
	// next_checkpoint 202
	// connected 201
	// connected 3 1
}
