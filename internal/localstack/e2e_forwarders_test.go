package localstack_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/providersim"
)

type createdForwarder struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	WebhookURL string `json:"webhook_url"`
	Secret     string `json:"secret"`
}

// api calls the relay API with the stack's bearer key.
func api(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, stack.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+stack.RelayAPIKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func createForwarder(t *testing.T, body map[string]any) createdForwarder {
	t.Helper()
	status, raw := api(t, http.MethodPost, "/v1/forwarders", body)
	var c createdForwarder
	if err := json.Unmarshal(raw, &c); status != http.StatusCreated || err != nil || c.Secret == "" ||
		!strings.HasSuffix(c.WebhookURL, "/v1/forwarders/"+c.ID+"/webhook") {
		t.Fatalf("create forwarder: %d %s", status, raw)
	}
	formTokens.Store(c.Secret, true) // no forwarder secret may reach the logs either
	return c
}

// post sends a device's request to its webhook and returns the answer.
func post(t *testing.T, fw createdForwarder, query string, h http.Header, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, stack.URL+"/v1/forwarders/"+fw.ID+"/webhook"+query, strings.NewReader(body))
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// smsGateRequest is an sms:received (or other) event signed as SMS
// Gateway for Android signs it: hex HMAC-SHA256(key, body + X-Timestamp).
func smsGateRequest(secret, body string) http.Header {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body + ts))
	return http.Header{"Content-Type": {"application/json"}, "X-Timestamp": {ts},
		"X-Signature": {hex.EncodeToString(mac.Sum(nil))}}
}

func smsGateEvent(event, id, payload string) string {
	return `{"deviceId":"ffffffffceb0b1db0000018e937c815b","event":"` + event + `","id":"` + id +
		`","payload":` + payload + `,"webhookId":"LreFUt-Z3sSq0JufY9uWB"}`
}

func smsGateSMS(id, text string) string {
	return smsGateEvent("sms:received", id, `{"messageId":"abc123","message":`+jsonQuote(text)+
		`,"sender":"+16505551212","recipient":null,"simNumber":1,"receivedAt":"`+time.Now().Format(time.RFC3339)+`"}`)
}

func jsonQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// A device's lifecycle on SMS Gateway for Android: a code with no
// recipient reaches the checkpoint of the device's phone and solves it; the
// app's retry is a duplicate; a ping is a heartbeat; a rotated secret and a
// revoked forwarder are refused.
func TestForwarderSMSGateEndToEnd(t *testing.T) {
	t.Parallel()
	acct, phone := uniqueAccount("fwgate"), uniquePhone()
	fw := createForwarder(t, map[string]any{"kind": "sms-gate", "phone": phone, "name": "Pixel"})
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "OTP", "phone": phone})

	sms := smsGateSMS("ev-"+acct, "Your LinkedIn verification code is 123456.")
	if status, body := post(t, fw, "", smsGateRequest(fw.Secret, sms), sms); status != http.StatusOK || !strings.Contains(body, `"status":"accepted"`) {
		t.Fatalf("sms:received answered %d %s", status, body)
	}
	waitStatus(t, reg.ID, checkpoint.StatusConnected)
	// The app retries (signing anew): the same event id is a duplicate.
	if status, body := post(t, fw, "", smsGateRequest(fw.Secret, sms), sms); status != http.StatusOK || !strings.Contains(body, `"status":"duplicate"`) {
		t.Fatalf("retry answered %d %s", status, body)
	}
	if st := simStats(t, checkpoint.APIPostpress, acct); st.SolveCalls != 1 || st.State != providersim.StateConnected {
		t.Fatalf("simulator saw %+v, want one solve call", st)
	}

	ping := smsGateEvent("system:ping", "ping-"+acct, `{"health":{"status":"pass"}}`)
	if status, body := post(t, fw, "", smsGateRequest(fw.Secret, ping), ping); status != http.StatusOK {
		t.Fatalf("ping answered %d %s", status, body)
	}
	status, raw := api(t, http.MethodGet, "/v1/forwarders/"+fw.ID, nil)
	var view struct {
		Phone           string     `json:"phone"`
		LastMessageAt   *time.Time `json:"last_message_at"`
		LastHeartbeatAt *time.Time `json:"last_heartbeat_at"`
		Silent          bool       `json:"silent"`
	}
	if err := json.Unmarshal(raw, &view); status != http.StatusOK || err != nil || view.Phone != phone ||
		view.LastMessageAt == nil || view.LastHeartbeatAt == nil || view.Silent || strings.Contains(string(raw), fw.Secret) {
		t.Fatalf("forwarder view: %d %s", status, raw)
	}
	if status, raw := api(t, http.MethodGet, "/v1/forwarders", nil); status != http.StatusOK || !strings.Contains(string(raw), fw.ID) {
		t.Fatalf("list: %d %s", status, raw)
	}

	status, raw = api(t, http.MethodPost, "/v1/forwarders/"+fw.ID+"/rotate", nil)
	var rotated createdForwarder
	if err := json.Unmarshal(raw, &rotated); status != http.StatusOK || err != nil || rotated.Secret == fw.Secret {
		t.Fatalf("rotate: %d %s", status, raw)
	}
	if status, body := post(t, fw, "", smsGateRequest(fw.Secret, ping), ping); status != http.StatusUnauthorized {
		t.Fatalf("the rotated secret answered %d %s", status, body)
	}
	if status, body := post(t, fw, "", smsGateRequest(rotated.Secret, ping), ping); status != http.StatusOK {
		t.Fatalf("the new secret answered %d %s", status, body)
	}
	if status, raw := api(t, http.MethodDelete, "/v1/forwarders/"+fw.ID, nil); status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", status, raw)
	}
	if status, body := post(t, fw, "", smsGateRequest(rotated.Secret, ping), ping); status != http.StatusUnauthorized {
		t.Fatalf("a revoked forwarder answered %d %s", status, body)
	}
}

