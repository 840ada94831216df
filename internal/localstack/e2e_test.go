package localstack_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/asl"
	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providersim"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
)

// Every path of the state machine, end to end: the real HTTP handlers behind
// the local gateway, the real store on dynalite, the ASL definition on the
// local runner, the provider simulator answering as the documents do.

func TestCodeBySMSConnectsAndCallsBack(t *testing.T) {
	t.Parallel()
	acct, phone := uniqueAccount("sms"), uniquePhone()
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "OTP", "phone": phone})
	if got := twilioSMS(t, "SM"+acct, phone, "Your LinkedIn verification code is 123456."); got != http.StatusOK {
		t.Fatalf("twilio webhook answered %d", got)
	}
	v := waitStatus(t, reg.ID, checkpoint.StatusConnected)
	requireStatus(t, v, checkpoint.StatusConnected)
	requireCallback(t, reg.ID, checkpoint.StatusConnected)
	if d := waitExecution(t, reg.ID); d.Status != asl.StatusSucceeded {
		t.Fatalf("execution %s: %s %s", d.Status, d.Error, d.Cause)
	}
	if st := simStats(t, checkpoint.APIPostpress, acct); st.SolveCalls != 1 || st.State != providersim.StateConnected {
		t.Fatalf("simulator saw %+v, want one solve call and a connected account", st)
	}
}

func TestCodeByEmailConnects(t *testing.T) {
	t.Parallel()
	acct := uniqueAccount("mail")
	email := strings.ToLower(acct) + "@example.com"
	// The generic endpoint posts parsed parts, with no proof of the mail's
	// origin: this inbox receives only this account's mail, so the
	// registration accepts any sender (the proof itself is tested in
	// packages mailauth and relay).
	reg := register(t, map[string]any{"api": "linkup", "account_id": acct, "provider": "LINKEDIN", "type": "code_challenge", "email": email,
		"accept_any_sender": true})
	got := genericEmail(t, "<"+acct+"@mail.linkedin.com>", "Fwd <"+email+">", "Your LinkedIn verification code",
		"Please use this verification code to complete your sign in: 123456")
	if got != http.StatusOK {
		t.Fatalf("email webhook answered %d", got)
	}
	requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusConnected), checkpoint.StatusConnected)
	requireCallback(t, reg.ID, checkpoint.StatusConnected)
	// linkup charges a credit per call: exactly one was spent.
	if st := simStats(t, checkpoint.APILinkup, acct); st.CreditsConsumed != 1 {
		t.Fatalf("linkup credits consumed = %d, want 1", st.CreditsConsumed)
	}
}

func TestCodeByFormConnects(t *testing.T) {
	t.Parallel()
	acct := uniqueAccount("form")
	reg := register(t, map[string]any{"api": "edges", "account_id": acct, "provider": "LINKEDIN", "type": "EMAIL"})
	fc := openForm(t, reg.FormURL)
	status, page := fc.post("code", "123456")
	if status != http.StatusOK {
		t.Fatalf("form answered %d", status)
	}
	if strings.Contains(page, "123456") {
		t.Fatal("the form echoed the code back into the page")
	}
	requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusConnected), checkpoint.StatusConnected)
	requireCallback(t, reg.ID, checkpoint.StatusConnected)
}

func TestWrongCodeThenRightCode(t *testing.T) {
	t.Parallel()
	acct, phone := uniqueAccount("wrong"), uniquePhone()
	setAccount(t, providersim.Account{API: checkpoint.APIPostpress, AccountID: acct, Code: "654321"})
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "2FA", "phone": phone})
	// A stranger's wrong code, then LinkedIn's (a sender whose code was
	// wrong is not trusted again before the next code request).
	twilioSMSFrom(t, "SMw1"+acct, "+15005550199", phone, "Your LinkedIn verification code is 111111.")
	waitFor(t, reg.ID, "one wrong code", func(v relay.View) bool { return v.Counters.WrongCodes == 1 })
	twilioSMS(t, "SMw2"+acct, phone, "Your LinkedIn verification code is 654321.")
	requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusConnected), checkpoint.StatusConnected)
	if st := simStats(t, checkpoint.APIPostpress, acct); st.WrongCodes != 1 || st.SolveCalls != 2 {
		t.Fatalf("simulator saw %+v, want 1 wrong code in 2 solve calls", st)
	}
}

