package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/checkpoint-relay/checkpoint-relay/internal/config"
)

// Every directory under functions/ is a Lambda Build knows, and no other.
func TestFunctionsAreTheDirectoriesUnderFunctions(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("..", "..", "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, d := range dirs {
		if d.IsDir() {
			want = append(want, d.Name())
		}
	}
	var got []string
	for _, f := range Functions() {
		got = append(got, f.Name)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("functions %v, directories %v", got, want)
	}
}

func TestBuildRefusesAnUnknownFunction(t *testing.T) {
	if _, err := Build(context.Background(), "webhook"); err == nil {
		t.Fatal("an unknown function was built")
	}
}

// A cold start without its configuration fails with the variable's name
// rather than serving with half a configuration.
func TestBuildWithoutConfigurationNamesWhatIsMissing(t *testing.T) {
	for _, k := range []string{"TABLE_NAME", "RELAY_LOCAL_KEY", "KMS_KEY_ID"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_REGION", "us-east-1")
	_, err := Solve().Build(context.Background())
	if err == nil || !strings.Contains(err.Error(), "TABLE_NAME") {
		t.Fatalf("err = %v, want one naming TABLE_NAME", err)
	}
}

// fakeSSM answers GetParameter with one error for every parameter.
type fakeSSM struct{ err error }

func (f fakeSSM) GetParameter(ctx context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	return nil, f.err
}

// A source whose parameter was never created is left unconfigured (its
// route answers 404); any other failure to read it fails the cold start.
func TestOptionalSecretWithoutItsParameter(t *testing.T) {
	env := map[string]string{"TWILIO_AUTH_TOKEN_PARAM": "/relay/twilio"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx := context.Background()

	c := config.New(aws.Config{}, lookup, fakeSSM{&ssmtypes.ParameterNotFound{}})
	if v, err := optionalSecret(ctx, c, "TWILIO_AUTH_TOKEN"); v != "" || err != nil {
		t.Errorf("missing parameter: %q, %v; want unconfigured", v, err)
	}
	c = config.New(aws.Config{}, lookup, fakeSSM{errors.New("AccessDeniedException")})
	if _, err := optionalSecret(ctx, c, "TWILIO_AUTH_TOKEN"); err == nil {
		t.Error("access denied to a configured source's parameter was ignored")
	}
	if v, err := optionalSecret(ctx, c, "VONAGE_SIGNATURE_SECRET"); v != "" || err != nil {
		t.Errorf("unnamed source: %q, %v", v, err)
	}
}