// TestForwarderKindsEndToEnd sends each kind's payload, made as its
// vendor documents it, from the device to the provider's solve call.
func TestForwarderKindsEndToEnd(t *testing.T) {
	for _, tc := range forwarderKindCases {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			acct := uniqueAccount("fw" + strings.ReplaceAll(tc.kind, "-", ""))
			body := map[string]any{"kind": tc.kind}
			regBody := map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "OTP"}
			addr := ""
			if tc.email {
				addr = strings.ToLower(acct) + "@example.com"
				body["email"], regBody["email"] = addr, addr
			} else {
				phone := uniquePhone()
				body["phone"], regBody["phone"] = phone, phone
			}
			if tc.kind == "cloudflare" {
				// The worker forwards the raw mail, whose DKIM signature
				// only a real key in DNS could prove: this inbox is taken as
				// receiving only this account's mail.
				regBody["accept_any_sender"] = true
			}
			fw := createForwarder(t, body)
			reg := register(t, regBody)
			query, h, payload := tc.request(fw, acct, addr)
			if status, resp := post(t, fw, query, h, payload); status != http.StatusOK || !strings.Contains(resp, `"status":"accepted"`) {
				t.Fatalf("%s answered %d %s", tc.kind, status, resp)
			}
			waitStatus(t, reg.ID, checkpoint.StatusConnected)
			if st := simStats(t, checkpoint.APIPostpress, acct); st.SolveCalls != 1 {
				t.Fatalf("simulator saw %+v, want one solve call", st)
			}
		})
	}
}

