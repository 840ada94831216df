// Package mailconfirm recognises the mails a mailbox sends to a new
// forwarding address before it forwards anything: Gmail's "Gmail
// Forwarding Confirmation" (a confirmation code and a link) and
// Microsoft's (Outlook.com / Microsoft 365) verification of a forwarding
// address (a security code and a link). Such a mail carries no sign-in
// code: the relay keeps it for the app to show its user, never follows
// its link, and never submits its code to a provider.
//
// Only links to the mailbox provider's own hosts are taken, so a forged
// "confirmation" cannot make the app show its user someone else's link.
package mailconfirm

import (
	"bytes"
	"net/mail"
	"net/url"
	"regexp"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// Confirmation is what a confirmation mail carries.
type Confirmation struct {
	// Provider is "gmail" or "outlook".
	Provider string
	// Code is the confirmation code; Link the confirmation link ("" when
	// the mail has none on the provider's hosts).
	Code, Link string
	// Requester is the address of the mailbox that asked to forward, when
	// the mail names it in full; "" otherwise.
	Requester string
}

// Mail is a mail as the webhooks deliver it: raw, or already parsed.
type Mail struct {
	Raw                []byte
	From, Subject      string
	TextBody, HTMLBody string
}

type provider struct {
	name    string
	senders []string // From addresses or domains (a leading "@")
	hosts   []string // hosts its links may point to
	subject *regexp.Regexp
	code    *regexp.Regexp
}

var providers = []provider{{
	name:    "gmail",
	senders: []string{"forwarding-noreply@google.com"},
	hosts:   []string{"mail-settings.google.com", "mail.google.com", "isolated.mail.google.com"},
	// "(#123456789) Gmail Forwarding Confirmation - Receive Mail from alice@gmail.com"
	subject: regexp.MustCompile(`(?i)^\s*\(#(\d{6,12})\)`),
	code:    regexp.MustCompile(`(?i)confirmation code:\s*(\d{6,12})`),
}, {
	name:    "outlook",
	senders: []string{"@accountprotection.microsoft.com", "@microsoft.com", "@outlook.com"},
	hosts:   []string{"account.live.com", "login.live.com", "account.microsoft.com", "outlook.live.com"},
	code:    regexp.MustCompile(`(?i)(?:security|verification|confirmation) code(?: is)?:?\s*(\d{4,10})`),
}}

// forwardingWords must appear in a Microsoft mail for it to be a
// forwarding-address verification rather than a sign-in code.
var forwardingWords = regexp.MustCompile(`(?i)\bforward(?:ing|ed)?\b`)

var (
	urlRe   = regexp.MustCompile(`https://[^\s"'<>\]\)]+`)
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
)

// Detect reports whether m is a forwarding confirmation, and what it says.
func Detect(m Mail) (Confirmation, bool) {
	if len(m.Raw) > 0 {
		env, err := enmime.ReadEnvelope(bytes.NewReader(m.Raw))
		if err != nil {
			return Confirmation{}, false
		}
		m.From, m.Subject, m.TextBody, m.HTMLBody = env.GetHeader("From"), env.GetHeader("Subject"), env.Text, env.HTML
	}
	from := strings.ToLower(m.From)
	if a, err := mail.ParseAddress(m.From); err == nil {
		from = strings.ToLower(a.Address)
	}
	body := m.TextBody
	if strings.TrimSpace(body) == "" {
		body = m.HTMLBody
	}
	for _, p := range providers {
		if !p.sentBy(from) {
			continue
		}
		c := Confirmation{Provider: p.name}
		if p.subject != nil {
			if s := p.subject.FindStringSubmatch(m.Subject); s != nil {
				c.Code = s[1]
			}
		}
		if s := p.code.FindStringSubmatch(body); s != nil && c.Code == "" {
			c.Code = s[1]
		}
		if p.name == "outlook" && !forwardingWords.MatchString(m.Subject+" "+body) {
			continue
		}
		c.Link = p.link(body + " " + m.HTMLBody)
		if c.Code == "" && c.Link == "" {
			continue
		}
		c.Requester = requester(m.Subject, body, from)
		return c, true
	}
	return Confirmation{}, false
}

func (p provider) sentBy(from string) bool {
	for _, s := range p.senders {
		if from == s || (strings.HasPrefix(s, "@") && strings.HasSuffix(from, s)) {
			return true
		}
	}
	return false
}

// link is the first https link to one of the provider's hosts.
func (p provider) link(text string) string {
	for _, raw := range urlRe.FindAllString(text, -1) {
		u, err := url.Parse(strings.TrimRight(raw, ".,;"))
		if err != nil {
			continue
		}
		for _, h := range p.hosts {
			if strings.EqualFold(u.Hostname(), h) {
				return u.String()
			}
		}
	}
	return ""
}

// requester is the first full address the subject, then the body, names
// that is not the provider's own sender.
func requester(subject, body, from string) string {
	for _, text := range []string{subject, body} {
		for _, a := range emailRe.FindAllString(text, -1) {
			a = strings.ToLower(a)
			if a != from && !strings.Contains(a, "*") {
				return a
			}
		}
	}
	return ""
}
