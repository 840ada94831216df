package extract

import (
	"bytes"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// mailParser decodes MIME the way the relay needs it: no HTML down-
// conversion of its own (htmlToText keeps split digits together), and
// broken parts skipped rather than failing the whole mail.
var mailParser = enmime.NewParser(
	enmime.DisableTextConversion(true),
	// Trust a declared charset; guessing one costs more than the rest of
	// the work on a mail. Parts without a charset are still detected.
	enmime.DisableCharacterDetection(true),
	enmime.SkipMalformedParts(true),
	enmime.MaxStoredPartErrors(8),
)

// maxMail bounds the raw mail read; a code mail is a few tens of kilobytes.
const maxMail = 4 << 20

// Email reads the code out of a raw RFC 5322 / MIME message, or out of
// plain text when raw does not look like one.
func Email(raw []byte) Result {
	if len(raw) > maxMail {
		raw = raw[:maxMail]
	}
	if !looksLikeMessage(raw) {
		return mailResult("", string(raw), "", "")
	}
	env, err := mailParser.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		return mailResult("", string(raw), "", "")
	}
	return mailResult(env.GetHeader("Subject"), env.Text, env.HTML, serviceForAddress(env.GetHeader("From")))
}

// EmailParts reads the code out of a mail a webhook already parsed: its
// subject, its text part and its HTML part (either may be empty).
func EmailParts(subject, text, html string) Result {
	return mailResult(subject, text, html, "")
}

// mailResult reads the text part first; the HTML part when the text part
// is missing or holds no code (some text parts only say "view this mail in
// HTML"); the subject in both cases, so a mail whose body is empty is read
// from its subject.
func mailResult(subject, text, html, sender string) Result {
	var r Result
	tried := false
	if strings.TrimSpace(text) != "" {
		r = analyseBody(subject, text, sender)
		tried = true
		if r.Code != "" || strings.TrimSpace(html) == "" {
			return r
		}
	}
	if strings.TrimSpace(html) != "" {
		h := analyseBody(subject, htmlToText(html), sender)
		if h.Code != "" || !tried {
			return h
		}
		return r
	}
	return analyseBody(subject, "", sender)
}

func analyseBody(subject, body, sender string) Result {
	u := unwrap(body)
	hint := sender
	if hint == "" && u.from != "" {
		hint = serviceForAddress(u.from)
	}
	var b strings.Builder
	b.Grow(len(subject) + len(u.subject) + len(u.body) + 2)
	b.WriteString(subject)
	b.WriteByte('\n')
	if u.subject != "" && u.subject != subject {
		b.WriteString(u.subject)
		b.WriteByte('\n')
	}
	b.WriteString(u.body)
	return analyse(b.String(), hint)
}

// knownHeaders are header fields that show raw input is a mail rather than
// text that happens to start with "Code: 123456".
var knownHeaders = []string{
	"from", "to", "subject", "date", "message-id", "mime-version", "received", "return-path",
	"content-type", "delivered-to", "dkim-signature", "reply-to", "sender", "x-", "arc-",
	"authentication-results", "content-transfer-encoding",
}

// looksLikeMessage reports whether raw starts with a header block holding
// at least one field mail always has.
func looksLikeMessage(raw []byte) bool {
	known := false
	for lineNo := 0; len(raw) > 0 && lineNo < 200; lineNo++ {
		nl := bytes.IndexByte(raw, '\n')
		line := raw
		if nl >= 0 {
			line = raw[:nl]
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			return known
		}
		switch {
		case line[0] == ' ' || line[0] == '\t':
			if lineNo == 0 {
				return false // a folded line cannot come first
			}
		case lineNo == 0 && bytes.HasPrefix(line, []byte("From ")):
			// mbox separator line
		default:
			colon := bytes.IndexByte(line, ':')
			if colon <= 0 || bytes.ContainsAny(line[:colon], " \t") {
				return false
			}
			name := strings.ToLower(string(line[:colon]))
			for _, h := range knownHeaders {
				if name == h || strings.HasSuffix(h, "-") && strings.HasPrefix(name, h) {
					known = true
				}
			}
		}
		if nl < 0 {
			break
		}
		raw = raw[nl+1:]
	}
	return known
}
