package inbound

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// vonageClaims are the claims of a Messages API webhook's JWT.
type vonageClaims struct {
	jwt.RegisteredClaims
	APIKey        string `json:"api_key"`
	ApplicationID string `json:"application_id"`
	PayloadHash   string `json:"payload_hash"`
}

// verifyVonageJWT checks the Authorization: Bearer JWT of a Messages API
// webhook: HS256 with the signature secret, issued within the replay
// window, and a payload_hash equal to the SHA-256 of the body (without it
// the token would vouch for any body).
func verifyVonageJWT(secret []byte, authorization string, body []byte, now time.Time) error {
	tok, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok {
		return badSignature("Authorization is not a bearer token")
	}
	var c vonageClaims
	_, err := jwt.ParseWithClaims(strings.TrimSpace(tok), &c,
		func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithLeeway(ReplayWindow),
	)
	if err != nil {
		return badSignature("jwt: " + err.Error())
	}
	sum := sha256.Sum256(body)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(c.PayloadHash)), []byte(hex.EncodeToString(sum[:]))) != 1 {
		return badSignature("payload_hash does not match the body")
	}
	if c.IssuedAt == nil {
		return stale("jwt without iat")
	}
	return checkWindow(c.IssuedAt.Time, now)
}
