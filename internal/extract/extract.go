// Package extract reads the one-time code out of an SMS text or an e-mail,
// and says which service sent it and how sure it is.
//
// Every string that has the form of a code (4 to 8 digits, "123 456",
// "734-2190", "G-123456", a word of letters and digits, "K 7 X Q 2 P", an
// origin-bound line; 3, 9 and 10 digits and letter codes count only right
// after a code word) is a candidate. An origin-bound line wins outright. Each candidate is scored: its form gives a base; code words in
// many languages near it raise it, the closer the more; words that make it
// an amount, a date, an order, a phone number or an address lower it. The
// best candidate is returned when it scores high enough and no different
// candidate scores about as high. A wrong code costs one of the few attempts
// a checkpoint allows, so the package prefers no answer to a guess.
package extract

import (
	"math"
	"sort"
	"strings"
)

// Result is what was read out of one message.
type Result struct {
	// Code is the code, in ASCII digits and letters without separators,
	// letters in the case they were written in (some providers' codes are
	// case-sensitive); "" when none was found.
	Code string
	// Service names the sender: LINKEDIN, INSTAGRAM, TWITTER, MESSENGER
	// (Facebook, Messenger, Meta), another service in upper case, or ""
	// when unknown.
	Service string
	// Confidence is in [0, 1]; 0 when no code was found.
	Confidence float64
	// Reason says why: for a code, the evidence that won ("keyword",
	// "origin_bound", "prefixed", or "form" when only the candidate's own
	// form carried it); without one, "empty", "no_code" or "ambiguous".
	Reason string
}

// Reasons for returning no code.
const (
	ReasonEmpty     = "empty"
	ReasonNoCode    = "no_code"
	ReasonAmbiguous = "ambiguous"
)

// maxInput bounds the text analysed; codes sit at the top of a message.
const maxInput = 64 << 10

// SMS reads the code out of the text of a text message.
func SMS(text string) Result {
	return analyse(text, "")
}

// analyse reads the code out of text. hint is a service already known from
// the message's envelope (a sender address), used when the text names none.
func analyse(text, hint string) Result {
	if len(text) > maxInput {
		text = text[:maxInput]
	}
	t, cased := normalizeCased(text)
	if strings.TrimSpace(t) == "" {
		return Result{Service: hint, Reason: ReasonEmpty}
	}
	service := hint
	if service == "" {
		service = serviceInText(t)
	}
	var candBuf [16]candidate
	cands := findCandidates(t, cased, candBuf[:0])
	if len(cands) == 0 {
		return Result{Service: service, Reason: ReasonNoCode}
	}
	if c, ok := lastOrigin(cands); ok {
		// The sender bound the code to its origin (the format puts that
		// line last; the lowest one wins): nothing else the text holds
		// weighs against it.
		if c.service != "" {
			service = c.service
		}
		return Result{Code: c.code, Service: service, Confidence: baseScore(&c), Reason: "origin_bound"}
	}
	footerAt := footerStart(t)
	if q := strings.Index(t, quoteMark); q >= 0 && (footerAt < 0 || q < footerAt) {
		footerAt = q // a quoted older mail weighs like a footer
	}
	var matchBuf [32]match
	matches := matchAround(t, cands, matchBuf[:0])
	for i := range cands {
		scoreContext(t, &cands[i], cands, footerAt, matches)
		cands[i].score += serviceNear(t, &cands[i])
	}
	return decide(cands, service)
}

// decide picks the winner among scored candidates.
func decide(cands []candidate, service string) Result {
	// The same code found twice (subject and body, preheader and body)
	// counts once, at its best.
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	best := cands[0]
	second := -1.0
	for _, c := range cands[1:] {
		if c.code != best.code {
			second = c.score
			break
		}
	}
	if best.score < acceptScore {
		return Result{Service: service, Reason: ReasonNoCode}
	}
	if second >= acceptScore && best.score-second < ambiguityMargin {
		return Result{Service: service, Reason: ReasonAmbiguous}
	}
	if best.service != "" && (service == "" || best.shape == shapeOrigin) {
		service = best.service
	}
	conf := best.score
	if second > 0.3 {
		conf -= (second - 0.3) / 2 // a runner-up makes the choice less sure
	}
	conf = math.Round(min(1, max(0, conf))*100) / 100
	return Result{Code: best.code, Service: service, Confidence: conf, Reason: best.reason}
}

// lastOrigin returns the lowest origin-bound candidate; findCandidates
// lists them first, line by line.
func lastOrigin(cands []candidate) (candidate, bool) {
	var last candidate
	for _, c := range cands {
		if c.shape != shapeOrigin {
			break
		}
		last = c
	}
	return last, last.shape == shapeOrigin
}

// serviceNear rewards a code written right after or before a service's
// name: "LinkedIn: 804706", "[Instagram] 123456".
func serviceNear(t string, c *candidate) float64 {
	if c.shape == shapeOrigin || c.score <= 0 {
		return 0
	}
	from := max(0, c.start-24)
	for p := from; p < c.start; p++ {
		for _, n := range namesByFirstByte[t[p]] {
			e := p + len(n.text)
			if e > c.start || !strings.HasPrefix(t[p:], n.text) || !wordBounded(t, p, e, n.text) {
				continue
			}
			if units(t[e:c.start]) <= 3 && adjacent(t[e:c.start]) {
				return serviceGain
			}
		}
	}
	return 0
}

// namesByFirstByte indexes the services' names by their first byte, so
// that serviceNear reads the few bytes before a code once.
var namesByFirstByte [256][]serviceName

func init() {
	for _, names := range [...][]serviceName{primaryNames, metaNames, otherNames} {
		for _, n := range names {
			if n.service != "" {
				namesByFirstByte[n.text[0]] = append(namesByFirstByte[n.text[0]], n)
			}
		}
	}
}

// footerStart returns where a mail footer starts in t, or -1. Footers close
// a message: a marker in its first half ("© 2025 Example. Your code...")
// does not start one.
func footerStart(t string) int {
	at := -1
	half := len(t) / 2
	for _, f := range footerWords {
		i := strings.Index(t[half:], f)
		if i >= 0 && (at < 0 || half+i < at) {
			at = half + i
		}
	}
	return at
}
