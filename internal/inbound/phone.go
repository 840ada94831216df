package inbound

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// NormalizePhone returns s as an E.164 number ("+447700900000"). Providers
// differ: Twilio and Telnyx send E.164, Vonage sends the digits without the
// plus. ok is false when s is not a phone number at all (an alphanumeric
// sender id such as "LinkedIn"), in which case s is returned trimmed.
func NormalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	candidate := s
	if !strings.HasPrefix(candidate, "+") {
		if strings.HasPrefix(candidate, "00") {
			candidate = "+" + candidate[2:]
		} else {
			candidate = "+" + candidate
		}
	}
	// Only digits (and common separators) may follow: phonenumbers would
	// otherwise read letters as keypad digits ("+1-800-FLOWERS").
	for _, r := range candidate[1:] {
		if (r < '0' || r > '9') && !strings.ContainsRune(" -().", r) {
			return s, false
		}
	}
	num, err := phonenumbers.Parse(candidate, "")
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return s, false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}

// phoneRecipients normalises the numbers a message was sent to, dropping
// anything that is not a phone number (the relay only registers phones).
func phoneRecipients(raw ...string) []string {
	var out []string
	for _, r := range raw {
		if p, ok := NormalizePhone(r); ok {
			out = appendUnique(out, p)
		}
	}
	return out
}

// senderPhone normalises a sender when it is a number and keeps an
// alphanumeric sender id as it is.
func senderPhone(s string) string {
	p, _ := NormalizePhone(s)
	return p
}

func appendUnique(list []string, v ...string) []string {
	for _, x := range v {
		if x == "" {
			continue
		}
		dup := false
		for _, y := range list {
			if y == x {
				dup = true
				break
			}
		}
		if !dup {
			list = append(list, x)
		}
	}
	return list
}
