// Package attribution decides which checkpoint an inbound code belongs to.
// It is the relay's one rule for that, used by every SMS and email source
// (the hosted form needs none: its link names the checkpoint). The rule:
//
//  1. Service. A message whose recognised service is not the checkpoint's
//     provider is never submitted for it (ignored_other_service). A message
//     with no recognised service is not submitted either
//     (unrecognised_service), unless the registration set
//     accept_any_sender.
//  2. Email authenticity. A mail counts only when it authenticates as the
//     checkpoint's provider (package mailauth decides that); otherwise
//     unauthenticated_sender, unless accept_any_sender. SMS carries no such
//     proof: it relies on the forwarder's own authentication.
//  3. Several candidates. Among the recipient's pending checkpoints that
//     pass 1, 2, 5 and 6, the code goes to the one whose code was requested
//     (registration or resend) most recently before the message's time;
//     the others, in the same order, are its fallbacks should it answer
//     invalid_code, each at most once. Never a checkpoint of another
//     provider.
//  4. Early codes. A message of a provider the relay solves for, with no
//     pending checkpoint of that provider at its recipient (an
//     unrecognised one: no pending checkpoint at all), is held: the caller
//     keeps it sealed for EarlyWindow when it knows the recipient, and a
//     new registration decides it again under this same rule.
//  5. Stale messages. A message counts for a checkpoint when its time (its
//     own timestamp where the source gives one, else its arrival) is no
//     earlier than EarlyWindow before the checkpoint's last code request
//     (stale_message).
//  6. Strangers. A sender whose code was wrong on a checkpoint, and right
//     for none of its other candidates, is untrusted there until the next
//     code request (untrusted_sender).
//
// accept_any_sender lifts rules 1 (the unrecognised half only) and 2,
// never the other-service half of rule 1: a bank's or WhatsApp's
// recognised code still stays out.
//
// Decide is a pure function: no I/O, no clock, no logging, and it never
// sees a code.
package attribution

