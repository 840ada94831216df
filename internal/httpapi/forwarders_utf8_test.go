package httpapi

import (
	"context"
	"testing"

	"github.com/checkpoint-relay/checkpoint-relay/internal/forwarder"
)

// createOnly records whether a forwarder was created.
type createOnly struct {
	ForwarderAdmin
	created []forwarder.CreateRequest
}

func (c *createOnly) Create(_ context.Context, req forwarder.CreateRequest) (forwarder.Created, error) {
	c.created = append(c.created, req)
	return forwarder.Created{}, nil
}

// A forwarder's name or phone that is not valid UTF-8 would be stored as
// another text: the body is refused before anything is created.
func TestCreateForwarderRefusesInvalidUTF8(t *testing.T) {
	fw := &createOnly{}
	h, err := NewCheckpointsHandler(CheckpointsConfig{Service: &fakeCheckpoints{}, APIKey: checkpointsTestKey, Forwarders: fw})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{
		"{\"kind\":\"token\",\"phone\":\"+14155550111\",\"name\":\"Alice\xff\xfe phone\"}",
		`{"kind":"token","phone":"+14155550111","name":"Alice\udc00"}`,
	} {
		resp, err := h(context.Background(), checkpointsEvent(RouteCreateForwarder, "/v1/forwarders", body, nil))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 400 {
			t.Fatalf("status %d, want 400: %s", resp.StatusCode, resp.Body)
		}
	}
	if len(fw.created) != 0 {
		t.Fatalf("created %+v", fw.created)
	}
}
