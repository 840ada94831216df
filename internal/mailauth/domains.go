package mailauth

import (
	"strings"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// sendingDomains are the domains each provider sends its code mails from:
// the one list of them. A mail counts as the provider's only when its From
// domain is one of these (or a subdomain) and it authenticates for that
// domain. Sources:
//   - LinkedIn: LinkedIn Help "Phishing emails" (answer 5342: mail from
//     linkedin.com and its subdomains such as e.linkedin.com,
//     el.linkedin.com, cs.linkedin.com; every mail DKIM-signed) and
//     postmaster.linkedin.com (DMARC p=reject; security mail carries a
//     second DKIM signature). Codes come from security-noreply@linkedin.com.
//   - Instagram: Instagram Help "Emails from Instagram" (security mail from
//     security@mail.instagram.com; Settings > Emails from Instagram lists
//     them) and Meta's list of its sending domains below.
//   - Facebook / Messenger (Meta): Instagram and Facebook Help "Avoid
//     phishing" (notification@facebookmail.com, security@facebookmail.com,
//     @fb.com, @meta.com, @account.meta.com, @metamail.com subdomains).
//   - X / Twitter: X Help "About fake X emails" (mail from @x.com, and
//     @twitter.com for older accounts, e.g. verify@x.com, info@x.com).
var sendingDomains = map[checkpoint.Provider][]string{
	checkpoint.ProviderLinkedIn:  {"linkedin.com"},
	checkpoint.ProviderInstagram: {"instagram.com", "mail.instagram.com"},
	checkpoint.ProviderMessenger: {"facebookmail.com", "facebook.com", "fb.com", "meta.com", "metamail.com"},
	checkpoint.ProviderTwitter:   {"x.com", "twitter.com"},
}

// SendingDomains returns the domains provider p sends mail from (a copy).
func SendingDomains(p checkpoint.Provider) []string {
	return append([]string(nil), sendingDomains[p]...)
}

// ProviderOf names the provider whose sending domains include domain (or
// a parent of it), or "".
func ProviderOf(domain string) checkpoint.Provider {
	domain = normDomain(domain)
	for _, p := range checkpoint.Providers {
		for _, d := range sendingDomains[p] {
			if within(domain, d) {
				return p
			}
		}
	}
	return ""
}

// within reports whether domain is parent or a subdomain of it.
func within(domain, parent string) bool {
	return domain == parent || strings.HasSuffix(domain, "."+parent)
}

func normDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}
