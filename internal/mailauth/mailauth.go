// Package mailauth decides whether a mail proves it comes from the
// provider it claims: the relay submits a code from a mail only when it
// does (package attribution, rule 2).
//
// A mail authenticates for its From domain when one of these holds, and
// as a provider when that domain is one of the provider's sending domains
// (domains.go, the one list):
//
//   - a DKIM signature of the mail verifies (github.com/emersion/go-msgauth)
//     and its d= is aligned with the From domain (same organizational
//     domain, DMARC's relaxed alignment);
//   - the receiving service the relay is integrated with says so: SES's
//     dmarcVerdict PASS (or spfVerdict PASS for an aligned envelope
//     sender), SendGrid's dkim field passing for an aligned domain (or SPF
//     pass for an aligned envelope sender), or the topmost
//     Authentication-Results header whose authserv-id is the receiving
//     service's (dmarc=pass for the From domain, or an aligned dkim=pass).
//     Never a header lower in the mail: the sender writes those;
//   - the mail was forwarded (its signature broken on the way) by a
//     forwarder the operator trusts, whose ARC chain (RFC 8617) validates
//     and whose newest ARC-Authentication-Results records an aligned pass.
//
// DNS goes through Config.Resolver, which tests replace. A mail with no
// verdict and no verifiable signature fails closed: no DNS answer is no
// proof.
package mailauth

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
	"golang.org/x/net/publicsuffix"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// Resolver answers the DNS TXT lookups of DKIM and ARC keys. *net.Resolver
// is one.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Config is what the verifier is built from.
type Config struct {
	// Resolver defaults to net.DefaultResolver.
	Resolver Resolver
	// TrustedForwarders are the ARC sealing domains (the d= of ARC-Seal)
	// the operator trusts to report the original authentication of a mail
	// they forward, e.g. "google.com" for Gmail forwarding. Empty: ARC is
	// not used.
	TrustedForwarders []string
	// LookupTimeout bounds all DNS lookups of one mail; 5 s when zero.
	LookupTimeout time.Duration
}

// Verifier checks mails. It is safe for concurrent use.
type Verifier struct {
	resolver  Resolver
	trusted   []string
	timeout   time.Duration
	maxDKIM   int
	maxARCSet int
}

// New returns a Verifier.
func New(cfg Config) *Verifier {
	v := &Verifier{resolver: cfg.Resolver, timeout: cfg.LookupTimeout, maxDKIM: 5, maxARCSet: 50}
	if v.resolver == nil {
		v.resolver = net.DefaultResolver
	}
	if v.timeout <= 0 {
		v.timeout = 5 * time.Second
	}
	for _, d := range cfg.TrustedForwarders {
		if d = normDomain(d); d != "" {
			v.trusted = append(v.trusted, d)
		}
	}
	return v
}

// Verdicts are what the receiving service itself concluded about a mail,
// as its webhook reports them. Values are compared case-insensitively
// ("PASS", "pass").
type Verdicts struct {
	// AuthServID is the receiving service's authserv-id: the topmost
	// Authentication-Results header with it is the service's own.
	AuthServID string
	// DKIM, SPF and DMARC are SES's receipt.dkimVerdict, spfVerdict and
	// dmarcVerdict (SendGrid's SPF field goes in SPF).
	DKIM, SPF, DMARC string
	// DKIMDomains is SendGrid's dkim field: signing domain → result.
	DKIMDomains map[string]string
	// EnvelopeFrom is the SMTP MAIL FROM address, the identity SPF checked.
	EnvelopeFrom string
}

// Result says what a mail proved.
type Result struct {
	// Provider is the provider the mail authenticates as; "" when none.
	Provider checkpoint.Provider
	// Domain is the From domain it authenticates for; "" when it proves
	// nothing.
	Domain string
	// Detail says how, or why not, for the history (no code, no address).
	Detail string
}

// Authenticated reports whether the mail proved its From domain.
func (r Result) Authenticated() bool { return r.Domain != "" }

// Verify checks one mail. raw is the whole RFC 5322 message when the source
// gives it (nil when it only posts parsed parts: then only the verdicts
// count); from is the From header value when raw is nil; verdicts may be
// nil.
func (v *Verifier) Verify(ctx context.Context, raw []byte, from string, verdicts *Verdicts) Result {
	if verdicts == nil {
		verdicts = &Verdicts{}
	}
	var hdr mail.Header
	if len(raw) > 0 {
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			return Result{Detail: "unreadable header"}
		}
		hdr = m.Header
		froms := hdr["From"]
		if len(froms) != 1 {
			return Result{Detail: fmt.Sprintf("%d From headers", len(froms))}
		}
		from = froms[0]
	}
	fromDomain, err := addressDomain(from)
	if err != nil {
		return Result{Detail: "no usable From address"}
	}
	ok := func(how string) Result {
		r := Result{Provider: ProviderOf(fromDomain), Domain: fromDomain, Detail: how}
		if r.Provider == "" {
			r.Detail += "; " + fromDomain + " is no provider's sending domain"
		}
		return r
	}
	if how, pass := receiverPass(*verdicts, fromDomain); pass {
		return ok(how)
	}
	if hdr != nil && verdicts.AuthServID != "" {
		if how, pass := headerPass(hdr, verdicts.AuthServID, fromDomain); pass {
			return ok(how)
		}
	}
	if len(raw) == 0 {
		return Result{Detail: "no raw mail and no passing verdict"}
	}
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	how, pass := v.dkimPass(ctx, raw, fromDomain)
	if pass {
		return ok(how)
	}
	if arcHow, arcPass := v.arcPass(ctx, raw, fromDomain); arcPass {
		return ok(arcHow)
	} else if arcHow != "" {
		how += "; " + arcHow
	}
	return Result{Detail: how}
}

