package attribution

import (
	"reflect"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

var t0 = time.Date(2026, 12, 8, 2, 0, 0, 0, time.UTC)

func sms(service string, at time.Time) Message {
	return Message{Channel: checkpoint.ChannelSMS, Service: service, Sender: "+14155550000", ArrivedAt: at}
}

func cand(id string, p checkpoint.Provider, requested time.Time) Candidate {
	return Candidate{ID: id, Provider: p, RequestedAt: requested}
}

func TestServiceDecidesWhichProvider(t *testing.T) {
	li := cand("cp_li", checkpoint.ProviderLinkedIn, t0)
	ig := cand("cp_ig", checkpoint.ProviderInstagram, t0.Add(time.Second))
	for _, tc := range []struct {
		name    string
		service string
		target  string
		refused []Refusal
	}{
		{"a LinkedIn code skips the newer Instagram checkpoint", "LINKEDIN", "cp_li",
			[]Refusal{{"cp_ig", ReasonOtherService, "LINKEDIN"}}},
		{"an Instagram code skips LinkedIn", "INSTAGRAM", "cp_ig",
			[]Refusal{{"cp_li", ReasonOtherService, "INSTAGRAM"}}},
		{"a bank's code reaches neither", "CHASE", "",
			[]Refusal{{"cp_li", ReasonOtherService, "CHASE"}, {"cp_ig", ReasonOtherService, "CHASE"}}},
		{"an unrecognised code reaches neither", "", "",
			[]Refusal{{"cp_li", ReasonUnrecognisedService, ""}, {"cp_ig", ReasonUnrecognisedService, ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(sms(tc.service, t0.Add(5*time.Second)), []Candidate{li, ig}, Options{})
			if d.Target != tc.target || len(d.Fallbacks) != 0 || !reflect.DeepEqual(d.Refused, tc.refused) || d.Hold {
				t.Fatalf("decision = %+v, want target %q refused %+v", d, tc.target, tc.refused)
			}
		})
	}
}

func TestAcceptAnySenderLiftsUnrecognisedAndAuthenticityOnly(t *testing.T) {
	c := cand("cp_1", checkpoint.ProviderLinkedIn, t0)
	c.AcceptAnySender = true
	at := t0.Add(time.Second)
	if d := Decide(sms("", at), []Candidate{c}, Options{}); d.Target != "cp_1" {
		t.Fatalf("unrecognised sms with accept_any_sender: %+v", d)
	}
	mail := Message{Channel: checkpoint.ChannelEmail, ArrivedAt: at, AuthDetail: "no DKIM signature"}
	if d := Decide(mail, []Candidate{c}, Options{}); d.Target != "cp_1" {
		t.Fatalf("unauthenticated mail with accept_any_sender: %+v", d)
	}
	for _, other := range []string{"WHATSAPP", "CHASE", "INSTAGRAM", "GOOGLE"} {
		d := Decide(sms(other, at), []Candidate{c}, Options{})
		if d.Target != "" || len(d.Refused) != 1 || d.Refused[0].Reason != ReasonOtherService || d.Hold && !Solvable(other) {
			t.Fatalf("%s with accept_any_sender: %+v", other, d)
		}
	}
}

func TestMailMustAuthenticateAsTheProvider(t *testing.T) {
	c := cand("cp_1", checkpoint.ProviderLinkedIn, t0)
	at := t0.Add(time.Second)
	for _, tc := range []struct {
		name    string
		service string
		as      checkpoint.Provider
		target  string
		reason  Reason
		detail  string
	}{
		{"authenticated LinkedIn mail", "LINKEDIN", checkpoint.ProviderLinkedIn, "cp_1", "", ""},
		{"authenticated mail whose text names no service", "", checkpoint.ProviderLinkedIn, "cp_1", "", ""},
		{"LinkedIn text without authentication", "LINKEDIN", "", "", ReasonUnauthenticated, "dkim=none"},
		{"LinkedIn text authenticated as Instagram", "LINKEDIN", checkpoint.ProviderInstagram, "", ReasonUnauthenticated, "authenticates as INSTAGRAM"},
		{"Instagram mail for a LinkedIn checkpoint", "", checkpoint.ProviderInstagram, "", ReasonOtherService, "INSTAGRAM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Message{Channel: checkpoint.ChannelEmail, Service: tc.service, ArrivedAt: at, AuthenticatedAs: tc.as, AuthDetail: "dkim=none"}
			d := Decide(m, []Candidate{c}, Options{})
			if d.Target != tc.target {
				t.Fatalf("target = %q, want %q (%+v)", d.Target, tc.target, d)
			}
			if tc.reason != "" && (len(d.Refused) != 1 || d.Refused[0].Reason != tc.reason || d.Refused[0].Detail != tc.detail) {
				t.Fatalf("refused = %+v, want %s (%s)", d.Refused, tc.reason, tc.detail)
			}
		})
	}
	// SMS carries no proof of origin and needs none.
	if d := Decide(sms("LINKEDIN", at), []Candidate{c}, Options{}); d.Target != "cp_1" {
		t.Fatalf("sms: %+v", d)
	}
}

func TestMostRecentRequestBeforeTheMessageWinsAndTheRestFallBack(t *testing.T) {
	a := cand("cp_a", checkpoint.ProviderLinkedIn, t0)
	b := cand("cp_b", checkpoint.ProviderLinkedIn, t0.Add(30*time.Second))
	ig := cand("cp_ig", checkpoint.ProviderInstagram, t0.Add(40*time.Second))
	later := cand("cp_later", checkpoint.ProviderLinkedIn, t0.Add(90*time.Second))
	for _, tc := range []struct {
		name      string
		at        time.Time
		target    string
		fallbacks []string
	}{
		{"between the two requests: the first", t0.Add(10 * time.Second), "cp_a", []string{"cp_b", "cp_later"}},
		{"after both: the newer, then the older", t0.Add(60 * time.Second), "cp_b", []string{"cp_a", "cp_later"}},
		{"after all three", t0.Add(2 * time.Minute), "cp_later", []string{"cp_b", "cp_a"}},
		{"before all (early): the nearest request", t0.Add(-time.Second), "cp_a", []string{"cp_b", "cp_later"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(sms("LINKEDIN", tc.at), []Candidate{later, ig, a, b}, Options{})
			if d.Target != tc.target || !reflect.DeepEqual(d.Fallbacks, tc.fallbacks) {
				t.Fatalf("target %q fallbacks %v, want %q %v", d.Target, d.Fallbacks, tc.target, tc.fallbacks)
			}
			if len(d.Refused) != 1 || d.Refused[0].CheckpointID != "cp_ig" {
				t.Fatalf("the Instagram checkpoint must be refused, never a fallback: %+v", d.Refused)
			}
		})
	}
}

func TestMessageTimeIsItsOwnWhereGiven(t *testing.T) {
	// The forwarder app delivers yesterday's code today.
	c := cand("cp_1", checkpoint.ProviderLinkedIn, t0)
	m := sms("LINKEDIN", t0.Add(time.Minute))
	m.SentAt = t0.Add(-24 * time.Hour)
	d := Decide(m, []Candidate{c}, Options{})
	if d.Target != "" || len(d.Refused) != 1 || d.Refused[0].Reason != ReasonStale || d.Hold {
		t.Fatalf("a day-old message: %+v", d)
	}
	// Its own time decides the order too: sent before b was requested.
	a := cand("cp_a", checkpoint.ProviderLinkedIn, t0.Add(-time.Minute))
	b := cand("cp_b", checkpoint.ProviderLinkedIn, t0.Add(30*time.Second))
	m = sms("LINKEDIN", t0.Add(40*time.Second))
	m.SentAt = t0.Add(10 * time.Second)
	if d := Decide(m, []Candidate{b, a}, Options{}); d.Target != "cp_a" || !reflect.DeepEqual(d.Fallbacks, []string{"cp_b"}) {
		t.Fatalf("sent between the requests: %+v", d)
	}
}

func TestMessageTimeNeverAfterArrival(t *testing.T) {
	m := sms("LINKEDIN", t0)
	m.SentAt = t0.Add(time.Hour)
	if !m.Time().Equal(t0) {
		t.Fatalf("time = %v, want the arrival", m.Time())
	}
}

func TestEarlyWindow(t *testing.T) {
	c := cand("cp_1", checkpoint.ProviderLinkedIn, t0)
	for _, tc := range []struct {
		name   string
		before time.Duration
		window time.Duration
		target string
	}{
		{"1 s before its registration", time.Second, 0, "cp_1"},
		{"9 min 59 s before", 10*time.Minute - time.Second, 0, "cp_1"},
		{"exactly the window before", 10 * time.Minute, 0, "cp_1"},
		{"11 min before", 11 * time.Minute, 0, ""},
		{"3 min before with a 2 min window", 3 * time.Minute, 2 * time.Minute, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(sms("LINKEDIN", t0.Add(-tc.before)), []Candidate{c}, Options{EarlyWindow: tc.window})
			if d.Target != tc.target {
				t.Fatalf("%+v, want target %q", d, tc.target)
			}
			if tc.target == "" && (len(d.Refused) != 1 || d.Refused[0].Reason != ReasonStale) {
				t.Fatalf("refused %+v, want stale_message", d.Refused)
			}
		})
	}
}

