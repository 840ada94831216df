package inbound

import (
	"strconv"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/relaysig"
)

// The relay's own HMAC scheme (internal/relaysig) signs the generic SMS and
// email endpoints, as it signs the relay's callbacks.
const (
	HeaderRelaySignature = relaysig.HeaderSignature
	HeaderRelayTimestamp = relaysig.HeaderTimestamp
)

// ReplayWindow is how far a signed timestamp may be from now, either way
// (clock skew), before the request is refused as stale.
const ReplayWindow = 5 * time.Minute

// RelaySignature returns the X-Relay-Timestamp and X-Relay-Signature
// values for body signed at ts.
func RelaySignature(secret []byte, ts time.Time, body []byte) (timestamp, signature string) {
	return relaysig.Sign(secret, ts, body)
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
	if !relaysig.Match(secret, timestamp, signature, body) {
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