// dkimPass verifies the mail's DKIM signatures with go-msgauth.
func (v *Verifier) dkimPass(ctx context.Context, raw []byte, fromDomain string) (string, bool) {
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT:        func(name string) ([]string, error) { return v.resolver.LookupTXT(ctx, name) },
		MaxVerifications: v.maxDKIM,
	})
	if err != nil && len(verifs) == 0 {
		return "dkim=permerror (" + err.Error() + ")", false
	}
	if len(verifs) == 0 {
		return "dkim=none (no signature)", false
	}
	var why []string
	for _, vr := range verifs {
		d := normDomain(vr.Domain)
		switch {
		case vr.Err != nil && dkim.IsTempFail(vr.Err):
			why = append(why, "dkim=temperror d="+d)
		case vr.Err != nil:
			why = append(why, "dkim=fail d="+d)
		case !aligned(d, fromDomain):
			why = append(why, "dkim=pass d="+d+" not aligned with From")
		default:
			return "dkim=pass d=" + d, true
		}
	}
	return strings.Join(why, ", "), false
}

// receiverPass reads the receiving service's verdicts.
func receiverPass(vd Verdicts, fromDomain string) (string, bool) {
	if strings.EqualFold(vd.DMARC, "pass") {
		return "receiver dmarc=pass", true
	}
	for d, res := range vd.DKIMDomains {
		if strings.EqualFold(res, "pass") && aligned(normDomain(strings.TrimPrefix(d, "@")), fromDomain) {
			return "receiver dkim=pass d=" + normDomain(strings.TrimPrefix(d, "@")), true
		}
	}
	if strings.EqualFold(vd.SPF, "pass") && vd.EnvelopeFrom != "" {
		if d, err := addressDomain(vd.EnvelopeFrom); err == nil && aligned(d, fromDomain) {
			return "receiver spf=pass smtp.mailfrom=" + d, true
		}
	}
	return "", false
}

// headerPass reads the topmost Authentication-Results header whose
// authserv-id is servID; any lower one may be the sender's own.
func headerPass(hdr mail.Header, servID, fromDomain string) (string, bool) {
	for _, v := range hdr["Authentication-Results"] {
		id, results, err := authres.Parse(v)
		if err != nil || !strings.EqualFold(id, servID) {
			continue
		}
		if how, pass := resultsPass(results, fromDomain); pass {
			return "authentication-results " + servID + ": " + how, true
		}
		return "", false
	}
	return "", false
}

// resultsPass looks for dmarc=pass for the From domain or an aligned
// dkim=pass among Authentication-Results entries.
func resultsPass(results []authres.Result, fromDomain string) (string, bool) {
	for _, r := range results {
		switch r := r.(type) {
		case *authres.DMARCResult:
			if r.Value == authres.ResultPass && (r.From == "" || aligned(normDomain(r.From), fromDomain)) {
				return "dmarc=pass", true
			}
		case *authres.DKIMResult:
			d := normDomain(r.Domain)
			if d == "" {
				if at := strings.LastIndexByte(r.Identifier, '@'); at >= 0 {
					d = normDomain(r.Identifier[at+1:])
				}
			}
			if r.Value == authres.ResultPass && d != "" && aligned(d, fromDomain) {
				return "dkim=pass d=" + d, true
			}
		}
	}
	return "", false
}

// aligned is DMARC's relaxed alignment: both names share one
// organizational domain.
func aligned(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	oa, err1 := publicsuffix.EffectiveTLDPlusOne(a)
	ob, err2 := publicsuffix.EffectiveTLDPlusOne(b)
	return err1 == nil && err2 == nil && oa == ob
}

// addressDomain is the lower-cased domain of the one address in v.
func addressDomain(v string) (string, error) {
	addrs, err := mail.ParseAddressList(v)
	if err != nil {
		return "", err
	}
	if len(addrs) != 1 {
		return "", fmt.Errorf("%d addresses", len(addrs))
	}
	at := strings.LastIndexByte(addrs[0].Address, '@')
	if at < 0 || at == len(addrs[0].Address)-1 {
		return "", fmt.Errorf("no domain")
	}
	return normDomain(addrs[0].Address[at+1:]), nil
}
