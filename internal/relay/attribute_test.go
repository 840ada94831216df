package relay

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/attribution"
	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/extract"
	"github.com/checkpoint-relay/checkpoint-relay/internal/store"
)

// otherServices are real-looking messages of services other than the
// checkpoints' own: banks, WhatsApp, Google, Uber, Microsoft, and
// Instagram's codes for a LinkedIn checkpoint (and LinkedIn's for an
// Instagram one, below).
var otherServices = []string{
	"Your Chase verification code is 654321. Don't share it.",
	"Chase: Your one-time code is 118822. We'll never call you for this code.",
	"BofA: Your Bank of America authorization code is 402913. Never share it.",
	"Wells Fargo: Your one-time passcode is 778120. Do not share this code.",
	"Capital One: Your verification code is 559013. Expires in 10 min.",
	"Citi: Your Citi one-time PIN is 824160. Citi will never ask you for this PIN.",
	"HSBC: Your security code is 301775. Never share this code, not even with HSBC staff.",
	"Barclays: your one-time passcode is 640091. Don't share it with anyone.",
	"Santander: 883201 is your OTP for the payment of 54.20 GBP to AMAZON. Don't share it.",
	"Revolut: your verification code is 194-822. Never share it.",
	"Monzo: Your code is 620418. Don't share this with anyone, even Monzo.",
	"American Express: your one-time verification code is 448902.",
	"Your WhatsApp code: 246-810",
	"WhatsApp code 193-472. Don't share this code with others",
	"Your WhatsApp Business code: 305-118. You can also tap on this link to verify your phone: v.whatsapp.com/305118",
	"G-582011 is your Google verification code.",
	"Your Google verification code is 771043",
	"Your Uber code: 8231. Never share this code. Reply STOP ALL to unsubscribe.",
	"Your Uber Eats code is 4410",
	"Microsoft account security code: 5521",
	"Use 904411 as Microsoft account security code",
	"Use 777 888 to verify your Instagram account.",
	"123 456 is your Instagram code. Don't share it.",
	"Instagram: 402 117 is your confirmation code.",
	"Your Telegram code: 55012. Do not give this code to anyone, even if they say they are from Telegram!",
	"Your Apple ID Code is: 381004. Don't share it with anyone.",
	"Your Amazon OTP is 229015. Do not share it with anyone.",
	"PayPal: Your security code is 604118. It expires in 10 minutes. Don't share this code.",
	"Your Facebook code is 40192820",
	"FB-61925 is your Facebook confirmation code",
	"Your Twitter confirmation code is 449210.",
	"Your Discord verification code is 112947",
	"Your TikTok verification code is 882016",
}

// forInstagram are LinkedIn's codes, which an Instagram checkpoint must
// never take.
var forInstagram = []string{
	"Your LinkedIn verification code is 613309.",
	"LinkedIn: 448 201 is your verification code.",
}

var smsSources = []string{"twilio", "vonage", "telnyx", "sms-generic"}
var mailSources = []string{"ses", "mailgun", "sendgrid", "email-generic"}

// senderOf is a plausible sender of text: a short code for SMS, the
// service's own address for mail.
func mailFrom(service string) string {
	switch service {
	case "INSTAGRAM":
		return "security@mail.instagram.com"
	case "LINKEDIN":
		return "security-noreply@linkedin.com"
	case "MESSENGER":
		return "security@facebookmail.com"
	case "":
		return "no-reply@alerts.example-bank.com"
	}
	return "no-reply@" + strings.ToLower(service) + ".com"
}

