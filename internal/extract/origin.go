package extract

import "strings"

// findOriginBound reads origin-bound one-time code lines (WebOTP, Apple;
// https://wicg.github.io/sms-one-time-codes/): a line "@linkedin.com
// #804706", optionally followed by the embedded origin ("@bank.example",
// or "%bank.example" in the draft's first form). The code is taken as
// written, letters in their case.
func findOriginBound(t, cased string, out []candidate) []candidate {
	for off := 0; off < len(t); {
		nl := strings.IndexByte(t[off:], '\n')
		line := t[off:]
		if nl >= 0 {
			line = t[off : off+nl]
		}
		if c, ok := originLine(line, cased, off); ok {
			out = append(out, c)
		}
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	return out
}

func originLine(line, cased string, off int) (candidate, bool) {
	s := 0
	for s < len(line) && line[s] == ' ' {
		s++
	}
	if byteAt(line, s) != '@' {
		return candidate{}, false
	}
	h := s + 1
	for h < len(line) && (isAlnum(line[h]) || line[h] == '.' || line[h] == '-') {
		h++
	}
	host := line[s+1 : h]
	if strings.IndexByte(host, '.') < 0 || byteAt(line, h) != ' ' {
		return candidate{}, false
	}
	for h < len(line) && line[h] == ' ' {
		h++
	}
	if byteAt(line, h) != '#' {
		return candidate{}, false
	}
	cs := h + 1
	ce := cs
	for ce < len(line) && isAlnum(line[ce]) {
		ce++
	}
	if l := ce - cs; l < minNamedLen || l > maxNamedLen {
		return candidate{}, false
	}
	if rest := strings.TrimSpace(line[ce:]); rest != "" && rest[0] != '%' && rest[0] != '@' {
		return candidate{}, false
	}
	return candidate{
		code: cased[off+cs : off+ce], start: off + cs, end: off + ce,
		shape: shapeOrigin, service: serviceForHost(host),
	}, true
}
