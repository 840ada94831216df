package inbound

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// The relay's own HMAC scheme, used by the generic SMS and email endpoints
// (and the same one the relay signs its callbacks with):
//
//	X-Relay-Timestamp: <unix seconds>
//	X-Relay-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// Several signatures may be sent, comma-separated ("v1=…,v1=…"), so a
// sender can sign with the old and the new secret while rotating.
const (
	HeaderRelaySignature = "X-Relay-Signature"
	HeaderRelayTimestamp = "X-Relay-Timestamp"
)

// ReplayWindow is how far a signed timestamp may be from now, either way
// (clock skew), before the request is refused as stale.
const ReplayWindow = 5 * time.Minute

// RelaySignature returns the X-Relay-Signature value for body signed at ts.
func RelaySignature(secret []byte, ts time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(ts.Unix(), 10)
	return timestamp, "v1=" + hex.EncodeToString(relayMAC(secret, timestamp, body))
}

func relayMAC(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// VerifyRelaySignature checks the scheme above: signature first (so a
// forged request learns nothing about the window), then the timestamp.
func VerifyRelaySignature(secret []byte, timestamp, signature string, body []byte, now time.Time) error {
	if len(secret) == 0 {
		return ErrNotConfigured
	}
	if timestamp == "" || signature == "" {
		return badSignature("missing " + HeaderRelaySignature + " or " + HeaderRelayTimestamp)
	}
	want := relayMAC(secret, timestamp, body)
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
	if !ok {
		return badSignature("signature does not match")
	}
	return checkUnixWindow(timestamp, now)
}

// checkUnixWindow refuses a unix-seconds timestamp outside ReplayWindow.
func checkUnixWindow(timestamp string, now time.Time) error {
	sec, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return stale("timestamp is not unix seconds")
	}
	return checkWindow(time.Unix(sec, 0), now)
}

func checkWindow(ts, now time.Time) error {
	d := now.Sub(ts)
	if d > ReplayWindow || d < -ReplayWindow {
		return stale("timestamp outside the replay window")
	}
	return nil
}
