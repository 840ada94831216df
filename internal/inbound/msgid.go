package inbound

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"net/textproto"
	"strings"
)

// contentID stands in for a missing Message-Id: a digest of the fields a
// retry repeats, so a provider's retry still de-duplicates. It never
// contains the content itself.
func contentID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:32]
}

// headerMessageID returns the Message-Id header without angle brackets.
func headerMessageID(h textproto.MIMEHeader) string {
	if h == nil {
		return ""
	}
	return strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>")
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
