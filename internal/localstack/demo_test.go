package localstack_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providersim"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
)

// TestDemoNeverShowsSuccessForAWrongCode plays the demo as a newcomer
// does: connect an account with the right code, register the same account
// again and type a wrong code. Each registration is a new login for the
// simulator, so the wrong code is wrong (not "You're connected" because
// the account stayed connected), and the right code is needed again.
func TestDemoNeverShowsSuccessForAWrongCode(t *testing.T) {
	t.Parallel()
	acct := uniqueAccount("demo")
	reg := map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "OTP"}

	first := register(t, reg)
	if status, page := openForm(t, first.FormURL).post("code", providersim.DefaultCode); status != http.StatusOK || !strings.Contains(page, "connected") {
		t.Fatalf("right code: %d\n%s", status, page)
	}
	requireStatus(t, waitStatus(t, first.ID, checkpoint.StatusConnected), checkpoint.StatusConnected)

	second := register(t, reg)
	fc := openForm(t, second.FormURL)
	status, page := fc.post("code", "000000")
	if status != http.StatusOK {
		t.Fatalf("wrong code: form answered %d", status)
	}
	if strings.Contains(page, "re connected") || !strings.Contains(page, "Wrong code") {
		t.Fatalf("a wrong code on a new login must show as wrong:\n%s", page)
	}
	v := waitFor(t, second.ID, "one wrong code", func(v relay.View) bool { return v.Counters.WrongCodes == 1 })
	if v.Status != checkpoint.StatusPending {
		t.Fatalf("after a wrong code the checkpoint is %s, want pending", v.Status)
	}
	if _, page := fc.post("code", providersim.DefaultCode); !strings.Contains(page, "re connected") {
		t.Fatalf("the right code after the wrong one:\n%s", page)
	}
	requireStatus(t, waitStatus(t, second.ID, checkpoint.StatusConnected), checkpoint.StatusConnected)
	if st := simStats(t, checkpoint.APIPostpress, acct); st.WrongCodes != 1 || st.State != providersim.StateConnected {
		t.Fatalf("simulator saw %+v for the second login", st)
	}
}

// TestTOTPDemoWorksAsPrinted registers with a TOTP secret and nothing
// else, as README shows: the simulator learns the secret from the
// registration, as the provider knows it, and the relay's generated code
// connects.
func TestTOTPDemoWorksAsPrinted(t *testing.T) {
	t.Parallel()
	acct := uniqueAccount("totpdemo")
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "2FA", "totp_secret": "JBSWY3DPEHPK3PXP"})
	requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusConnected), checkpoint.StatusConnected)
	if st := simStats(t, checkpoint.APIPostpress, acct); st.WrongCodes != 0 {
		t.Fatalf("simulator saw %+v, want the first generated code right", st)
	}
}

// TestTimeScaleShortensExpiry: at a time scale of 0.01 a checkpoint of
// expires_in 900 lives 9 s, as its scaled state machine does, and its
// expires_at and form say so, not fifteen minutes.
func TestTimeScaleShortensExpiry(t *testing.T) {
	t.Parallel()
	before := time.Now()
	reg := register(t, map[string]any{"api": "postpress", "account_id": uniqueAccount("scale"), "provider": "LINKEDIN", "type": "OTP", "expires_in": 900})
	life := reg.ExpiresAt.Sub(before)
	want := time.Duration(900 * timeScale * float64(time.Second))
	if life < want-2*time.Second || life > want+2*time.Second {
		t.Fatalf("expires_at is %s after registration, want about %s (900 s scaled by %v)", life, want, timeScale)
	}
	if page := openForm(t, reg.FormURL).get(); strings.Contains(page, "15 more minutes") || !strings.Contains(page, "1 more minute") {
		t.Fatalf("the form does not show the scaled expiry:\n%s", page)
	}
}