func TestOtherServicesCodesNeverReachTheProvider(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	li := h.register(t, RegisterRequest{Phone: "+33612345678", Email: "ada@example.org", AccountID: "acc_li"})
	ig := h.register(t, RegisterRequest{Phone: "+33699999999", Email: "ig@example.org", AccountID: "acc_ig",
		Provider: checkpoint.ProviderInstagram})
	// A registration that accepts any sender still never takes another
	// service's recognised code.
	anyLi := h.register(t, RegisterRequest{Phone: "+33655555555", Email: "any@example.org", AccountID: "acc_any",
		AcceptAnySender: true})

	type message struct {
		text string
		to   []string
	}
	var msgs []message
	for _, text := range otherServices {
		for _, to := range [][]string{{"+33612345678"}, {"ada@example.org"}, {"+33655555555"}} {
			msgs = append(msgs, message{text, to})
		}
	}
	for _, text := range forInstagram {
		msgs = append(msgs, message{text, []string{"+33699999999"}}, message{text, []string{"ig@example.org"}})
	}
	counts := map[string]int{}
	for i, m := range msgs {
		var d Delivery
		if strings.HasPrefix(m.to[0], "+") {
			r := extract.SMS(m.text)
			d = Delivery{Channel: checkpoint.ChannelSMS, Source: smsSources[i%len(smsSources)], Sender: "+1555010" + fmt.Sprint(i%7),
				Code: r.Code, Service: r.Service}
		} else {
			r := extract.EmailParts("Your code", m.text, "")
			// The mail authenticates for its own domain, which is no
			// checkpoint provider's, or Instagram's for Instagram's mail.
			service := r.Service
			d = Delivery{Channel: checkpoint.ChannelEmail, Source: mailSources[i%len(mailSources)], Sender: mailFrom(service),
				Code: r.Code, Service: service, AuthDetail: "dkim=pass d=" + strings.SplitN(mailFrom(service), "@", 2)[1]}
			if checkpoint.Provider(service).Valid() {
				d.AuthenticatedAs = checkpoint.Provider(service)
			}
		}
		if d.Code == "" {
			t.Fatalf("%q: the extractor found no code, the case proves nothing", m.text)
		}
		d.MessageID, d.Recipients = fmt.Sprint("m", i), m.to
		res, err := h.svc.Deliver(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		// Ignored, or held for a checkpoint of its own provider that
		// could be registered in the next minutes (Instagram's codes on a
		// number with only a LinkedIn checkpoint): never accepted.
		if res.Status != DeliveryIgnored && res.Status != DeliveryHeld {
			t.Fatalf("%q to %v (%s): %+v, want ignored", m.text, m.to, d.Service, res)
		}
		counts["status "+string(res.Status)]++
	}
	for _, id := range []string{li.ID, ig.ID, anyLi.ID} {
		cp := h.item(t, id)
		if len(cp.Queue) != 0 {
			t.Fatalf("%s queued %d codes", id, len(cp.Queue))
		}
		for _, e := range cp.Events {
			if e.Kind == store.EventAttribution {
				counts[strings.SplitN(e.Detail, ":", 2)[0]]++
			}
		}
	}
	if len(h.postpress.calls()) != 0 {
		t.Fatalf("the provider got %v", h.postpress.calls())
	}
	var lines []string
	total := 0
	for r, n := range counts {
		lines = append(lines, fmt.Sprintf("%s=%d", r, n))
		if !strings.HasPrefix(r, "status ") {
			total += n
		}
	}
	sort.Strings(lines)
	t.Logf("%d messages refused: %s", len(msgs), strings.Join(lines, " "))
	if len(msgs) < 50 || total != len(msgs) || counts[string(attribution.ReasonOtherService)] != len(msgs) {
		t.Fatalf("%d messages, refusals %v: every one must be refused once, as another service's", len(msgs), counts)
	}
}

func TestTwoLinkedInCheckpointsOnOneNumber(t *testing.T) {
	for _, order := range []string{"a's code first", "b's code first"} {
		t.Run(order, func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			a := h.register(t, RegisterRequest{Phone: "+33612345678", AccountID: "acc_a"})
			h.clock.Advance(20 * time.Second)
			b := h.register(t, RegisterRequest{Phone: "+33612345678", AccountID: "acc_b"})
			h.postpress.answerFor("acc_a", "111111", checkpoint.Connected)
			h.postpress.answerFor("acc_b", "222222", checkpoint.Connected)
			codes := []string{"111111", "222222"}
			if order == "b's code first" {
				codes = []string{"222222", "111111"}
			}
			for i, c := range codes {
				h.clock.Advance(time.Second)
				if _, err := h.svc.Deliver(ctx, sms(fmt.Sprint("m", i), c)); err != nil {
					t.Fatal(err)
				}
			}
			// Each checkpoint's execution solves what reaches its queue.
			for round := 0; round < 4; round++ {
				for _, id := range []string{b.ID, a.ID} {
					if _, err := h.svc.Solve(ctx, SolveInput{CheckpointID: id, Mode: SolveCode}); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, id := range []string{a.ID, b.ID} {
				if cp := h.item(t, id); cp.FinalOutcome != checkpoint.Connected {
					t.Fatalf("%s: final %q, queue %+v, events %+v", id, cp.FinalOutcome, cp.Queue, cp.Events)
				}
			}
		})
	}
}

func TestALinkedInAndAnInstagramCheckpointOnOneNumber(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	li := h.register(t, RegisterRequest{Phone: "+33612345678", AccountID: "acc_li"})
	h.clock.Advance(time.Second)
	ig := h.register(t, RegisterRequest{Phone: "+33612345678", AccountID: "acc_ig", Provider: checkpoint.ProviderInstagram})
	h.clock.Advance(time.Second)
	res, err := h.svc.Deliver(ctx, sms("m1", "613309"))
	if err != nil || res.Status != DeliveryAccepted || res.CheckpointID != li.ID {
		t.Fatalf("LinkedIn SMS: %+v, %v; want accepted on the LinkedIn checkpoint", res, err)
	}
	igSMS := sms("m2", "777888")
	igSMS.Service = "INSTAGRAM"
	res, err = h.svc.Deliver(ctx, igSMS)
	if err != nil || res.Status != DeliveryAccepted || res.CheckpointID != ig.ID {
		t.Fatalf("Instagram SMS: %+v, %v; want accepted on the Instagram checkpoint", res, err)
	}
	if cp := h.item(t, ig.ID); len(cp.Queue) != 1 || !hasDetail(cp, "ignored_other_service: LINKEDIN") {
		t.Fatalf("instagram: queue %d, events %+v", len(cp.Queue), cp.Events)
	}
	// A wrong LinkedIn code is never offered to the Instagram checkpoint.
	if _, err := h.svc.Solve(ctx, SolveInput{CheckpointID: li.ID, Mode: SolveCode}); err != nil {
		t.Fatal(err)
	}
	if cp := h.item(t, ig.ID); len(cp.Queue) != 1 {
		t.Fatalf("the LinkedIn code reached the Instagram queue")
	}
}

func TestEarlyCodes(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// The relay knows the number from an earlier checkpoint.
	old := h.register(t, RegisterRequest{Phone: "+33612345678", AccountID: "acc_old"})
	if _, err := h.svc.Finish(ctx, FinishInput{CheckpointID: old.ID, Status: checkpoint.StatusConnected, Reason: "solved"}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Hour)
	// 11 minutes before its registration: too early, even though held.
	if res, err := h.svc.Deliver(ctx, sms("early11", "999999")); err != nil || res.Status != DeliveryHeld {
		t.Fatalf("%+v %v", res, err)
	}
	h.clock.Advance(11*time.Minute - time.Second)
	// 1 s before its registration.
	if res, err := h.svc.Deliver(ctx, sms("early1", "613309")); err != nil || res.Status != DeliveryHeld {
		t.Fatalf("%+v %v", res, err)
	}
	// A bank's code is never held.
	bank := sms("bank", "654321")
	bank.Service = "CHASE"
	if res, err := h.svc.Deliver(ctx, bank); err != nil || res.Status != DeliveryLate {
		t.Fatalf("bank: %+v %v", res, err)
	}
	h.clock.Advance(time.Second)
	r := h.register(t, RegisterRequest{Phone: "+33612345678", AccountID: "acc_new"})
	cp := h.item(t, r.ID)
	if len(cp.Queue) != 1 || cp.Queue[0].Attribution != AttributedEarly || cp.Queued != 1 {
		t.Fatalf("queue %+v, want only the code sent 1 s before", cp.Queue)
	}
	got, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode})
	if err != nil || got.Outcome != checkpoint.InvalidCode {
		t.Fatal(got, err)
	}
	if calls := h.postpress.calls(); len(calls) != 1 || calls[0] != "613309" {
		t.Fatalf("provider saw %v", calls)
	}
	// An unknown number stores nothing.
	if res, err := h.svc.Deliver(ctx, sms("stranger", "613309", "+33700000000")); err != nil || res.Status != DeliveryUnknownRecipient {
		t.Fatalf("%+v %v", res, err)
	}
	if held, _ := h.store.EarlyCodes(ctx, "+33700000000", time.Time{}); len(held) != 0 {
		t.Fatal("a code for an unknown recipient was kept")
	}
}

