// Package checkpoint holds the relay's domain vocabulary: which API a
// checkpoint belongs to, the provider and checkpoint type the API reported,
// the outcome of every call made to solve it, and the status it ends in.
//
// Everything else in the relay speaks these types, so that a provider's own
// error codes never leak past the client that parsed them.
package checkpoint

import "fmt"

// API names one of the unified account-connection APIs the relay can solve
// checkpoints against.
type API string

const (
	// APIPostpress is the Unipile-compatible /v1/accounts/checkpoint API.
	APIPostpress API = "postpress"
	// APILinkup is the LinkupAPI-style /v2/checkpoint API.
	APILinkup API = "linkup"
	// APIEdges is the edges /v1/identities/{uid}/integrations/linkedin/checkpoint API.
	APIEdges API = "edges"
)

// APIs lists every supported API, in a stable order.
var APIs = []API{APIPostpress, APILinkup, APIEdges}

// Valid reports whether a is a supported API.
func (a API) Valid() bool {
	for _, v := range APIs {
		if a == v {
			return true
		}
	}
	return false
}

// Provider is the social network whose login hit the checkpoint.
type Provider string

const (
	ProviderLinkedIn  Provider = "LINKEDIN"
	ProviderInstagram Provider = "INSTAGRAM"
	ProviderTwitter   Provider = "TWITTER"
	ProviderMessenger Provider = "MESSENGER"
)

// Providers lists every provider the relay knows.
var Providers = []Provider{ProviderLinkedIn, ProviderInstagram, ProviderTwitter, ProviderMessenger}

// Valid reports whether p is a known provider.
func (p Provider) Valid() bool {
	for _, v := range Providers {
		if p == v {
			return true
		}
	}
	return false
}

// Type is the kind of checkpoint, in the words of the API that reported it.
// postpress and edges use the upper-case names; linkup reports a
// challenge_type (code_challenge, app_challenge).
type Type string

const (
	Type2FA                  Type = "2FA"
	TypeOTP                  Type = "OTP"
	TypeSMS                  Type = "SMS"
	TypeEmail                Type = "EMAIL"
	TypePhoneRegister        Type = "PHONE_REGISTER"
	TypeInAppValidation      Type = "IN_APP_VALIDATION"
	TypeOTPOrInAppValidation Type = "OTP_OR_IN_APP_VALIDATION"
	TypeCaptcha              Type = "CAPTCHA"
	TypeLoginForm            Type = "LOGIN_FORM"
	TypeUnknown              Type = "UNKNOWN"
	TypeCodeChallenge        Type = "code_challenge"
	TypeAppChallenge         Type = "app_challenge"
)

// Types lists every checkpoint type the relay accepts at registration.
var Types = []Type{
	Type2FA, TypeOTP, TypeSMS, TypeEmail, TypePhoneRegister, TypeInAppValidation,
	TypeOTPOrInAppValidation, TypeCaptcha, TypeLoginForm, TypeUnknown,
	TypeCodeChallenge, TypeAppChallenge,
}

// Valid reports whether t is a known checkpoint type.
func (t Type) Valid() bool {
	for _, v := range Types {
		if t == v {
			return true
		}
	}
	return false
}

// Outcome is the one word every provider answer is reduced to. The state
// machine branches on it and nothing else.
type Outcome string

