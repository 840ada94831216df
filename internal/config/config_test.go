package config

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/dynalitetest"
	"github.com/checkpoint-relay/checkpoint-relay/internal/secretbox"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

type fakeSSM struct {
	params map[string]string
	calls  int
}

func (f *fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	f.calls++
	if !aws.ToBool(in.WithDecryption) {
		return nil, errors.New("read without decryption")
	}
	v, ok := f.params[aws.ToString(in.Name)]
	if !ok {
		return nil, &types.ParameterNotFound{}
	}
	return &ssm.GetParameterOutput{Parameter: &types.Parameter{Value: aws.String(v)}}, nil
}

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestSecret(t *testing.T) {
	ctx := context.Background()
	s := &fakeSSM{params: map[string]string{"/relay/api-key": "from-ssm"}}
	c := New(aws.Config{}, env(map[string]string{
		"RELAY_API_KEY":                 "from-env",
		"RELAY_API_KEY_PARAM":           "/relay/other",
		"CALLBACK_SIGNING_SECRET_PARAM": "/relay/api-key",
		"TWILIO_AUTH_TOKEN_PARAM":       "/relay/missing",
	}), s)

	for _, tc := range []struct {
		name, want string
		wantErr    error
	}{
		{EnvRelayAPIKey, "from-env", nil},           // the value wins over the parameter
		{EnvCallbackSigningSecret, "from-ssm", nil}, // read from SSM, decrypted
		{EnvCallbackSigningSecret, "from-ssm", nil}, // cached
		{EnvMailgunSigningKey, "", ErrMissing},      // neither set
	} {
		got, err := c.Secret(ctx, tc.name)
		if got != tc.want || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || (tc.wantErr == nil && err != nil) {
			t.Errorf("Secret(%s) = %q, %v; want %q, %v", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
	if s.calls != 1 {
		t.Errorf("%d SSM calls, want 1 (cached)", s.calls)
	}
	if _, err := c.Secret(ctx, EnvTwilioAuthToken); err == nil {
		t.Error("missing parameter: no error")
	}
	if _, err := c.Secret(ctx, EnvTwilioAuthToken); err == nil || s.calls != 3 {
		t.Errorf("a failed read is cached (calls %d)", s.calls)
	}
}

func TestSealerChoice(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string // "local", "kms" or "" for an error
	}{
		{"local key", map[string]string{EnvRelayLocalKey: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}, "local"},
		{"KMS wins over a local key", map[string]string{EnvKMSKeyID: "alias/seal", EnvKMSMacKeyID: "alias/mac", EnvRelayLocalKey: "x"}, "kms"},
		{"KMS without its HMAC key", map[string]string{EnvKMSKeyID: "alias/seal"}, ""},
		{"short local key", map[string]string{EnvRelayLocalKey: "AAECAwQF"}, ""},
		{"nothing", map[string]string{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(aws.Config{Region: "us-east-1"}, env(tc.vars), nil).Sealer()
			var got string
			switch s.(type) {
			case *secretbox.Local:
				got = "local"
			case *secretbox.KMS:
				got = "kms"
			}
			if got != tc.want || (tc.want == "") != (err != nil) {
				t.Fatalf("got %s, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestProvidersAreBuiltForConfiguredAPIsOnly(t *testing.T) {
	c := New(aws.Config{}, env(map[string]string{
		EnvPostpressBaseURL: "https://api.postpress.example", EnvPostpressAPIKey: "k1",
		EnvEdgesBaseURL: "https://api.edges.example", EnvEdgesAPIKey: "k2",
	}), nil)
	got, err := c.Providers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[checkpoint.APIPostpress] == nil || got[checkpoint.APIEdges] == nil {
		t.Fatalf("clients %v", got)
	}
	c = New(aws.Config{}, env(map[string]string{EnvLinkupBaseURL: "https://api.linkup.example"}), nil)
	if _, err := c.Providers(context.Background()); !errors.Is(err, ErrMissing) {
		t.Fatalf("base URL without key: %v", err)
	}
	if _, err := New(aws.Config{}, env(nil), nil).Providers(context.Background()); err == nil {
		t.Fatal("no API configured: no error")
	}
}

// The SDK's own service endpoint variable is what points the functions at
// dynalite locally; this holds the store builder to it.
func TestStoreHonoursAWSEndpointURLDynamoDB(t *testing.T) {
	endpoint := dynalitetest.Start(t)
	client := dynalitetest.Client(endpoint)
	table := dynalitetest.NewTable(t, client)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	t.Setenv(EnvTableName, table)
	c, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Store()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(context.Background(), "cp_none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("store through the endpoint variable: %v", err)
	}
}
