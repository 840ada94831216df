package inbound

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// HTTPSMS reads httpSMS webhooks (httpsms.com, github.com/NdoleStudio/httpsms)
// as its server sends them (api/pkg/services/webhook_service.go): a
// CloudEvents JSON body, X-Event-Type, and, since the webhook has a signing
// key, Authorization: Bearer <JWT HS256 signed with that key> whose claims
// are iss "api.httpsms.com", aud [the webhook URL], iat, nbf (10 minutes
// back), exp (10 minutes ahead) and sub (the user id).
//
//	{"specversion": "1.0", "id": "<event id>", "type": "message.phone.received",
//	 "source": "…", "time": "…",
//	 "data": {"message_id", "user_id", "owner": "<receiving number>",
//	          "contact": "<sender>", "content": "<text>", "encrypted": false,
//	          "timestamp": "<received at>", "sim": "SIM1"}}
//
// The event id is the de-duplication key: a retried delivery repeats it.
// Content the app encrypted (AES-256-CFB under SHA-256 of the user's
// passphrase, IV first, base64) is read only with the passphrase the
// forwarder was created with. phone.heartbeat.online is a heartbeat.
type HTTPSMS struct{ Device Device }

// Name implements Source.
func (HTTPSMS) Name() string { return SourceHTTPSMS }

type httpSMSEvent struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		Owner     string `json:"owner"`
		Contact   string `json:"contact"`
		Content   string `json:"content"`
		Encrypted bool   `json:"encrypted"`
		Timestamp string `json:"timestamp"`
	} `json:"data"`
}

// ErrEncrypted wraps ErrMalformed: the content is encrypted and the
// forwarder has no passphrase to read it.
var errEncrypted = errors.New("the message is encrypted end to end and this forwarder has no passphrase: create it with \"passphrase\", or turn encryption off in the httpSMS app")

// Parse implements Source.
func (s HTTPSMS) Parse(_ context.Context, r Request) (Parsed, error) {
	if len(s.Device.Secret) == 0 {
		return Parsed{}, ErrNotConfigured
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return Parsed{}, badSignature("Authorization is not a bearer token")
	}
	_, err := jwt.ParseWithClaims(strings.TrimSpace(tok), &jwt.RegisteredClaims{}, func(*jwt.Token) (any, error) {
		return s.Device.Secret, nil
	}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(s.Device.WebhookURL),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(func() time.Time { return r.Now }))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenNotValidYet):
		return Parsed{}, stale("the token is expired or not yet valid")
	case err != nil:
		return Parsed{}, badSignature("the token does not verify for this webhook URL")
	}
	var ev httpSMSEvent
	if err := strictjson.Unmarshal(r.Body, &ev); err != nil {
		return Parsed{}, malformed("json body: %v", err)
	}
	switch ev.Type {
	case "message.phone.received":
	case "phone.heartbeat.online":
		return Parsed{Heartbeat: true, Skipped: "heartbeat"}, nil
	default:
		return Parsed{Skipped: "event " + ev.Type + " is not a received SMS"}, nil
	}
	if ev.ID == "" {
		return Parsed{}, malformed("the event has no id")
	}
	text := ev.Data.Content
	if ev.Data.Encrypted {
		if len(s.Device.Passphrase) == 0 {
			return Parsed{}, malformed("%v", errEncrypted)
		}
		plain, err := httpSMSDecrypt(s.Device.Passphrase, text)
		if err != nil {
			return Parsed{}, malformed("the encrypted content does not open with the forwarder's passphrase")
		}
		text = plain
	}
	m := Message{
		Source:     SourceHTTPSMS,
		MessageID:  s.Device.messageID(ev.ID),
		Channel:    checkpoint.ChannelSMS,
		Recipients: []string{s.Device.recipient(ev.Data.Owner)},
		From:       senderPhone(ev.Data.Contact),
		Text:       text,
	}
	if t, err := time.Parse(time.RFC3339Nano, ev.Data.Timestamp); err == nil {
		m.SentAt = t
	}
	return Parsed{Messages: []Message{m}}, nil
}

// httpSMSDecrypt opens the app's AES-256-CFB content.
func httpSMSDecrypt(passphrase []byte, content string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(content)
	if err != nil || len(raw) < aes.BlockSize {
		return "", errors.New("not an encrypted content")
	}
	key := sha256.Sum256(passphrase)
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return "", err
	}
	out := make([]byte, len(raw)-aes.BlockSize)
	// The app chose CFB (AES/CFB/NoPadding); the JWT already vouches for
	// the body, so the mode's lack of authentication does not matter here.
	//lint:ignore SA1019 httpSMS encrypts with CFB; reading its messages needs it
	cipher.NewCFBDecrypter(block, raw[:aes.BlockSize]).XORKeyStream(out, raw[aes.BlockSize:])
	return string(out), nil
}