func TestNoCodeResendsThenCodeConnects(t *testing.T) {
	t.Parallel()
	acct, phone := uniqueAccount("resend"), uniquePhone()
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "INSTAGRAM", "type": "OTP", "phone": phone})
	waitFor(t, reg.ID, "a resend", func(v relay.View) bool { return hasEvent(v, "resend") })
	twilioSMS(t, "SMr"+acct, phone, "123 456 is your Instagram code. Don't share it.")
	v := waitStatus(t, reg.ID, checkpoint.StatusConnected)
	requireStatus(t, v, checkpoint.StatusConnected)
	if st := simStats(t, checkpoint.APIPostpress, acct); st.ResendCalls < 1 {
		t.Fatalf("simulator saw %+v, want a resend", st)
	}
}

func TestNoCodeEverRestartsAndCallsBack(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		api, typ string
		resends  int
	}{
		{"postpress", "OTP", 2}, // waits, two resends, then the restart branch
		{"linkup", "code_challenge", 0},
	} {
		t.Run(tc.api, func(t *testing.T) {
			t.Parallel()
			acct := uniqueAccount("silent")
			reg := register(t, map[string]any{"api": tc.api, "account_id": acct, "provider": "LINKEDIN", "type": tc.typ, "phone": uniquePhone()})
			v := waitStatus(t, reg.ID, checkpoint.StatusRestartRequired)
			requireStatus(t, v, checkpoint.StatusRestartRequired)
			requireCallback(t, reg.ID, checkpoint.StatusRestartRequired)
			if got := countEvents(v, "resend"); got != tc.resends {
				t.Fatalf("resends = %d, want %d; events %s", got, tc.resends, eventKinds(v))
			}
		})
	}
}

func TestInAppApprovalAfterPolls(t *testing.T) {
	t.Parallel()
	acct := uniqueAccount("inapp")
	setAccount(t, providersim.Account{API: checkpoint.APIEdges, AccountID: acct, Type: checkpoint.TypeInAppValidation, ApproveAfterPolls: 4})
	reg := register(t, map[string]any{"api": "edges", "account_id": acct, "provider": "LINKEDIN", "type": "IN_APP_VALIDATION"})
	requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusConnected), checkpoint.StatusConnected)
	requireCallback(t, reg.ID, checkpoint.StatusConnected)
	if st := simStats(t, checkpoint.APIEdges, acct); st.Polls != 4 {
		t.Fatalf("polls = %d, want 4 (approved on the 4th)", st.Polls)
	}
}

func TestInAppExpiryRestarts(t *testing.T) {
	t.Parallel()
	acct := uniqueAccount("inappexp")
	// Never approved; the intent dies after 60 s (0.6 s at this time scale).
	setAccount(t, providersim.Account{API: checkpoint.APIEdges, AccountID: acct, Type: checkpoint.TypeInAppValidation, ApproveAfterPolls: -1, ExpireAfterSeconds: 60})
	reg := register(t, map[string]any{"api": "edges", "account_id": acct, "provider": "LINKEDIN", "type": "IN_APP_VALIDATION"})
	requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusRestartRequired), checkpoint.StatusRestartRequired)
	requireCallback(t, reg.ID, checkpoint.StatusRestartRequired)
}

