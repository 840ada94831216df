package extract

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkSMS reads the code out of a mix of real SMS formats; each op is
// one message.
func BenchmarkSMS(b *testing.B) {
	msgs := []string{
		"Your LinkedIn verification code is 804706.",
		"123 456 is your Instagram code. Don't share it.",
		"<#> 458825 is your Facebook code H29Q+Fsn4Sr",
		"【微信】验证码：284013，用于登录，5分钟内有效。如非本人操作，请忽略本短信。",
		"Bank OTP 481902 for payment of Rs 2500.00 at AMAZON. Valid for 10 mins. Never share OTP.",
		"Rs 2500 debited from A/c XX4821 on 12-05-25. Avl Bal Rs 18410. Not you? Call 18002586161",
		"رمز التحقق الخاص بك على LinkedIn هو ٨٠٤٧٠٦",
		"Your WhatsApp code: 482-913\nYou can also tap on this link to verify your phone: v.whatsapp.com/482913\nDon't share this code with others",
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		SMS(msgs[i%len(msgs)])
	}
}

// BenchmarkEmail parses and reads raw MIME mails of the corpus (multipart
// text and HTML, quoted-printable, base64, charsets, forwards); each op is
// one mail.
func BenchmarkEmail(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join("testdata", "mail", "*.eml"))
	var mails [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		mails = append(mails, raw)
	}
	if len(mails) == 0 {
		b.Fatal("no mails in testdata/mail")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		Email(mails[i%len(mails)])
	}
}

// BenchmarkLinkedInMail is the one mail the relay sees most: LinkedIn's
// sign-in code, text and HTML parts, quoted-printable.
func BenchmarkLinkedInMail(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "mail", "linkedin-signin-en.eml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Email(raw)
	}
}