const (
	// Connected: the checkpoint is solved and the account connected.
	Connected Outcome = "connected"
	// NextCheckpoint: solved, but the provider asks for another checkpoint.
	NextCheckpoint Outcome = "next_checkpoint"
	// InvalidCode: the code was wrong; wait for another (bounded).
	InvalidCode Outcome = "invalid_code"
	// Pending: in-app approval not given yet; keep polling.
	Pending Outcome = "pending"
	// Restart: the intent or session is dead; the app must log in again.
	Restart Outcome = "restart"
	// Retry: transient failure; the same call may be made again with backoff.
	Retry Outcome = "retry"
	// Rejected: permanent failure; stop and tell the app why.
	Rejected Outcome = "rejected"
	// Resent: the provider acknowledged a resend of the checkpoint notification.
	Resent Outcome = "resent"
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{Connected, NextCheckpoint, InvalidCode, Pending, Restart, Retry, Rejected, Resent}

// FinalStatus is the status a checkpoint ends with once the provider gave
// this outcome: connected, restart_required (restart) or failed
// (rejected); false for an outcome that does not end a checkpoint.
func (o Outcome) FinalStatus() (Status, bool) {
	switch o {
	case Connected:
		return StatusConnected, true
	case Restart:
		return StatusRestartRequired, true
	case Rejected:
		return StatusFailed, true
	}
	return "", false
}

// Status is where a registered checkpoint stands.
type Status string

const (
	StatusPending         Status = "pending"
	StatusConnected       Status = "connected"
	StatusRestartRequired Status = "restart_required"
	StatusNeedsHuman      Status = "needs_human"
	StatusFailed          Status = "failed"
	StatusSuperseded      Status = "superseded"
)

// Final reports whether no further code can change the checkpoint.
func (s Status) Final() bool { return s != StatusPending }

// Channel is how a code (or an answer) reached the relay.
type Channel string

const (
	ChannelSMS   Channel = "sms"
	ChannelEmail Channel = "email"
	ChannelForm  Channel = "form"
	ChannelTOTP  Channel = "totp"
	ChannelPoll  Channel = "poll"
)

// Mode is how the state machine drives a checkpoint of a given type on a
// given API. It is computed once per checkpoint (and again after a chained
// checkpoint) so the state machine branches on one field.
type Mode string

const (
	// ModeCode waits for a code to arrive by SMS, email or the form.
	ModeCode Mode = "code"
	// ModeTOTP generates authenticator codes from the stored secret.
	ModeTOTP Mode = "totp"
	// ModePoll polls the API until the user approves in the mobile app.
	ModePoll Mode = "poll"
	// ModePollOrCode polls while also accepting a code from any channel.
	ModePollOrCode Mode = "poll_or_code"
	// ModeHuman cannot be solved by the relay (captcha, login form, unknown).
	ModeHuman Mode = "human"
)

// CanPoll reports whether the API can be asked whether an in-app approval
// was given. postpress's solve endpoint requires a code, so it cannot.
func (a API) CanPoll() bool { return a == APIEdges || a == APILinkup }

// What each API supports, from its documents: postpress solves
// checkpoints of every provider, and resends for all but TWITTER (its
// resend endpoint lists LINKEDIN, INSTAGRAM, MESSENGER); linkup's /v2 API
// and edges' /integrations/linkedin/checkpoint are LinkedIn's, with no
// resend endpoint. Registration refuses what an API does not support, so
// a right code is never refused by the API as if it were wrong.

// Supports reports whether the API solves checkpoints of provider p.
func (a API) Supports(p Provider) bool {
	switch a {
	case APIPostpress:
		return p.Valid()
	case APILinkup, APIEdges:
		return p == ProviderLinkedIn
	}
	return false
}

// SupportsType reports whether the API reports checkpoints of type t:
// linkup names them by its challenge_type (code_challenge,
// app_challenge), postpress and edges by the upper-case types.
func (a API) SupportsType(t Type) bool {
	linkupType := t == TypeCodeChallenge || t == TypeAppChallenge
	return a.Valid() && t.Valid() && linkupType == (a == APILinkup)
}

// CanResend reports whether the API can resend the checkpoint notification
// for this provider. Only postpress has a resend endpoint, and it does not
// accept TWITTER.
func (a API) CanResend(p Provider) bool { return a == APIPostpress && p != ProviderTwitter }

// ModeFor decides how a checkpoint is driven.
func ModeFor(api API, t Type, hasTOTP bool) Mode {
	switch t {
	case TypeCaptcha, TypeLoginForm, TypeUnknown:
		return ModeHuman
	case TypeInAppValidation, TypeAppChallenge:
		if api.CanPoll() {
			return ModePoll
		}
		// postpress cannot poll: wait for the form's "try another way"
		// or a code from a switched checkpoint.
		return ModeCode
	case TypeOTPOrInAppValidation:
		if api.CanPoll() {
			return ModePollOrCode
		}
		return ModeCode
	case Type2FA, TypeCodeChallenge:
		if hasTOTP {
			return ModeTOTP
		}
	}
	return ModeCode
}

// ParseAPI returns the API named s or an error naming the accepted values.
func ParseAPI(s string) (API, error) {
	a := API(s)
	if !a.Valid() {
		return "", fmt.Errorf("unknown api %q: want one of postpress, linkup, edges", s)
	}
	return a, nil
}
