// Package relaysig is the relay's one HMAC signing scheme, shared by the
// callbacks the relay sends and the generic webhooks it receives:
//
//	X-Relay-Timestamp: <unix seconds>
//	X-Relay-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// Several signatures may be sent, comma-separated ("v1=…,v1=…"), so a
// sender can sign with the old and the new secret while rotating.
//
// It is a package of its own so that the state machine's functions, which
// only sign callbacks, do not link the webhook parsers.
package relaysig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// The scheme's headers.
const (
	HeaderSignature = "X-Relay-Signature"
	HeaderTimestamp = "X-Relay-Timestamp"
)

// Sign returns the header values for body signed at ts.
func Sign(secret []byte, ts time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(ts.Unix(), 10)
	return timestamp, "v1=" + hex.EncodeToString(mac(secret, timestamp, body))
}

// Match reports whether any v1 signature in signature is body's HMAC at
// timestamp under secret, comparing in constant time. It does not judge
// the timestamp's age: that is the receiver's replay window.
func Match(secret []byte, timestamp, signature string, body []byte) bool {
	if len(secret) == 0 || timestamp == "" {
		return false
	}
	want := mac(secret, timestamp, body)
	ok := false
	for _, part := range strings.Split(signature, ",") {
		v, found := strings.CutPrefix(strings.TrimSpace(part), "v1=")
		if !found {
			continue
		}
		got, err := hex.DecodeString(v)
		if err == nil && hmac.Equal(got, want) {
			ok = true
		}
	}
	return ok
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}