import (
	"sort"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// DefaultEarlyWindow is how long a code may precede its code request and
// still count (providers send the code at the instant the login call
// returns, often before the app registers the checkpoint).
const DefaultEarlyWindow = 10 * time.Minute

// Reason says why a message was not submitted for a checkpoint. The values
// are recorded in the checkpoint's history and counted in the logs: they
// must never change once deployed.
type Reason string

const (
	// ReasonOtherService: the message's recognised service is not the
	// checkpoint's provider (Refusal.Detail names the service seen).
	ReasonOtherService Reason = "ignored_other_service"
	// ReasonUnrecognisedService: no service recognised, and the
	// registration did not set accept_any_sender.
	ReasonUnrecognisedService Reason = "unrecognised_service"
	// ReasonUnauthenticated: a mail that does not authenticate as the
	// checkpoint's provider.
	ReasonUnauthenticated Reason = "unauthenticated_sender"
	// ReasonStale: the message is older than the checkpoint's last code
	// request by more than the early window.
	ReasonStale Reason = "stale_message"
	// ReasonUntrusted: the sender already sent this checkpoint a wrong code
	// since its last code request.
	ReasonUntrusted Reason = "untrusted_sender"
)

// Reasons lists every refusal reason, for counting and documentation.
var Reasons = []Reason{ReasonOtherService, ReasonUnrecognisedService, ReasonUnauthenticated, ReasonStale, ReasonUntrusted}

// Message is what attribution needs to know of one inbound code.
type Message struct {
	Channel checkpoint.Channel
	// Service is what the extractor recognised: LINKEDIN, INSTAGRAM,
	// TWITTER, MESSENGER, another service in upper case, or "".
	Service string
	// Sender identifies who sent the message (a phone number, a short
	// code, a mail's From address), in whatever stable form the caller
	// keeps in Candidate.Untrusted; "" when the source does not say.
	Sender string
	// SentAt is the message's own time where the source gives one (Telnyx,
	// Vonage, forwarder apps, a mail's Date); zero otherwise.
	SentAt time.Time
	// ArrivedAt is when the relay received it.
	ArrivedAt time.Time
	// AuthenticatedAs is, for a mail, the provider it proved it comes from
	// (DKIM aligned with From, a trusted forwarder's ARC chain, or the
	// receiving service's verdicts); "" when it proved nothing. AuthDetail
	// says why, for the history. Ignored for SMS.
	AuthenticatedAs checkpoint.Provider
	AuthDetail      string
}

// Time is the message's time for rules 3 and 5: its own where known, but
// never later than its arrival (a sender's clock, or a forged Date, must
// not make a message look fresher than it is).
func (m Message) Time() time.Time {
	if !m.SentAt.IsZero() && (m.ArrivedAt.IsZero() || m.SentAt.Before(m.ArrivedAt)) {
		return m.SentAt
	}
	return m.ArrivedAt
}

// Candidate is one pending checkpoint of the message's recipient.
type Candidate struct {
	ID       string
	Provider checkpoint.Provider
	// AcceptAnySender is the registration's accept_any_sender.
	AcceptAnySender bool
	// RequestedAt is the checkpoint's last code request: its registration
	// or its last resend.
	RequestedAt time.Time
	// Untrusted are the senders whose code was wrong here since
	// RequestedAt.
	Untrusted []string
}

func (c Candidate) untrusts(sender string) bool {
	for _, s := range c.Untrusted {
		if s == sender {
			return true
		}
	}
	return false
}

// Refusal is one candidate that the message is not submitted for, and why.
type Refusal struct {
	CheckpointID string
	Reason       Reason
	// Detail: the service seen (other service), the authentication result
	// (unauthenticated), or empty.
	Detail string
}

// Decision is what becomes of one message.
type Decision struct {
	// Target is the checkpoint the code goes to; "" when none takes it.
	Target string
	// Fallbacks are the other candidates that would take the code, in the
	// order it is offered to them should Target answer invalid_code.
	Fallbacks []string
	// Refused are the candidates that must never receive it, with why.
	Refused []Refusal
	// Hold: no pending checkpoint of the message's provider exists (for an
	// unrecognised message: none at all), but one registered within the
	// early window might take it. The caller keeps it sealed when the recipient
	// is known, and decides it again at the next registration.
	Hold bool
}

// Options tune the rule.
type Options struct {
	// EarlyWindow is how long a message may precede the code request it
	// answers; DefaultEarlyWindow when zero.
	EarlyWindow time.Duration
}

func (o Options) window() time.Duration {
	if o.EarlyWindow <= 0 {
		return DefaultEarlyWindow
	}
	return o.EarlyWindow
}

// Solvable reports whether service names a provider the relay solves
// checkpoints for.
func Solvable(service string) bool {
	return checkpoint.Provider(service).Valid()
}

// Decide applies the rule to one message and the recipient's pending
// checkpoints (any order).
func Decide(m Message, candidates []Candidate, o Options) Decision {
	var d Decision
	type taker struct {
		c     Candidate
		early bool // requested after the message's time
	}
	var takers []taker
	at := m.Time()
	for _, c := range candidates {
		if r, ok := refuse(m, c, at, o.window()); ok {
			d.Refused = append(d.Refused, r)
			continue
		}
		takers = append(takers, taker{c: c, early: c.RequestedAt.After(at)})
	}
	// Most recent request at or before the message first; then requests
	// the message beat (an early code), the nearest first.
	sort.SliceStable(takers, func(i, j int) bool {
		a, b := takers[i], takers[j]
		if a.early != b.early {
			return !a.early
		}
		if a.early {
			return a.c.RequestedAt.Before(b.c.RequestedAt)
		}
		return a.c.RequestedAt.After(b.c.RequestedAt)
	})
	for i, t := range takers {
		if i == 0 {
			d.Target = t.c.ID
			continue
		}
		d.Fallbacks = append(d.Fallbacks, t.c.ID)
	}
	d.Hold = d.Target == "" && awaitsRegistration(m.Service, candidates)
	return d
}

// awaitsRegistration reports whether a message no candidate took may be
// for a checkpoint not registered yet: one of a provider the relay solves
// for that has no pending checkpoint here, or an unrecognised one for a
// recipient with no pending checkpoint at all.
func awaitsRegistration(service string, candidates []Candidate) bool {
	if service == "" {
		return len(candidates) == 0
	}
	if !Solvable(service) {
		return false
	}
	for _, c := range candidates {
		if checkpoint.Provider(service) == c.Provider {
			return false
		}
	}
	return true
}

// refuse applies rules 1, 2, 5 and 6 to one candidate.
func refuse(m Message, c Candidate, at time.Time, window time.Duration) (Refusal, bool) {
	no := func(r Reason, detail string) (Refusal, bool) {
		return Refusal{CheckpointID: c.ID, Reason: r, Detail: detail}, true
	}
	service := m.Service
	if service == "" && m.Channel == checkpoint.ChannelEmail && m.AuthenticatedAs != "" {
		// A mail that proves it comes from a provider is that provider's,
		// whether or not its text names it.
		service = string(m.AuthenticatedAs)
	}
	switch {
	case service != "" && checkpoint.Provider(service) != c.Provider:
		return no(ReasonOtherService, service)
	case service == "" && !c.AcceptAnySender:
		return no(ReasonUnrecognisedService, "")
	}
	if m.Channel == checkpoint.ChannelEmail && !c.AcceptAnySender && m.AuthenticatedAs != c.Provider {
		detail := m.AuthDetail
		if m.AuthenticatedAs != "" {
			detail = "authenticates as " + string(m.AuthenticatedAs)
		}
		return no(ReasonUnauthenticated, detail)
	}
	if at.Before(c.RequestedAt.Add(-window)) {
		return no(ReasonStale, "")
	}
	if c.untrusts(m.Sender) {
		return no(ReasonUntrusted, "")
	}
	return Refusal{}, false
}