func TestInAppNeverApprovedStopsPollingAtTheBound(t *testing.T) {
	t.Parallel()
	acct := uniqueAccount("inappbound")
	setAccount(t, providersim.Account{API: checkpoint.APIEdges, AccountID: acct, Type: checkpoint.TypeInAppValidation, ApproveAfterPolls: -1})
	reg := register(t, map[string]any{"api": "edges", "account_id": acct, "provider": "LINKEDIN", "type": "IN_APP_VALIDATION"})
	requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusRestartRequired), checkpoint.StatusRestartRequired)
	st := simStats(t, checkpoint.APIEdges, acct)
	// Five minutes of polls every 5–10 s: never more than 60.
	if st.Polls < 2 || st.Polls > 60 {
		t.Fatalf("polls = %d, want a bounded loop", st.Polls)
	}
}

func TestTOTPSolvesWithoutAnyMessage(t *testing.T) {
	t.Parallel()
	acct := uniqueAccount("totp")
	const secret = "JBSWY3DPEHPK3PXP"
	setAccount(t, providersim.Account{API: checkpoint.APIPostpress, AccountID: acct, TOTPSecret: secret})
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "2FA", "totp_secret": secret})
	v := waitStatus(t, reg.ID, checkpoint.StatusConnected)
	requireStatus(t, v, checkpoint.StatusConnected)
	for _, e := range v.Events {
		if strings.Contains(e.Detail, secret) {
			t.Fatal("the TOTP secret appears in the history")
		}
	}
}

func TestChainedCheckpointContinues(t *testing.T) {
	t.Parallel()
	acct, phone := uniqueAccount("chain"), uniquePhone()
	setAccount(t, providersim.Account{API: checkpoint.APIPostpress, AccountID: acct, Code: "246810", Chain: []checkpoint.Type{checkpoint.TypeOTP}})
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "2FA", "phone": phone})
	twilioSMS(t, "SMc1"+acct, phone, "Your LinkedIn verification code is 246810.")
	v := waitFor(t, reg.ID, "the chained checkpoint", func(v relay.View) bool { return v.Type == checkpoint.TypeOTP })
	if v.Status != checkpoint.StatusPending {
		t.Fatalf("after the first code: %s", v.Status)
	}
	// The provider sends a new code for the new checkpoint.
	setAccount(t, providersim.Account{API: checkpoint.APIPostpress, AccountID: acct, Code: "135790", Type: checkpoint.TypeOTP})
	twilioSMS(t, "SMc2"+acct, phone, "Your LinkedIn verification code is 135790.")
	requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusConnected), checkpoint.StatusConnected)
}

func TestProviderOutageThenSuccess(t *testing.T) {
	t.Parallel()
	acct, phone := uniqueAccount("outage"), uniquePhone()
	setAccount(t, providersim.Account{API: checkpoint.APIPostpress, AccountID: acct, OutageNext: 1})
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "OTP", "phone": phone})
	if got := twilioSMS(t, "SMo"+acct, phone, "Your LinkedIn verification code is 123456."); got != http.StatusOK {
		t.Fatalf("twilio webhook answered %d", got)
	}
	requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusConnected), checkpoint.StatusConnected)
	st := simStats(t, checkpoint.APIPostpress, acct)
	if st.OutagesServed != 1 || st.SolveCalls != 2 {
		t.Fatalf("simulator saw %+v, want one outage then one successful solve", st)
	}
}

func TestSameWebhookTwiceSolvesOnce(t *testing.T) {
	t.Parallel()
	acct, phone := uniqueAccount("dup"), uniquePhone()
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "OTP", "phone": phone})
	for i := 0; i < 2; i++ {
		if got := twilioSMS(t, "SMdup"+acct, phone, "Your LinkedIn verification code is 123456."); got != http.StatusOK {
			t.Fatalf("delivery %d answered %d", i+1, got)
		}
	}
	requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusConnected), checkpoint.StatusConnected)
	if st := simStats(t, checkpoint.APIPostpress, acct); st.SolveCalls != 1 {
		t.Fatalf("solve calls = %d, want 1", st.SolveCalls)
	}
}