func TestHold(t *testing.T) {
	at := t0
	for _, tc := range []struct {
		name       string
		service    string
		candidates []Candidate
		hold       bool
	}{
		{"no pending checkpoint, a LinkedIn code", "LINKEDIN", nil, true},
		{"no pending checkpoint, an unrecognised code", "", nil, true},
		{"no pending checkpoint, a bank's code", "CHASE", nil, false},
		{"no pending checkpoint, a WhatsApp code", "WHATSAPP", nil, false},
		{"only an Instagram checkpoint, a LinkedIn code", "LINKEDIN",
			[]Candidate{cand("cp_ig", checkpoint.ProviderInstagram, at.Add(-time.Minute))}, true},
		{"a LinkedIn checkpoint takes it", "LINKEDIN",
			[]Candidate{cand("cp_li", checkpoint.ProviderLinkedIn, at.Add(-time.Minute))}, false},
		{"a LinkedIn checkpoint whose sender is untrusted", "LINKEDIN",
			[]Candidate{{ID: "cp_li", Provider: checkpoint.ProviderLinkedIn, RequestedAt: at.Add(-time.Minute), Untrusted: []string{"+14155550000"}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := Decide(sms(tc.service, at), tc.candidates, Options{}); d.Hold != tc.hold {
				t.Fatalf("hold = %v, want %v (%+v)", d.Hold, tc.hold, d)
			}
		})
	}
}

func TestUntrustedSenderIsRefusedThereOnly(t *testing.T) {
	a := Candidate{ID: "cp_a", Provider: checkpoint.ProviderLinkedIn, RequestedAt: t0, Untrusted: []string{"+19995550123"}}
	b := cand("cp_b", checkpoint.ProviderLinkedIn, t0.Add(-time.Minute))
	m := sms("LINKEDIN", t0.Add(time.Second))
	m.Sender = "+19995550123"
	d := Decide(m, []Candidate{a, b}, Options{})
	if d.Target != "cp_b" || len(d.Fallbacks) != 0 || !reflect.DeepEqual(d.Refused, []Refusal{{"cp_a", ReasonUntrusted, ""}}) {
		t.Fatalf("%+v", d)
	}
	m.Sender = "+14155550000"
	if d := Decide(m, []Candidate{a, b}, Options{}); d.Target != "cp_a" {
		t.Fatalf("another sender: %+v", d)
	}
}

func TestReasonsAreDistinct(t *testing.T) {
	seen := map[Reason]bool{}
	for _, r := range Reasons {
		if r == "" || seen[r] {
			t.Fatalf("reason %q empty or repeated", r)
		}
		seen[r] = true
	}
}
