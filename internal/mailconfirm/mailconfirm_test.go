package mailconfirm_test

import (
	"testing"

	"github.com/checkpoint-relay/checkpoint-relay/internal/mailconfirm"
)

// gmailConfirmation is the mail Gmail sends to a new forwarding address.
const gmailConfirmation = "From: Gmail Team <forwarding-noreply@google.com>\r\n" +
	"To: relay-inbox@example.net\r\n" +
	"Subject: (#612948373) Gmail Forwarding Confirmation - Receive Mail from alice.smith@gmail.com\r\n" +
	"Message-ID: <0000000000003f1b2c05e1a2b3c4@google.com>\r\n" +
	"Content-Type: text/plain; charset=\"UTF-8\"\r\n\r\n" +
	"alice.smith@gmail.com has requested to automatically forward mail to your email\r\n" +
	"address relay-inbox@example.net.\r\n" +
	"Confirmation code: 612948373\r\n\r\n" +
	"To allow alice.smith@gmail.com to automatically forward mail to your address,\r\n" +
	"please click the link below to confirm the request:\r\n\r\n" +
	"https://mail-settings.google.com/mail/vf-%5BANGjdJ8xYz%5D-Lk2pQ9wRtUvXyZ\r\n\r\n" +
	"If you click the link and it appears to be broken, please copy and paste it\r\n" +
	"into a new browser window.\r\n"

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		mail mailconfirm.Mail
		ok   bool
		want mailconfirm.Confirmation
	}{
		{"gmail, raw", mailconfirm.Mail{Raw: []byte(gmailConfirmation)}, true, mailconfirm.Confirmation{Provider: "gmail", Code: "612948373",
			Link: "https://mail-settings.google.com/mail/vf-%5BANGjdJ8xYz%5D-Lk2pQ9wRtUvXyZ", Requester: "alice.smith@gmail.com"}},
		{"gmail, parsed", mailconfirm.Mail{From: "forwarding-noreply@google.com", Subject: "(#612948373) Gmail Forwarding Confirmation - Receive Mail from alice.smith@gmail.com",
			TextBody: "Confirmation code: 612948373"}, true, mailconfirm.Confirmation{Provider: "gmail", Code: "612948373", Requester: "alice.smith@gmail.com"}},
		{"gmail's look from someone else", mailconfirm.Mail{From: "forwarding-noreply@google.com.evil.example", Subject: "(#612948373) Gmail Forwarding Confirmation",
			TextBody: "Confirmation code: 612948373"}, false, mailconfirm.Confirmation{}},
		{"a link off google's hosts is dropped", mailconfirm.Mail{From: "forwarding-noreply@google.com", Subject: "(#612948373) Gmail Forwarding Confirmation - Receive Mail from a@gmail.com",
			TextBody: "Confirmation code: 612948373 https://mail-settings.google.com.evil.example/vf-1"}, true, mailconfirm.Confirmation{Provider: "gmail", Code: "612948373", Requester: "a@gmail.com"}},
		{"outlook forwarding verification", mailconfirm.Mail{From: "Microsoft account team <account-security-noreply@accountprotection.microsoft.com>",
			Subject: "Verify your forwarding address", TextBody: "bob@outlook.com wants to forward mail to this address. Security code: 4821\r\nhttps://account.live.com/proofs/Verify?code=abc"},
			true, mailconfirm.Confirmation{Provider: "outlook", Code: "4821", Link: "https://account.live.com/proofs/Verify?code=abc", Requester: "bob@outlook.com"}},
		{"a Microsoft sign-in code is not one", mailconfirm.Mail{From: "account-security-noreply@accountprotection.microsoft.com",
			Subject: "Microsoft account security code", TextBody: "Security code: 4821"}, false, mailconfirm.Confirmation{}},
		{"a LinkedIn code", mailconfirm.Mail{From: "security-noreply@linkedin.com", Subject: "Your verification code", TextBody: "Your LinkedIn verification code is 482913."}, false, mailconfirm.Confirmation{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := mailconfirm.Detect(tc.mail)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("Detect = %+v %v, want %+v %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