// forwarderKindCases build, per kind, the request its device sends
// carrying the code 123456 (the simulator's default).
var forwarderKindCases = []struct {
	kind    string
	email   bool
	request func(fw createdForwarder, acct, addr string) (query string, h http.Header, body string)
}{
	{kind: "token", request: func(fw createdForwarder, acct, _ string) (string, http.Header, string) {
		return "?token=" + fw.Secret, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			"from=LinkedIn&text=Your+LinkedIn+verification+code+is+123456."
	}},
	{kind: "httpsms", request: func(fw createdForwarder, acct, _ string) (string, http.Header, string) {
		// httpSMS's getAuthToken: HS256, aud the webhook URL, nbf 10 minutes back.
		now := time.Now()
		tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
			Audience: []string{fw.WebhookURL}, ExpiresAt: jwt.NewNumericDate(now.Add(10 * time.Minute)),
			IssuedAt: jwt.NewNumericDate(now), Issuer: "api.httpsms.com", NotBefore: jwt.NewNumericDate(now.Add(-10 * time.Minute)),
		}).SignedString([]byte(fw.Secret))
		body := `{"specversion":"1.0","id":"` + acct + `","source":"/v1/messages/receive","type":"message.phone.received",` +
			`"time":"` + now.Format(time.RFC3339) + `","data":{"message_id":"m-` + acct + `","owner":"","encrypted":false,` +
			`"contact":"+16505551212","timestamp":"` + now.Format(time.RFC3339) + `","content":"Your LinkedIn verification code is 123456.","sim":"SIM1"}}`
		return "", http.Header{"Content-Type": {"application/json"}, "X-Event-Type": {"message.phone.received"},
			"Authorization": {"Bearer " + tok}}, body
	}},
	{kind: "smsforwarder", request: func(fw createdForwarder, _, _ string) (string, http.Header, string) {
		// WebhookUtils: sign = urlencode(base64(HmacSHA256(secret, ts + "\n" + secret))), then form-encoded.
		ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
		mac := hmac.New(sha256.New, []byte(fw.Secret))
		mac.Write([]byte(ts + "\n" + fw.Secret))
		sign := url.QueryEscape(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		form := url.Values{"from": {"+16505551212"}, "content": {"Your LinkedIn verification code is 123456."},
			"timestamp": {ts}, "sign": {sign}}
		return "", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, form.Encode()
	}},
	{kind: "postmark", email: true, request: func(fw createdForwarder, acct, addr string) (string, http.Header, string) {
		body := `{"From":"security-noreply@linkedin.com","FromFull":{"Email":"security-noreply@linkedin.com","Name":"LinkedIn"},` +
			`"To":"` + addr + `","OriginalRecipient":"hash+` + acct + `@inbound.postmarkapp.com","MailboxHash":"` + acct + `",` +
			`"Subject":"Your LinkedIn verification code","MessageID":"pm-` + acct + `","Date":"` + time.Now().Format(time.RFC1123Z) + `",` +
			`"TextBody":"Your LinkedIn verification code is 123456.","HtmlBody":"",` +
			`"Headers":[{"Name":"Received-SPF","Value":"Pass (sender SPF authorized) identity=mailfrom; envelope-from=\"s-abc@bounce.linkedin.com\";"},` +
			`{"Name":"Authentication-Results","Value":"inbound.postmarkapp.com; dkim=pass header.d=linkedin.com; dmarc=pass header.from=linkedin.com"}],"Attachments":[]}`
		return "", http.Header{"Content-Type": {"application/json"},
			"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("postmark:"+fw.Secret))}}, body
	}},
	{kind: "forwardemail", email: true, request: func(fw createdForwarder, acct, addr string) (string, http.Header, string) {
		raw := "From: LinkedIn <security-noreply@linkedin.com>\r\nTo: " + addr + "\r\nMessage-ID: <fe-" + acct +
			"@linkedin.com>\r\nSubject: Your LinkedIn verification code\r\n\r\nYour LinkedIn verification code is 123456.\r\n"
		b, _ := json.Marshal(map[string]any{"raw": raw, "messageId": "<fe-" + acct + "@linkedin.com>",
			"subject": "Your LinkedIn verification code", "text": "Your LinkedIn verification code is 123456.\n", "html": false,
			"session": map[string]any{"recipient": addr}, "dmarc": map[string]any{"status": map[string]string{"result": "pass"}}})
		mac := hmac.New(sha256.New, []byte(fw.Secret))
		mac.Write(b)
		return "", http.Header{"Content-Type": {"application/json"}, "X-Webhook-Signature": {hex.EncodeToString(mac.Sum(nil))}}, string(b)
	}},
	{kind: "cloudflare", email: true, request: func(fw createdForwarder, acct, addr string) (string, http.Header, string) {
		raw := "From: LinkedIn <security-noreply@linkedin.com>\r\nTo: " + addr + "\r\nMessage-ID: <cf-" + acct +
			"@linkedin.com>\r\nSubject: Your LinkedIn verification code\r\n\r\nYour LinkedIn verification code is 123456.\r\n"
		b, _ := json.Marshal(map[string]string{"envelope_from": "s@bounce.linkedin.com", "envelope_to": addr,
			"raw": base64.StdEncoding.EncodeToString([]byte(raw))})
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		mac := hmac.New(sha256.New, []byte(fw.Secret))
		mac.Write([]byte(ts + "." + string(b)))
		return "", http.Header{"Content-Type": {"application/json"}, "X-Relay-Timestamp": {ts},
			"X-Relay-Signature": {"v1=" + hex.EncodeToString(mac.Sum(nil))}}, string(b)
	}},
}

// SmsForwarder's sign covers only its timestamp: a captured request
// replayed, or its sign put on another text, is refused.
func TestForwarderSMSForwarderSignIsSpentOnce(t *testing.T) {
	t.Parallel()
	fw := createForwarder(t, map[string]any{"kind": "smsforwarder", "phone": uniquePhone()})
	var build func(createdForwarder, string, string) (string, http.Header, string)
	for _, tc := range forwarderKindCases {
		if tc.kind == "smsforwarder" {
			build = tc.request
		}
	}
	_, h, body := build(fw, "", "")
	if status, resp := post(t, fw, "", h, body); status != http.StatusOK {
		t.Fatalf("first: %d %s", status, resp)
	}
	if status, resp := post(t, fw, "", h, body); status != http.StatusUnauthorized || !strings.Contains(resp, "stale") {
		t.Fatalf("replay: %d %s", status, resp)
	}
	other := strings.Replace(body, "123456", "999999", 1)
	if status, resp := post(t, fw, "", h, other); status != http.StatusUnauthorized {
		t.Fatalf("its sign on another text: %d %s", status, resp)
	}
}

// Gmail's forwarding confirmation, forwarded by a Postmark inbox to a
// relay address with a pending LinkedIn checkpoint on it: kept for the
// app, shown by GET /v1/forwarding-confirmations, and never submitted.
func TestGmailForwardingConfirmationIsSurfacedNeverSolved(t *testing.T) {
	t.Parallel()
	acct := uniqueAccount("fwconf")
	addr := strings.ToLower(acct) + "@example.com"
	requester := "owner." + strings.ToLower(acct) + "@gmail.com"
	fw := createForwarder(t, map[string]any{"kind": "postmark", "email": addr})
	reg := register(t, map[string]any{"api": "postpress", "account_id": acct, "provider": "LINKEDIN", "type": "OTP", "email": addr})
	link := "https://mail-settings.google.com/mail/vf-%5BANGjdJ8" + acct + "%5D-Lk2pQ9"
	formTokens.Store("135790246", true) // the confirmation code may not reach the logs either
	raw := "From: Gmail Team <forwarding-noreply@google.com>\r\nTo: " + addr + "\r\n" +
		"Subject: (#135790246) Gmail Forwarding Confirmation - Receive Mail from " + requester + "\r\n" +
		"Message-ID: <conf-" + acct + "@google.com>\r\n\r\n" + requester + " has requested to automatically forward mail to your email address " + addr + ".\r\n" +
		"Confirmation code: 135790246\r\n\r\nTo allow " + requester + " to automatically forward mail to your address, please click the link below to confirm the request:\r\n\r\n" +
		link + "\r\n"
	body, _ := json.Marshal(map[string]any{"From": "forwarding-noreply@google.com", "To": addr, "MessageID": "pm-conf-" + acct,
		"Subject":  "(#135790246) Gmail Forwarding Confirmation - Receive Mail from " + requester,
		"TextBody": "Confirmation code: 135790246", "RawEmail": raw, "Headers": []any{}})
	h := http.Header{"Content-Type": {"application/json"},
		"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("postmark:"+fw.Secret))}}
	if status, resp := post(t, fw, "", h, string(body)); status != http.StatusOK || !strings.Contains(resp, `"status":"forwarding_confirmation"`) {
		t.Fatalf("confirmation answered %d %s", status, resp)
	}
	status, raw2 := api(t, http.MethodGet, "/v1/forwarding-confirmations?address="+url.QueryEscape(strings.ToUpper(requester)), nil)
	var got struct {
		Confirmations []struct {
			Provider, Code, Link string
			ReceivedAt           time.Time `json:"received_at"`
		} `json:"confirmations"`
	}
	if err := json.Unmarshal(raw2, &got); status != http.StatusOK || err != nil || len(got.Confirmations) != 1 ||
		got.Confirmations[0].Provider != "gmail" || got.Confirmations[0].Code != "135790246" ||
		got.Confirmations[0].Link != link || got.Confirmations[0].ReceivedAt.IsZero() {
		t.Fatalf("confirmations: %d %s", status, raw2)
	}
	if status, _ := api(t, http.MethodGet, "/v1/forwarding-confirmations?address=not-an-address", nil); status != http.StatusBadRequest {
		t.Fatalf("a bad address answered %d", status)
	}
	// Never a code: the checkpoint stays pending, the provider saw nothing.
	if v := getView(t, reg.ID); v.Status != checkpoint.StatusPending || hasEvent(v, "code_received") {
		t.Fatalf("checkpoint after the confirmation: %s %s", v.Status, eventKinds(v))
	}
	if st, ok := stack.Simulator.Stats(checkpoint.APIPostpress, acct); ok && st.SolveCalls != 0 {
		t.Fatalf("the simulator saw %+v", st)
	}
}
