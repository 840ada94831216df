// Command gen writes the generated part of the extract corpus:
// testdata/sms_generated.jsonl and testdata/parts_generated.jsonl. It
// composes message templates of the services (in their languages) with
// codes written in every accepted form and with distracting sentences
// (phone numbers, amounts, dates, orders), plus templates that hold no code.
// The output is committed; run it again only to change the corpus:
//
//	go run ./internal/extract/testdata/gen
package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// tmpl is a message with {code} where the code goes ("" for messages that
// must yield none).
type tmpl struct {
	text    string
	service string
	lang    string
}

var codeTemplates = []tmpl{
	{"Your LinkedIn verification code is {code}.", "LINKEDIN", "en"},
	{"{code} is your LinkedIn verification code.", "LINKEDIN", "en"},
	{"Votre code de vérification LinkedIn : {code}", "LINKEDIN", "fr"},
	{"Ihr LinkedIn-Bestätigungscode: {code}", "LINKEDIN", "de"},
	{"Código de verificación de LinkedIn: {code}", "LINKEDIN", "es"},
	{"Seu código de verificação do LinkedIn: {code}", "LINKEDIN", "pt"},
	{"Codice di verifica LinkedIn: {code}", "LINKEDIN", "it"},
	{"LinkedIn-verificatiecode: {code}", "LINKEDIN", "nl"},
	{"{code} is your Instagram code. Don't share it.", "INSTAGRAM", "en"},
	{"Use {code} to verify your Instagram account.", "INSTAGRAM", "en"},
	{"{code} est votre code Instagram.", "INSTAGRAM", "fr"},
	{"{code} ist dein Instagram-Code.", "INSTAGRAM", "de"},
	{"{code} es tu código de Instagram.", "INSTAGRAM", "es"},
	{"Instagram 验证码：{code}", "INSTAGRAM", "zh"},
	{"{code} is your Twitter login code.", "TWITTER", "en"},
	{"Your X verification code is {code}.", "TWITTER", "en"},
	{"Tu código de X es {code}.", "TWITTER", "es"},
	{"Il tuo codice X è {code}", "TWITTER", "it"},
	{"{code} is your Facebook code", "MESSENGER", "en"},
	{"Your Facebook login code: {code}", "MESSENGER", "en"},
	{"Ваш код Facebook: {code}", "MESSENGER", "ru"},
	{"Messenger-Code: {code}", "MESSENGER", "de"},
	{"Your Google verification code is {code}", "GOOGLE", "en"},
	{"Your Microsoft account security code is {code}", "MICROSOFT", "en"},
	{"Your WhatsApp code: {code}", "WHATSAPP", "en"},
	{"Telegram code: {code}", "TELEGRAM", "en"},
	{"Your Amazon OTP is {code}.", "AMAZON", "en"},
	{"【微信】验证码：{code}，5分钟内有效。", "WECHAT", "zh"},
	{"認証コード：{code}", "", "ja"},
	{"인증번호 [{code}]", "", "ko"},
	{"Ваш код подтверждения: {code}", "", "ru"},
	{"Doğrulama kodunuz: {code}", "", "tr"},
	{"Twój kod weryfikacyjny: {code}", "", "pl"},
	{"کد تایید شما: {code}", "", "fa"},
	{"رمز التحقق: {code}", "", "ar"},
	{"קוד האימות שלך: {code}", "", "he"},
	{"Mã xác minh của bạn: {code}", "", "vi"},
	{"Kode verifikasi: {code}", "", "id"},
	{"Din verifieringskod: {code}", "", "sv"},
	{"आपका OTP {code} है।", "", "hi"},
}

// distractors are sentences put before or after a code; their numbers must
// not be taken for it.
var distractors = []string{
	"Questions? Call +1 650 555 0134.",
	"Need help? Call 1-800-555-0199.",
	"Your balance is $1,204.50.",
	"Order 55120 ships on May 14.",
	"Sent on 12/05/2025 at 10:32.",
	"© 2025 Example Corp.",
	"Reply STOP to 72211 to opt out.",
	"Valid for 10 minutes.",
	"Ref: 99-1203",
	"Total: 1290 EUR.",
	"Tracking: https://track.example/8812093",
	"Card ending in 4821.",
	"Appelez le 01 23 45 67 89.",
	"Kontostand: 2350 EUR.",
	"订单号 88120931",
	"残高 55,120円",
}

