package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// kind is what a keyword says about a number near it.
type kind uint8

const (
	kindCode        kind = iota // names the code
	kindNotCode                 // names another kind of code (promo, postal...)
	kindCurrency                // an amount when right next to the number
	kindMoney                   // introduces an amount or a balance
	kindRef                     // introduces an identifier (order, parcel, account...)
	kindMask                    // the number is the tail of a longer one
	kindPhone                   // introduces a phone number
	kindDate                    // month, weekday, year particle
	kindAddress                 // street address or postcode
	kindPromo                   // a marketing offer
	kindMeeting                 // an invitation to a call
	kindTravel                  // a flight or a booking, whose letter codes are references
	kindError                   // an error status ("404 not found")
	kindStaleBefore             // announces a code that is no longer valid
	kindStaleAfter              // follows a code that is no longer valid
	kindNone                    // a match voided by a longer one
)

// keyword is one entry of the lexicon.
type keyword struct {
	text   string
	weight float64 // for kindCode: how surely the word names the code
	whole  bool    // must also end a word
	// inWord entries match only inside a word, as the head of a compound
	// ("Einmalkennwort", "Aktivierungscode", "kertakäyttökoodi"); the
	// compounds that are no login code are notCodeWords.
	inWord bool
	kind   kind
}

// byFirstByte indexes the whole lexicon by the first byte of each entry, so
// a window of text is matched in one pass whatever the lexicon's size;
// inWordByFirstByte the entries that match inside a word.
var byFirstByte, inWordByFirstByte [256][]keyword

func init() {
	add := func(list []keyword, k kind) {
		for _, kw := range list {
			kw.kind = k
			if kw.inWord {
				inWordByFirstByte[kw.text[0]] = append(inWordByFirstByte[kw.text[0]], kw)
				continue
			}
			byFirstByte[kw.text[0]] = append(byFirstByte[kw.text[0]], kw)
		}
	}
	add(codeWords, kindCode)
	add(notCodeWords, kindNotCode)
	add(currencyWords, kindCurrency)
	add(moneyWords, kindMoney)
	add(refWords, kindRef)
	add(maskWords, kindMask)
	add(phoneWords, kindPhone)
	add(dateWords, kindDate)
	add(addressWords, kindAddress)
	add(promoWords, kindPromo)
	add(meetingWords, kindMeeting)
	add(travelWords, kindTravel)
	add(errorWords, kindError)
	add(staleBeforeWords, kindStaleBefore)
	add(staleAfterWords, kindStaleAfter)
}

// match is one keyword found in the text.
type match struct {
	start, end int
	kw         *keyword
}

// matchKeywords appends every lexicon entry found starting in t[from:to].
// Code words inside a longer "not a code" phrase ("promo code") are dropped.
func matchKeywords(t string, from, to int, out []match) []match {
	first := len(out)
	for i := from; i < to; i++ {
		list := byFirstByte[t[i]]
		if isLetter(t[i]) && letterBefore(t, i) {
			// entries starting with a letter must start a word, but for
			// the heads of compounds
			list = inWordByFirstByte[t[i]]
		}
		if len(list) == 0 {
			continue
		}
		for k := range list {
			kw := &list[k]
			if len(kw.text) > 1 && (i+1 >= len(t) || t[i+1] != kw.text[1]) || !strings.HasPrefix(t[i:], kw.text) {
				continue
			}
			e := i + len(kw.text)
			if kw.whole && (isLetter(byteAt(t, e)) || byteAt(t, e) >= utf8.RuneSelf && letterAt(t, e)) {
				continue
			}
			out = append(out, match{start: i, end: e, kw: kw})
		}
	}
	// Void code words covered by a not-a-code phrase. Matches are ordered by
	// start, so the covered ones sit next to the phrase.
	for i := first; i < len(out); i++ {
		p := out[i]
		if p.kw.kind != kindNotCode {
			continue
		}
		j := i
		for j > first && out[j-1].start == p.start {
			j--
		}
		for ; j < len(out) && out[j].start < p.end; j++ {
			if out[j].kw.kind == kindCode && out[j].end <= p.end {
				out[j].kw = &voided
			}
		}
	}
	return out
}

// voided replaces a match that must no longer count.
var voided = keyword{text: "-", kind: kindNone}

// letterBefore reports whether a letter of any script ends just before t[i].
func letterBefore(t string, i int) bool {
	c := byteAt(t, i-1)
	if c < utf8.RuneSelf {
		return isLetter(c)
	}
	r, _ := utf8.DecodeLastRuneInString(t[:i])
	return unicode.IsLetter(r)
}

func letterAt(t string, i int) bool {
	r, _ := utf8.DecodeRuneInString(t[i:])
	return unicode.IsLetter(r)
}
