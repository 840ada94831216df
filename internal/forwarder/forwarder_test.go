package forwarder_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/dynalitetest"
	"github.com/checkpoint-relay/checkpoint-relay/internal/forwarder"
	"github.com/checkpoint-relay/checkpoint-relay/internal/metrics"
	"github.com/checkpoint-relay/checkpoint-relay/internal/secretbox"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

var t0 = time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)

func service(t *testing.T, now *time.Time, log *bytes.Buffer) *forwarder.Service {
	t.Helper()
	sealer, err := secretbox.NewLocal(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return &forwarder.Service{Store: dynalitetest.Store(t), Sealer: sealer, PublicURL: "https://relay.example.com/",
		Now: func() time.Time { return *now }, Log: slog.New(slog.NewTextHandler(log, nil))}
}

func TestCreateRefusesWhatIsNotADevice(t *testing.T) {
	now := t0
	s := service(t, &now, &bytes.Buffer{})
	for _, tc := range []struct {
		req   forwarder.CreateRequest
		field string
	}{
		{forwarder.CreateRequest{Kind: "pager", Phone: "+14155550111"}, "kind"},
		{forwarder.CreateRequest{Kind: "sms-gate", Phone: "4155550111"}, "phone"},
		{forwarder.CreateRequest{Kind: "sms-gate", Email: "a@example.com"}, "email"},
		{forwarder.CreateRequest{Kind: "postmark", Email: "Alice <a@example.com>"}, "email"},
		{forwarder.CreateRequest{Kind: "postmark", Email: "a@example.com", Phone: "+14155550111"}, "phone"},
		{forwarder.CreateRequest{Kind: "token", Phone: "+14155550111", Passphrase: "x"}, "passphrase"},
		{forwarder.CreateRequest{Kind: "token", Phone: "+14155550111", HeartbeatSeconds: 5}, "heartbeat_seconds"},
		{forwarder.CreateRequest{Kind: "token", Phone: "+14155550111", Name: strings.Repeat("n", 101)}, "name"},
	} {
		_, err := s.Create(context.Background(), tc.req)
		var v *forwarder.ValidationError
		if !errors.As(err, &v) || len(v.Fields) == 0 || v.Fields[0].Field != tc.field {
			t.Errorf("%+v: %v, want a %s error", tc.req, err, tc.field)
		}
	}
}

func TestSecretIsSealedShownOnceAndRotated(t *testing.T) {
	ctx := context.Background()
	now := t0
	s := service(t, &now, &bytes.Buffer{})
	c, err := s.Create(ctx, forwarder.CreateRequest{Kind: "httpsms", Phone: "+1 415 555 0111", Passphrase: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	if !forwarder.ValidID(c.ID) || c.WebhookURL != "https://relay.example.com/v1/forwarders/"+c.ID+"/webhook" || len(c.Secret) < 40 {
		t.Fatalf("created %+v", c)
	}
	f, err := s.Store.GetForwarder(ctx, c.ID)
	if err != nil || bytes.Contains(f.SealedSecret, []byte(c.Secret)) || bytes.Contains(f.SealedPassphrase, []byte("correct horse")) || f.Phone != "+14155550111" {
		t.Fatalf("stored %+v %v", f, err)
	}
	d, err := s.Open(ctx, c.ID)
	if err != nil || string(d.Device.Secret) != c.Secret || string(d.Device.Passphrase) != "correct horse" || d.Kind.Name != "httpsms" {
		t.Fatalf("opened %+v %v", d, err)
	}
	r, err := s.Rotate(ctx, c.ID)
	if err != nil || r.Secret == c.Secret {
		t.Fatalf("rotate %+v %v", r, err)
	}
	if d, _ := s.Open(ctx, c.ID); string(d.Device.Secret) != r.Secret {
		t.Fatal("the rotated secret is not the one opened")
	}
	if err := s.Delete(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, c.ID); !errors.Is(err, forwarder.ErrNotFound) {
		t.Fatalf("open after delete: %v", err)
	}
	if _, err := s.Rotate(ctx, "fw_../../etc"); !errors.Is(err, forwarder.ErrNotFound) {
		t.Fatalf("malformed id: %v", err)
	}
}

func TestSilentForwardersAreCounted(t *testing.T) {
	ctx := context.Background()
	now := t0
	var log, emf bytes.Buffer
	defer metrics.SetDefault(metrics.SetDefault(metrics.New(&emf, func() time.Time { return now })))
	s := service(t, &now, &log)
	gate, err := s.Create(ctx, forwarder.CreateRequest{Kind: "sms-gate", Phone: "+14155550111"}) // hourly by default
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, forwarder.CreateRequest{Kind: "token", Phone: "+14155550112"}); err != nil { // no heartbeat expected
		t.Fatal(err)
	}
	now = t0.Add(90 * time.Minute)
	if n, err := s.ReportSilent(ctx); n != 0 || err != nil {
		t.Fatalf("one missed beat: %d %v", n, err)
	}
	if err := s.Touch(ctx, gate.ID, store.ForwarderContact{Heartbeat: true}); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(90*time.Minute + 2*time.Hour + time.Second)
	if n, err := s.ReportSilent(ctx); n != 1 || err != nil {
		t.Fatalf("silent past twice its heartbeat: %d %v", n, err)
	}
	if v, _ := s.Get(ctx, gate.ID); !v.Silent || v.LastHeartbeatAt == nil {
		t.Fatalf("view %+v", v)
	}
	if !strings.Contains(emf.String(), `"ForwardersSilent"`) || !strings.Contains(emf.String(), `"Kind":"sms-gate"`) ||
		!strings.Contains(log.String(), "forwarder silent") {
		t.Fatalf("metric %q log %q", emf.String(), log.String())
	}
}