// noCodeTemplates hold numbers but no code.
var noCodeTemplates = []tmpl{
	{"Your order {n5} has shipped. Track it at https://track.example.com/{n6}", "", "en"},
	{"Your appointment is on {date} at {time}.", "", "en"},
	{"Payment of {n4} EUR received.", "", "en"},
	{"You paid ${n4} to {name}.", "", "en"},
	{"Call us on {phone} for help.", "", "en"},
	{"Your parcel {n6} arrives on {date}.", "", "en"},
	{"Balance: {n5} USD. Last payment {date}.", "", "en"},
	{"Votre commande {n6} a été expédiée le {date}.", "", "fr"},
	{"Ihre Bestellung {n6} wird am {date} geliefert.", "", "de"},
	{"Su pedido {n5} llega el {date}.", "", "es"},
	{"Seu pedido {n6} foi enviado.", "", "pt"},
	{"Il tuo ordine {n5} è stato spedito.", "", "it"},
	{"Uw bestelling {n6} is onderweg.", "", "nl"},
	{"Ваш заказ {n6} передан в доставку.", "", "ru"},
	{"您的订单{n6}已发货。", "", "zh"},
	{"Use promo code SAVE{n2} for 20% off.", "", "en"},
	{"Happy {year}! Thanks for being with us since {year2}.", "", "en"},
	{"Room {n4}, floor 3. Meeting at {time}.", "", "en"},
	{"Your ticket #{n6} was updated.", "", "en"},
	{"{name}, your LinkedIn profile got {n2} views this week.", "LINKEDIN", "en"},
	{"Instagram: {name} started following you.", "INSTAGRAM", "en"},
	{"Someone logged in to your account from {ip} on {date}.", "", "en"},
}

var names = []string{"Jane", "Omar", "Li Wei", "Sofia", "Yuki", "Olga", "Mehmet", "Ana"}

type row struct {
	Channel string  `json:"channel"`
	Text    string  `json:"text,omitempty"`
	Subject string  `json:"subject,omitempty"`
	Body    string  `json:"body,omitempty"`
	HTML    string  `json:"html,omitempty"`
	Code    *string `json:"code"`
	Service *string `json:"service,omitempty"`
	Note    string  `json:"note"`
}

func main() {
	r := rand.New(rand.NewPCG(4, 2026))
	dir := "internal/extract/testdata"
	if _, err := os.Stat(dir); err != nil {
		dir = ".."
	}
	var sms, parts []row
	for i, t := range codeTemplates {
		for v := 0; v < 4; v++ {
			code, written, form := codeIn(r, (i+v)%len(forms))
			text := strings.ReplaceAll(t.text, "{code}", written)
			note := t.lang + ", " + form
			switch v {
			case 1:
				text = distractors[r.IntN(len(distractors))] + " " + text
				note += ", distractor before"
			case 2:
				text = text + " " + distractors[r.IntN(len(distractors))]
				note += ", distractor after"
			}
			sms = append(sms, newRow("sms", text, code, t.service, note))
		}
	}
	for _, t := range noCodeTemplates {
		for v := 0; v < 3; v++ {
			sms = append(sms, newRow("sms", fill(r, t.text), "", t.service, t.lang+", no code"))
		}
	}
	// Webhook-parsed mail: subject, text and HTML parts.
	for i, t := range codeTemplates[:24] {
		code, written, form := codeIn(r, i%3)
		sentence := strings.ReplaceAll(t.text, "{code}", written)
		var p row
		switch i % 4 {
		case 0: // text part only
			p = row{Subject: "Security code", Body: "Hello,\n\n" + sentence + "\n\nIf this wasn't you, ignore this mail.\n\nUnsubscribe | Privacy\n© 2025 Example Inc., 500 Main Street, Springfield, IL 62701"}
		case 1: // HTML only, code set apart in a cell
			p = row{Subject: "Your code", HTML: "<html><head><style>td{color:#333}</style></head><body><table><tr><td>" +
				strings.ReplaceAll(t.text, "{code}", "</td></tr><tr><td style=\"font-size:28px\"><b>"+written+"</b></td></tr><tr><td>") +
				"</td></tr><tr><td><small>© 2025 Example Inc. · <a href=\"https://example.com/u?id=" + fmt.Sprint(100000+r.IntN(899999)) + "\">Unsubscribe</a></small></td></tr></table></body></html>"}
		case 2: // code only in the subject, body says nothing useful
			p = row{Subject: sentence, Body: "Open the app to continue.\n"}
		case 3: // text stub, HTML with the code split over inline elements
			half := len(code) / 2
			p = row{Subject: "Sign-in attempt", Body: "View this message in a browser.", HTML: "<p>" +
				strings.ReplaceAll(t.text, "{code}", "<span class=\"c\">"+code[:half]+"</span><span class=\"c\">"+code[half:]+"</span>") + "</p>"}
			form = "digits split over spans"
		}
		p.Channel = "parts"
		p.Code = &code
		if t.service != "" {
			s := t.service
			p.Service = &s
		}
		p.Note = t.lang + ", " + form
		parts = append(parts, p)
	}
	for i, t := range noCodeTemplates[:12] {
		text := fill(r, t.text)
		p := row{Channel: "parts", Subject: "Notification", Note: t.lang + ", no code"}
		if i%2 == 0 {
			p.Body = text
		} else {
			p.HTML = "<p>" + text + "</p><p><a href=\"https://example.com/x?id=" + fmt.Sprint(r.IntN(999999)) + "\">Details</a></p>"
		}
		parts = append(parts, p)
	}
	write(filepath.Join(dir, "sms_generated.jsonl"), "SMS composed by testdata/gen from templates, code forms and distractors.", sms)
	write(filepath.Join(dir, "parts_generated.jsonl"), "Webhook-parsed mails composed by testdata/gen.", parts)
}

