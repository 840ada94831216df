// Package strictjson reads the JSON bodies the relay receives, refusing
// text that is not valid UTF-8.
//
// encoding/json replaces invalid UTF-8, and \u escapes of lone UTF-16
// surrogates, with U+FFFD without a word: "acc\xff" would be stored as
// another account id than the one sent, and two different ids could
// become the same. Every JSON body from outside goes through Check first.
package strictjson

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// ErrInvalidUTF8 is the error of a body holding text that is not UTF-8.
var ErrInvalidUTF8 = errors.New("the body is not valid UTF-8")

// Check reports ErrInvalidUTF8 when data is not valid UTF-8, or escapes a
// lone surrogate (a high one not followed by a low one, or a low one
// alone).
func Check(data []byte) error {
	if !utf8.Valid(data) {
		return ErrInvalidUTF8
	}
	// A backslash only occurs inside JSON strings, so escapes can be
	// found without tracking where strings begin and end; malformed
	// escapes are left to the JSON parser.
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' {
			continue
		}
		if i+1 >= len(data) || data[i+1] != 'u' {
			i++ // `\"`, `\\`…: skip the escaped character
			continue
		}
		r, ok := hex4(data, i+2)
		if !ok {
			i++
			continue
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return ErrInvalidUTF8
		case r >= 0xD800 && r <= 0xDBFF:
			lo, ok := rune(0), false
			if i+7 < len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
				lo, ok = hex4(data, i+8)
			}
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return ErrInvalidUTF8
			}
			i += 11
		default:
			i += 5
		}
	}
	return nil
}

// Unmarshal is json.Unmarshal after Check.
func Unmarshal(data []byte, v any) error {
	if err := Check(data); err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