func TestStrangersCannotSpendTheBudget(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.register(t, RegisterRequest{Phone: "+33612345678"})
	for i, c := range []string{"100001", "100002", "100003"} {
		d := sms(fmt.Sprint("s", i), c)
		d.Sender = "+19995550123"
		if _, err := h.svc.Deliver(ctx, d); err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.Solve(ctx, SolveInput{CheckpointID: r.ID, Mode: SolveCode}); err != nil {
			t.Fatal(err)
		}
	}
	cp := h.item(t, r.ID)
	if cp.WrongCodes != 1 || len(h.postpress.calls()) != 1 {
		t.Fatalf("wrong codes %d, provider calls %v: a stranger spent more than one try", cp.WrongCodes, h.postpress.calls())
	}
	if !hasDetail(cp, "untrusted_sender") {
		t.Fatalf("events %+v", cp.Events)
	}
	// A fresh code request trusts the sender again.
	if _, err := h.store.Record(ctx, r.ID, store.Outcome{Event: store.Event{At: h.clock.Now(), Kind: store.EventResend, Outcome: checkpoint.Resent}, Resends: 1}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Second)
	d := sms("s9", "100009")
	d.Sender = "+19995550123"
	if res, err := h.svc.Deliver(ctx, d); err != nil || res.Status != DeliveryAccepted {
		t.Fatalf("after a resend: %+v %v", res, err)
	}
}

func hasDetail(cp *store.Checkpoint, s string) bool {
	for _, e := range cp.Events {
		if strings.Contains(e.Detail, s) {
			return true
		}
	}
	return false
}
