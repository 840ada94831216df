package config

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/forwarder"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providerapi"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
	"github.com/checkpoint-relay/checkpoint-relay/internal/secretbox"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
	"github.com/checkpoint-relay/checkpoint-relay/internal/workflow"
)

// Store builds the table's store (TABLE_NAME).
func (c *Config) Store() (*store.Store, error) {
	table, err := c.Require(EnvTableName)
	if err != nil {
		return nil, err
	}
	return store.New(dynamodb.NewFromConfig(c.AWS), table), nil
}

// Sealer builds the KMS sealer when KMS_KEY_ID is set (KMS_MAC_KEY_ID is
// then required), else the local one from RELAY_LOCAL_KEY.
func (c *Config) Sealer() (secretbox.Sealer, error) {
	if keyID := c.Get(EnvKMSKeyID); keyID != "" {
		macKeyID, err := c.Require(EnvKMSMacKeyID)
		if err != nil {
			return nil, err
		}
		return secretbox.NewKMS(kms.NewFromConfig(c.AWS), keyID, macKeyID)
	}
	raw := c.Get(EnvRelayLocalKey)
	if raw == "" {
		return nil, fmt.Errorf("%w: %s (AWS) or %s (local)", ErrMissing, EnvKMSKeyID, EnvRelayLocalKey)
	}
	key, err := secretbox.ParseLocalKey(raw)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", EnvRelayLocalKey, err)
	}
	return secretbox.NewLocal(key)
}

// Workflow builds the Step Functions client. STATE_MACHINE_ARN is only
// needed to start executions (the api function); the others resume tasks
// by token.
func (c *Config) Workflow() *workflow.SFN {
	return workflow.New(sfn.NewFromConfig(c.AWS), c.Get(EnvStateMachineARN))
}

// providerEnv names each API's variables.
var providerEnv = map[checkpoint.API][2]string{
	checkpoint.APIPostpress: {EnvPostpressBaseURL, EnvPostpressAPIKey},
	checkpoint.APILinkup:    {EnvLinkupBaseURL, EnvLinkupAPIKey},
	checkpoint.APIEdges:     {EnvEdgesBaseURL, EnvEdgesAPIKey},
}

// Providers builds a client for every API whose base URL or key is set;
// an API with neither is not configured (registering for it is refused).
func (c *Config) Providers(ctx context.Context) (map[checkpoint.API]providerapi.Client, error) {
	out := map[checkpoint.API]providerapi.Client{}
	for _, api := range checkpoint.APIs {
		env := providerEnv[api]
		baseURL := c.Get(env[0])
		if baseURL == "" && !c.HasSecret(env[1]) {
			continue
		}
		key, err := c.Secret(ctx, env[1])
		if err != nil {
			return nil, err
		}
		client, err := providerapi.New(api, providerapi.Config{BaseURL: baseURL, APIKey: key, Timeout: c.ProviderTimeout()})
		if err != nil {
			return nil, fmt.Errorf("config: %s client: %w", api, err)
		}
		out[api] = providerapi.Measured(client)
	}
	if len(out) == 0 {
		return nil, errors.New("config: no provider API configured (set POSTPRESS_, LINKUP_ or EDGES_ BASE_URL and API_KEY)")
	}
	return out, nil
}

// ProviderTimeout is the deadline of one provider call: most of the solve
// and resend functions' 120 s timeout (template.yaml), since no sender
// waits for the provider any more. It leaves the function time to record
// the answer. On the local stack it shrinks with RELAY_TIME_SCALE, as the
// state machine's waits do.
func (c *Config) ProviderTimeout() time.Duration {
	return time.Duration(float64(ProviderTimeout) * c.timeScale())
}

// timeScale is the local stack's RELAY_TIME_SCALE, 1 when unset or not a
// factor in (0, 1).
func (c *Config) timeScale() float64 {
	if v := c.Get(EnvTimeScale); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 && f < 1 {
			return f
		}
	}
	return 1
}

// ProviderTimeout is ProviderTimeout's value outside the local stack.
const ProviderTimeout = 100 * time.Second

// Relay builds the relay core from the environment. The callback signing
// secret is read when configured; only the finish function needs it.
func (c *Config) Relay(ctx context.Context) (*relay.Service, error) {
	st, err := c.Store()
	if err != nil {
		return nil, err
	}
	sealer, err := c.Sealer()
	if err != nil {
		return nil, err
	}
	providers, err := c.Providers(ctx)
	if err != nil {
		return nil, err
	}
	var callbackSecret []byte
	if c.HasSecret(EnvCallbackSigningSecret) {
		s, err := c.Secret(ctx, EnvCallbackSigningSecret)
		if err != nil {
			return nil, err
		}
		callbackSecret = []byte(s)
	}
	return relay.New(relay.Deps{
		Store: st, Workflow: c.Workflow(), Providers: providers, Sealer: sealer,
		PublicURL: c.Get(EnvPublicURL), CallbackSecret: callbackSecret,
		// Only a relay with a local sealing key (the local stack, never a
		// deployment, where KMS_KEY_ID is always set) calls back over
		// plain http to loopback.
		AllowLoopbackCallbacks: c.Get(EnvKMSKeyID) == "",
		TimeScale:              c.timeScale(),
	})
}

// Forwarders builds the forwarder service (the table, the sealer and
// RELAY_PUBLIC_URL, the base of the forwarders' webhook URLs).
func (c *Config) Forwarders() (*forwarder.Service, error) {
	st, err := c.Store()
	if err != nil {
		return nil, err
	}
	sealer, err := c.Sealer()
	if err != nil {
		return nil, err
	}
	return &forwarder.Service{Store: st, Sealer: sealer, PublicURL: c.Get(EnvPublicURL)}, nil
}