// forms are the ways a code is written.
var forms = []string{"plain", "grouped", "dashed", "arabic-indic", "persian", "full-width", "4 digits", "8 digits"}

// codeIn draws a code and writes it in form f; it returns the expected code,
// the written text and the form's name.
func codeIn(r *rand.Rand, f int) (code, written, form string) {
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		return string(b)
	}
	code = digits(6)
	written = code
	switch forms[f] {
	case "grouped":
		written = code[:3] + " " + code[3:]
	case "dashed":
		written = code[:3] + "-" + code[3:]
	case "arabic-indic":
		written = mapDigits(code, 0x0660)
	case "persian":
		written = mapDigits(code, 0x06F0)
	case "full-width":
		written = mapDigits(code, 0xFF10)
	case "4 digits":
		code = digits(4)
		for strings.HasPrefix(code, "19") || strings.HasPrefix(code, "20") {
			code = digits(4) // a code that reads as a year is a corpus case of its own
		}
		written = code
	case "8 digits":
		code = digits(8)
		written = code
	}
	return code, written, forms[f]
}

func mapDigits(s string, zero rune) string {
	var b strings.Builder
	for _, c := range s {
		b.WriteRune(zero + c - '0')
	}
	return b.String()
}

func fill(r *rand.Rand, s string) string {
	n := func(k int) string {
		v := fmt.Sprint(r.IntN(9) + 1)
		for len(v) < k {
			v += fmt.Sprint(r.IntN(10))
		}
		return v
	}
	rep := strings.NewReplacer(
		"{n2}", n(2), "{n4}", n(4), "{n5}", n(5), "{n6}", n(6),
		"{date}", fmt.Sprintf("%02d/%02d/20%02d", 1+r.IntN(28), 1+r.IntN(12), 20+r.IntN(8)),
		"{time}", fmt.Sprintf("%02d:%02d", r.IntN(24), r.IntN(60)),
		"{phone}", fmt.Sprintf("+44 20 7946 %04d", r.IntN(10000)),
		"{year}", fmt.Sprint(2020+r.IntN(8)), "{year2}", fmt.Sprint(1990+r.IntN(30)),
		"{ip}", fmt.Sprintf("192.168.%d.%d", r.IntN(255), r.IntN(255)),
		"{name}", names[r.IntN(len(names))],
	)
	return rep.Replace(s)
}

func newRow(channel, text, code, service, note string) row {
	rw := row{Channel: channel, Text: text, Note: note}
	if code != "" {
		rw.Code = &code
	}
	if service != "" {
		rw.Service = &service
	}
	return rw
}

func write(path, header string, rows []row) {
	var b strings.Builder
	b.WriteString("// " + header + "\n")
	for _, rw := range rows {
		line, err := json.Marshal(rw)
		if err != nil {
			panic(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
