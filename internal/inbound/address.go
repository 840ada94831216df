package inbound

import (
	"bytes"
	"net/mail"
	"net/textproto"
	"strings"
)

// recipientHeaders are read, in this order, for the address a forwarded mail
// was originally sent to. The address the service wrote to (To, Cc) comes
// first: that is the one the app registered. X-Original-To (Postfix's
// pre-alias envelope recipient), Delivered-To (every mailbox the mail passed
// through, the first forwarder's included) and X-Forwarded-For / To (Gmail
// forwarding) follow; the envelope recipient — usually the relay's own
// inbound address — is appended by the caller last.
var recipientHeaders = []string{
	"To", "Cc", "X-Original-To", "Delivered-To", "X-Forwarded-For", "X-Forwarded-To",
}

// traceHeaders are prepended by each mail system a message passes through.
var traceHeaders = map[string]bool{"X-Original-To": true, "Delivered-To": true}

func reversed(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[len(vs)-1-i] = v
	}
	return out
}

// headerRecipients lists candidate recipients from mail headers.
func headerRecipients(h textproto.MIMEHeader) []string {
	var out []string
	for _, name := range recipientHeaders {
		vs := h.Values(name)
		if traceHeaders[name] {
			// Each hop adds its trace header on top: read them bottom-up
			// so the first mailbox the mail reached comes first.
			vs = reversed(vs)
		}
		for _, v := range vs {
			out = appendUnique(out, parseAddresses(v)...)
		}
	}
	return out
}

// parseAddresses reads an address-list header leniently: a strict parse
// first, then a split on commas and whitespace (X-Forwarded-For carries two
// bare addresses separated by a space).
func parseAddresses(v string) []string {
	var out []string
	if list, err := mail.ParseAddressList(v); err == nil {
		for _, a := range list {
			out = append(out, a.Address)
		}
		return out
	}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == ';' }) {
		if a, err := mail.ParseAddress(f); err == nil {
			out = append(out, a.Address)
		}
	}
	return out
}

// EmailCandidates normalises addresses for lookup: lower-cased, and for a
// plus address both "user+tag@x" and "user@x", the tagged one first because
// it is the more specific registration. Duplicates are dropped, order kept.
func EmailCandidates(addrs ...string) []string {
	var out []string
	for _, a := range addrs {
		a = strings.ToLower(strings.TrimSpace(a))
		a = strings.Trim(a, "<>")
		at := strings.LastIndexByte(a, '@')
		if at <= 0 || at == len(a)-1 {
			continue
		}
		out = appendUnique(out, a)
		if plus := strings.IndexByte(a[:at], '+'); plus > 0 {
			out = appendUnique(out, a[:plus]+a[at:])
		}
	}
	return out
}

// rawHeaderRecipients reads the header block of a raw MIME message.
func rawHeaderRecipients(raw []byte) ([]string, textproto.MIMEHeader) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, nil
	}
	h := textproto.MIMEHeader(msg.Header)
	return headerRecipients(h), h
}
