package providersim

import (
	"context"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
)

const testSecret = "JBSWY3DPEHPK3PXP"

func TestTOTPAccountAcceptsTheCurrentAuthenticatorCode(t *testing.T) {
	tests := []struct {
		name string
		// age is how old the generated code is when submitted.
		age  time.Duration
		want checkpoint.Outcome
	}{
		{"current code connects", 0, checkpoint.Connected},
		{"previous step is within the skew", 30 * time.Second, checkpoint.Connected},
		{"a code two minutes old is wrong", 2 * time.Minute, checkpoint.InvalidCode},
		{"the static default code is wrong", -1, checkpoint.InvalidCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, clk, base := newSim(t)
			if err := sim.SetAccount(Account{API: checkpoint.APIEdges, AccountID: "u", TOTPSecret: testSecret}); err != nil {
				t.Fatal(err)
			}
			code := DefaultCode
			if tt.age >= 0 {
				var err error
				if code, err = totp.GenerateCode(testSecret, clk.Now().Add(-tt.age)); err != nil {
					t.Fatal(err)
				}
			}
			c, _ := providerapi.NewEdges(providerapi.Config{BaseURL: base, APIKey: DefaultAPIKey})
			res, err := c.Solve(context.Background(), providerapi.SolveRequest{AccountID: "u", Code: code})
			if err != nil || res.Outcome != tt.want {
				t.Fatalf("%+v %v, want %s", res, err, tt.want)
			}
		})
	}
}

func TestTOTPSecretIsCheckedAndNotKeptInTheSpec(t *testing.T) {
	sim, _, _ := newSim(t)
	if err := sim.SetAccount(Account{API: checkpoint.APIEdges, AccountID: "u", TOTPSecret: "not base32!"}); err == nil {
		t.Fatal("a bad secret was accepted")
	}
	if err := sim.SetAccount(Account{API: checkpoint.APIEdges, AccountID: "u", TOTPSecret: testSecret}); err != nil {
		t.Fatal(err)
	}
	sim.mu.Lock()
	spec := sim.accounts["edges\x00u"].spec
	sim.mu.Unlock()
	if spec.TOTPSecret != "" {
		t.Fatal("the spec keeps the secret")
	}
}
