package inbound

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/strictjson"
)

// SMSForwarder reads the webhook of SmsForwarder (github.com/pppscn/SmsForwarder,
// app/src/main/kotlin/cn/ppps/forwarder/utils/sender/WebhookUtils.kt):
//
//   - default mode, a form POST: from, content (the rule's template applied
//     to the SMS), timestamp (unix milliseconds) and sign;
//   - JSON template mode ("webParams" starting with "{"), whose
//     placeholders the app fills: the relay reads "from", "content" (use
//     [org_content], the SMS itself), "timestamp", and "sign" (its [receive_time]
//     is in the phone's local time zone, unnamed, so it is not read).
//
// sign is URL-encoded base64 of HMAC-SHA256(secret, timestamp + "\n" +
// secret) (the DingTalk scheme): it covers the timestamp and the secret,
// not the message. So the window is short (SMSForwarderWindow), and the
// signature is spent once (Parsed.Once): a captured request can be neither
// replayed nor given another body. This proves less than a body
// signature: see README.
type SMSForwarder struct{ Device Device }

// SMSForwarderWindow is how far SmsForwarder's timestamp may be from now.
// The app signs each attempt anew, so a retry is never stale.
const SMSForwarderWindow = 2 * time.Minute

// Name implements Source.
func (SMSForwarder) Name() string { return SourceSMSForwarder }

type smsForwarderBody struct {
	From      string          `json:"from"`
	Content   string          `json:"content"`
	Timestamp json.RawMessage `json:"timestamp"`
	Sign      string          `json:"sign"`
}

// Parse implements Source.
func (s SMSForwarder) Parse(_ context.Context, r Request) (Parsed, error) {
	if len(s.Device.Secret) == 0 {
		return Parsed{}, ErrNotConfigured
	}
	var b smsForwarderBody
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" || strings.HasPrefix(strings.TrimSpace(string(r.Body)), "{") {
		if err := strictjson.Unmarshal(r.Body, &b); err != nil {
			return Parsed{}, malformed("json body: %v", err)
		}
	} else {
		v, err := url.ParseQuery(string(r.Body))
		if err != nil {
			return Parsed{}, malformed("form body: %v", err)
		}
		b = smsForwarderBody{From: v.Get("from"), Content: v.Get("content"), Sign: v.Get("sign"),
			Timestamp: json.RawMessage(strconv.Quote(v.Get("timestamp")))}
	}
	ts := strings.Trim(string(b.Timestamp), `"`)
	if ts == "" || b.Sign == "" {
		return Parsed{}, badSignature("missing timestamp or sign (set a secret in the app's webhook settings)")
	}
	if !hmac.Equal([]byte(smsForwarderSign(s.Device.Secret, ts)), []byte(unescapeSign(b.Sign))) {
		return Parsed{}, badSignature("sign does not match")
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return Parsed{}, stale("timestamp is not unix milliseconds")
	}
	if d := r.Now.Sub(time.UnixMilli(ms)); d > SMSForwarderWindow || d < -SMSForwarderWindow {
		return Parsed{}, stale("timestamp outside the replay window")
	}
	if strings.TrimSpace(b.Content) == "" {
		return Parsed{}, malformed("content is empty")
	}
	m := Message{
		Source: SourceSMSForwarder,
		// The app has no message id and signs each retry anew: the sender
		// and text de-duplicate.
		MessageID:  s.Device.messageID(contentID(b.From, b.Content)),
		Channel:    checkpoint.ChannelSMS,
		Recipients: []string{s.Device.Phone},
		From:       senderPhone(b.From),
		Text:       b.Content,
	}
	return Parsed{Messages: []Message{m}, Once: "smsforwarder/" + ts}, nil
}

// smsForwarderSign is base64(HMAC-SHA256(secret, timestamp "\n" secret)).
func smsForwarderSign(secret []byte, ts string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "\n"))
	mac.Write(secret)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// unescapeSign undoes the app's URL encoding of sign (applied once in JSON
// mode, once more than the form encoding in form mode).
func unescapeSign(sign string) string {
	for i := 0; i < 2 && strings.Contains(sign, "%"); i++ {
		u, err := url.PathUnescape(sign) // keeps base64's '+'
		if err != nil {
			break
		}
		sign = u
	}
	return sign
}
