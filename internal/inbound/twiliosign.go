package inbound

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
)

// TwilioSignature is the X-Twilio-Signature Twilio sends with a form
// POST: base64 HMAC-SHA1, keyed with the auth token, of the URL followed by
// each parameter's name and value, sorted by name. The relay verifies with
// twilio-go's validator; this is for the tools that post as Twilio would
// (the local walkthrough, the load script).
func TwilioSignature(authToken, signedURL string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(signedURL)
	for _, k := range keys {
		for _, v := range params[k] {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