func TestSMSAndEmailWithTheSameCodeAtOnceSolveOnce(t *testing.T) {
	t.Parallel()
	acct, phone := uniqueAccount("both"), uniquePhone()
	email := strings.ToLower(acct) + "@example.org"
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "OTP", "phone": phone, "email": email})
	var wg sync.WaitGroup
	codes := make([]int, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		codes[0] = twilioSMS(t, "SMboth"+acct, phone, "Your LinkedIn verification code is 123456.")
	}()
	go func() {
		defer wg.Done()
		codes[1] = genericEmail(t, "<both-"+acct+"@linkedin.com>", email, "Your verification code",
			"Please use this verification code to complete your sign in: 123456")
	}()
	wg.Wait()
	if codes[0] != http.StatusOK || codes[1] != http.StatusOK {
		t.Fatalf("webhooks answered %v", codes)
	}
	requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusConnected), checkpoint.StatusConnected)
	if st := simStats(t, checkpoint.APIPostpress, acct); st.SolveCalls != 1 {
		t.Fatalf("solve calls = %d, want 1", st.SolveCalls)
	}
}

func TestLateCodeAfterSuccessIsRecordedAndIgnored(t *testing.T) {
	t.Parallel()
	acct, phone := uniqueAccount("late"), uniquePhone()
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "OTP", "phone": phone})
	twilioSMS(t, "SMl1"+acct, phone, "Your LinkedIn verification code is 123456.")
	requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusConnected), checkpoint.StatusConnected)
	if got := twilioSMS(t, "SMl2"+acct, phone, "Your LinkedIn verification code is 777777."); got != http.StatusOK {
		t.Fatalf("late SMS answered %d", got)
	}
	v := getView(t, reg.ID)
	requireStatus(t, v, checkpoint.StatusConnected)
	if st := simStats(t, checkpoint.APIPostpress, acct); st.SolveCalls != 1 {
		t.Fatalf("solve calls = %d, want 1", st.SolveCalls)
	}
	if !hasEvent(v, "late_code") {
		t.Fatalf("the late code was not recorded; events %s", eventKinds(v))
	}
}

func TestUnknownRecipientIsAcknowledged(t *testing.T) {
	t.Parallel()
	if got := twilioSMS(t, fmt.Sprintf("SMunknown%d", seq.Add(1)), uniquePhone(), "Your LinkedIn verification code is 123456."); got != http.StatusOK {
		t.Fatalf("unknown recipient answered %d, want 200 (no retry storm)", got)
	}
}

func TestNeedsHumanForCaptcha(t *testing.T) {
	t.Parallel()
	reg := register(t, map[string]any{"api": "edges", "account_id": uniqueAccount("captcha"), "provider": "LINKEDIN", "type": "CAPTCHA"})
	requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusNeedsHuman), checkpoint.StatusNeedsHuman)
	requireCallback(t, reg.ID, checkpoint.StatusNeedsHuman)
}

