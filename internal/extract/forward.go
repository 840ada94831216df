package extract

import (
	"strings"
)

// unwrapped is a mail body with the wrappers of forwarding and replying
// taken off: the header blocks Gmail, Outlook and Apple Mail insert, the
// "On ... wrote:" lines, and quote marks. The forwarded message's sender
// and subject are kept apart: they name the service and may hold the code.
type unwrapped struct {
	body    string
	from    string
	subject string
}

// quoteMark is put where the quoted part of a reply starts. It is a
// private-use character: it never occurs in mail and matches nothing.
const quoteMark = "\ue000"

// headerLabels are the field names of forwarded-message header blocks, in
// the languages mail clients write them in.
var headerLabels = map[string]string{
	"from": "from", "de": "from", "von": "from", "da": "from", "van": "from", "от": "from", "od": "from",
	"från": "from", "fra": "from", "kimden": "from", "发件人": "from", "差出人": "from",
	"sent": "date", "envoyé": "date", "gesendet": "date", "enviado": "date", "inviato": "date",
	"verzonden": "date", "отправлено": "date", "date": "date", "datum": "date", "fecha": "date",
	"data": "date", "дата": "date", "tarih": "date", "发送时间": "date", "日付": "date", "skickat": "date",
	"to": "to", "à": "to", "a": "to", "an": "to", "para": "to", "aan": "to", "кому": "to", "till": "to",
	"til": "to", "kime": "to", "do": "to", "收件人": "to", "宛先": "to", "cc": "to", "reply-to": "to",
	"subject": "subject", "objet": "subject", "betreff": "subject", "asunto": "subject",
	"assunto": "subject", "oggetto": "subject", "onderwerp": "subject", "тема": "subject",
	"ämne": "subject", "emne": "subject", "konu": "subject", "temat": "subject", "主题": "subject",
	"件名": "subject",
}

// attributionEnds end the line a reply or forward puts above the quoted mail.
var attributionEnds = []string{
	"wrote:", "a écrit :", "a écrit:", "schrieb:", "escribió:", "escreveu:", "ha scritto:", "schreef:",
	"написал:", "написал(а):", "napisał:", "yazdı:", "skrev:", "kirjoitti:",
}

// unwrap takes the forwarding and reply wrappers off body.
func unwrap(body string) unwrapped {
	if !mayBeWrapped(body) {
		return unwrapped{body: body}
	}
	var u unwrapped
	var b strings.Builder
	quoted := false
	b.Grow(len(body))
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(unquote(lines[i]), " \r")
		lower := strings.ToLower(strings.TrimSpace(line))
		if isSeparator(lower) {
			continue
		}
		if isAttribution(lower) {
			// What follows is the mail being answered: older than the
			// reply above it, whose code wins when both have one.
			if !quoted && strings.TrimSpace(b.String()) != "" {
				b.WriteString(quoteMark)
				b.WriteByte('\n')
				quoted = true
			}
			continue
		}
		// A header block is two or more header lines in a row.
		if _, _, ok := headerLine(line); ok {
			j := i
			for j < len(lines) {
				if _, _, ok := headerLine(strings.TrimRight(unquote(lines[j]), " \r")); !ok {
					break
				}
				j++
			}
			if j-i >= 2 {
				for _, l := range lines[i:j] {
					field, value, _ := headerLine(strings.TrimRight(unquote(l), " \r"))
					switch {
					case field == "from" && u.from == "":
						u.from = value
					case field == "subject" && u.subject == "":
						u.subject = value
					}
				}
				i = j - 1
				continue
			}
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	u.body = b.String()
	return u
}

// mayBeWrapped is a cheap test that spares the line-by-line pass to the
// mails that were not forwarded or quoted.
func mayBeWrapped(body string) bool {
	lower := strings.ToLower(body)
	for _, s := range [...]string{"----", "____", "\n>", ":\n", ":\r\n", "forwarded", "from:", "de :", "von:"} {
		if strings.Contains(lower, s) {
			return true
		}
	}
	return strings.HasPrefix(body, ">")
}

// unquote strips the "> " quote marks of replied and forwarded text.
func unquote(line string) string {
	for {
		t := strings.TrimLeft(line, " ")
		if !strings.HasPrefix(t, ">") {
			return line
		}
		line = t[1:]
	}
}

func isSeparator(lower string) bool {
	if strings.HasPrefix(lower, "-----") || strings.HasPrefix(lower, "_____") {
		return true
	}
	return lower == "begin forwarded message:" || lower == "début du message réexpédié :" ||
		lower == "anfang der weitergeleiteten nachricht:" || lower == "inicio del mensaje reenviado:"
}

func isAttribution(lower string) bool {
	for _, e := range attributionEnds {
		if strings.HasSuffix(lower, e) {
			return true
		}
	}
	return false
}

// headerLine parses "From: LinkedIn <x@linkedin.com>", "*Subject:* ...",
// "De : ..." into a field and its value.
func headerLine(line string) (field, value string, ok bool) {
	t := strings.TrimSpace(line)
	colon := strings.IndexAny(t, ":：")
	if colon <= 0 || colon > 24 {
		return "", "", false
	}
	label := strings.ToLower(strings.Trim(t[:colon], " *\u00a0"))
	field, ok = headerLabels[label]
	if !ok {
		return "", "", false
	}
	rest := t[colon:]
	_, size := firstRune(rest)
	value = strings.TrimSpace(strings.Trim(rest[size:], "*"))
	return field, value, true
}

func firstRune(s string) (rune, int) {
	for _, r := range s {
		return r, len(string(r))
	}
	return 0, 0
}