func TestForgedTwilioSignatureChangesNothing(t *testing.T) {
	t.Parallel()
	acct, phone := uniqueAccount("forged"), uniquePhone()
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "OTP", "phone": phone})
	req, _ := http.NewRequest(http.MethodPost, stack.URL+"/v1/webhooks/sms/twilio",
		strings.NewReader("MessageSid=SMforged&To="+strings.ReplaceAll(phone, "+", "%2B")+"&Body=Your+code+is+123456"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", "bm90IGEgc2lnbmF0dXJl")
	if got := do(t, req); got != http.StatusUnauthorized && got != http.StatusForbidden {
		t.Fatalf("forged signature answered %d", got)
	}
	time.Sleep(100 * time.Millisecond)
	v := getView(t, reg.ID)
	if v.Status != checkpoint.StatusPending || hasEvent(v, "code_received") {
		t.Fatalf("a forged webhook changed the checkpoint: %s %s", v.Status, eventKinds(v))
	}
	// The registration was a login for the simulator; the forged code
	// must not have made a single call.
	if st, _ := stack.Simulator.Stats(checkpoint.APIPostpress, acct); st.SolveCalls != 0 || st.CodesReceived != 0 {
		t.Fatalf("a forged webhook reached the provider: %+v", st)
	}
}

// TestAProviderAnsweringAfter20sDoesNotHoldTheWebhook: the provider
// connects the account at once but answers only 20 s (scaled) later,
// longer than the scaled code wait. The webhook is answered as soon as the
// code is queued, without an outcome; the execution waits for the provider
// alone, calls it exactly once, and ends connected with one callback,
// whichever way the wait would have ended (edges: no resend; postpress: a
// resend).
func TestAProviderAnsweringAfter20sDoesNotHoldTheWebhook(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		api checkpoint.API
		typ string
	}{
		{checkpoint.APIEdges, "2FA"},
		{checkpoint.APIPostpress, "OTP"},
	} {
		t.Run(string(tc.api), func(t *testing.T) {
			t.Parallel()
			acct, phone := uniqueAccount("slow"), uniquePhone()
			setAccount(t, providersim.Account{API: tc.api, AccountID: acct, SolveDelayMS: 20000})
			reg := register(t, map[string]any{"api": tc.api, "account_id": acct, "provider": "LINKEDIN", "type": tc.typ, "phone": phone})
			status, results := genericSMS(t, "slow-"+acct, phone, "Your LinkedIn verification code is 123456.")
			if status != http.StatusOK || len(results) != 1 || results[0] != string(relay.DeliveryAccepted) {
				t.Fatalf("webhook answered %d %v, want 200 and the code accepted", status, results)
			}
			requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusConnected), checkpoint.StatusConnected)
			if d := waitExecution(t, reg.ID); d.Status != asl.StatusSucceeded {
				t.Fatalf("execution %s: %s %s", d.Status, d.Error, d.Cause)
			}
			// The execution has ended: every callback it sends was sent.
			requireCallback(t, reg.ID, checkpoint.StatusConnected)
			if st := simStats(t, tc.api, acct); st.SolveCalls != 1 || st.ResendCalls != 0 || st.State != providersim.StateConnected {
				t.Fatalf("simulator saw %+v, want one solve, no resend, connected", st)
			}
		})
	}
}

// TestABankCodeNeverLeavesTheRelay: on a number that also receives a
// bank's one-time passwords, the bank's code is recorded and kept, and the
// LinkedIn code still solves.
func TestABankCodeNeverLeavesTheRelay(t *testing.T) {
	t.Parallel()
	acct, phone := uniqueAccount("bank"), uniquePhone()
	setAccount(t, providersim.Account{API: checkpoint.APIPostpress, AccountID: acct, Code: "613309"})
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "2FA", "phone": phone})
	twilioSMSFrom(t, "SMbank"+acct, "+13025550142", phone, "Your Chase verification code is 654321. Don't share it.")
	twilioSMSFrom(t, "SMwa"+acct, "+14155550177", phone, "Your WhatsApp code: 246-810")
	waitFor(t, reg.ID, "both refused", func(v relay.View) bool {
		n := 0
		for _, e := range v.Events {
			if e.Kind == "attribution" && strings.HasPrefix(e.Detail, "ignored_other_service") {
				n++
			}
		}
		return n == 2
	})
	if st := simStats(t, checkpoint.APIPostpress, acct); st.SolveCalls != 0 {
		t.Fatalf("the simulator received %+v", st)
	}
	twilioSMS(t, "SMli"+acct, phone, "Your LinkedIn verification code is 613309.")
	requireStatus(t, waitStatus(t, reg.ID, checkpoint.StatusConnected), checkpoint.StatusConnected)
	if st := simStats(t, checkpoint.APIPostpress, acct); st.SolveCalls != 1 || st.WrongCodes != 0 {
		t.Fatalf("simulator saw %+v, want the LinkedIn code alone", st)
	}
}
