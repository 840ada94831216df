package extract

import "strings"

// Service names returned in Result.Service for the four networks the relay
// solves checkpoints for. Other services are named in upper case too.
const (
	ServiceLinkedIn  = "LINKEDIN"
	ServiceInstagram = "INSTAGRAM"
	ServiceTwitter   = "TWITTER"
	ServiceMessenger = "MESSENGER"
)

// serviceName is a way a message names a service. Names starting with an
// ASCII letter must stand as a whole word.
type serviceName struct {
	text    string
	service string
}

// primaryNames are the four networks' names. They win over other services
// mentioned in the same message ("... your Instagram code. Meta" is
// Instagram's).
var primaryNames = []serviceName{
	{"linkedin", ServiceLinkedIn}, {"领英", ServiceLinkedIn},
	{"instagram", ServiceInstagram}, {"insta", ServiceInstagram}, {"инстаграм", ServiceInstagram},
	{"twitter", ServiceTwitter}, {"x verification", ServiceTwitter}, {"x code", ServiceTwitter},
	{"x login", ServiceTwitter}, {"x confirmation", ServiceTwitter}, {"x account", ServiceTwitter},
	{"x.com", ServiceTwitter}, {"x-code", ServiceTwitter}, {"x-bestätigungscode", ServiceTwitter},
	{"x-verifizierungscode", ServiceTwitter}, {"code x", ServiceTwitter}, {"código de x", ServiceTwitter},
	{"código do x", ServiceTwitter}, {"codice x", ServiceTwitter}, {"код x", ServiceTwitter},
	{"x の", ServiceTwitter}, {"xの", ServiceTwitter}, {"x 的", ServiceTwitter}, {"x验证码", ServiceTwitter},
	{"x:", ServiceTwitter}, {"vérification x", ServiceTwitter}, {"verificación de x", ServiceTwitter},
	{"x premium", ServiceTwitter},
	{"facebook", ServiceMessenger}, {"messenger", ServiceMessenger}, {"fb", ServiceMessenger},
	{"фейсбук", ServiceMessenger},
}

// metaNames name the parent company: Messenger's, unless the message names
// Instagram too.
var metaNames = []serviceName{{"meta", ServiceMessenger}}

// otherNames are services the relay does not solve for but should name, so
// that a code from them is not taken for the checkpoint's.
var otherNames = []serviceName{
	{"google", "GOOGLE"}, {"gmail", "GOOGLE"}, {"youtube", "GOOGLE"},
	{"microsoft", "MICROSOFT"}, {"outlook", "MICROSOFT"}, {"hotmail", "MICROSOFT"}, {"skype", "MICROSOFT"},
	{"whatsapp", "WHATSAPP"}, {"telegram", "TELEGRAM"}, {"apple", "APPLE"}, {"icloud", "APPLE"},
	{"amazon", "AMAZON"}, {"tiktok", "TIKTOK"}, {"抖音", "TIKTOK"}, {"snapchat", "SNAPCHAT"},
	{"discord", "DISCORD"}, {"signal app", "SIGNAL"}, {"viber", "VIBER"}, {"wechat", "WECHAT"},
	{"微信", "WECHAT"}, {"weixin", "WECHAT"}, {"alipay", "ALIPAY"}, {"支付宝", "ALIPAY"},
	{"taobao", "TAOBAO"}, {"淘宝", "TAOBAO"}, {"line認証", "LINE"}, {"【line】", "LINE"}, {"kakao", "KAKAO"}, {"카카오", "KAKAO"},
	{"naver", "NAVER"}, {"네이버", "NAVER"}, {"yahoo", "YAHOO"}, {"paypal", "PAYPAL"},
	{"github", "GITHUB"}, {"gitlab", "GITLAB"}, {"dropbox", "DROPBOX"}, {"slack", "SLACK"},
	{"netflix", "NETFLIX"}, {"uber", "UBER"}, {"airbnb", "AIRBNB"}, {"binance", "BINANCE"},
	{"coinbase", "COINBASE"}, {"steam guard", "STEAM"}, {"yandex", "YANDEX"}, {"яндекс", "YANDEX"},
	{"vk", "VK"}, {"вконтакте", "VK"}, {"госуслуги", "GOSUSLUGI"}, {"sberbank", "SBERBANK"},
	{"сбербанк", "SBERBANK"}, {"revolut", "REVOLUT"}, {"stripe", "STRIPE"}, {"shopify", "SHOPIFY"},
	{"twilio", "TWILIO"}, {"zoom", "ZOOM"}, {"reddit", "REDDIT"}, {"pinterest", "PINTEREST"},
	{"tinder", "TINDER"}, {"ebay", "EBAY"}, {"booking.com", "BOOKING"}, {"spotify", "SPOTIFY"},
	{"openai", "OPENAI"}, {"chatgpt", "OPENAI"},
	{"mercado libre", "MERCADOLIBRE"}, {"mercadolibre", "MERCADOLIBRE"}, {"nubank", "NUBANK"},
	{"trendyol", "TRENDYOL"}, {"hepsiburada", "HEPSIBURADA"}, {"ozon", "OZON"},
	{"озон", "OZON"}, {"wildberries", "WILDBERRIES"}, {"mail.ru", "MAILRU"},
	// Banks: a bank's one-time password must never be taken for a
	// checkpoint's code, even by a registration that accepts any sender.
	{"chase", "CHASE"}, {"bank of america", "BANKOFAMERICA"}, {"bofa", "BANKOFAMERICA"},
	{"wells fargo", "WELLSFARGO"}, {"capital one", "CAPITALONE"}, {"citi", "CITI"},
	{"citibank", "CITI"}, {"hsbc", "HSBC"}, {"barclays", "BARCLAYS"}, {"santander", "SANTANDER"},
	{"monzo", "MONZO"}, {"american express", "AMEX"}, {"amex", "AMEX"}, {"lloyds", "LLOYDS"},
	{"natwest", "NATWEST"}, {"bnp paribas", "BNPPARIBAS"}, {"société générale", "SOCIETEGENERALE"},
	{"deutsche bank", "DEUTSCHEBANK"}, {"commerzbank", "COMMERZBANK"}, {"sparkasse", "SPARKASSE"},
	{"ing", "ING"}, {"n26", "N26"}, {"venmo", "VENMO"}, {"cash app", "CASHAPP"},
	{"zelle", "ZELLE"}, {"td bank", "TDBANK"}, {"rbc", "RBC"}, {"scotiabank", "SCOTIABANK"},
	{"itaú", "ITAU"}, {"bradesco", "BRADESCO"}, {"hdfc", "HDFC"}, {"icici", "ICICI"}, {"sbi", "SBI"},
	{"bank", "BANK"}, {"banque", "BANK"}, {"banco", "BANK"}, {"банк", "BANK"},
}

// hostServices maps the sending domains of the services' mail (and of
// origin-bound code lines) to a service. Suffix match on a dot boundary.
var hostServices = []serviceName{
	{"linkedin.com", ServiceLinkedIn}, {"instagram.com", ServiceInstagram},
	{"twitter.com", ServiceTwitter}, {"x.com", ServiceTwitter},
	{"facebookmail.com", ServiceMessenger}, {"facebook.com", ServiceMessenger},
	{"messenger.com", ServiceMessenger}, {"meta.com", ServiceMessenger}, {"metamail.com", ServiceMessenger},
	{"accounts.google.com", "GOOGLE"}, {"google.com", "GOOGLE"},
	{"microsoft.com", "MICROSOFT"}, {"microsoftonline.com", "MICROSOFT"},
	{"whatsapp.com", "WHATSAPP"}, {"telegram.org", "TELEGRAM"}, {"apple.com", "APPLE"},
	{"id.apple.com", "APPLE"}, {"amazon.com", "AMAZON"}, {"tiktok.com", "TIKTOK"},
	{"discord.com", "DISCORD"}, {"github.com", "GITHUB"}, {"paypal.com", "PAYPAL"},
	{"slack.com", "SLACK"}, {"dropbox.com", "DROPBOX"}, {"uber.com", "UBER"},
	{"snapchat.com", "SNAPCHAT"}, {"yahoo.com", "YAHOO"}, {"yandex.ru", "YANDEX"},
}

// serviceForHost names the service a host name belongs to, or "".
func serviceForHost(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, h := range hostServices {
		if host == h.text || strings.HasSuffix(host, "."+h.text) {
			return h.service
		}
	}
	return ""
}

// serviceForAddress names the service of an address header value such as
// "LinkedIn <security-noreply@linkedin.com>": the domain first, then the
// display name.
func serviceForAddress(addr string) string {
	lower := strings.ToLower(addr)
	if at := strings.LastIndexByte(lower, '@'); at >= 0 {
		e := at + 1
		for e < len(lower) && (isAlnum(lower[e]) || lower[e] == '.' || lower[e] == '-') {
			e++
		}
		if s := serviceForHost(lower[at+1 : e]); s != "" {
			return s
		}
	}
	if at := strings.IndexByte(lower, '<'); at > 0 {
		lower = lower[:at]
	}
	return serviceInText(lower)
}

// serviceInText names the service a normalised text speaks of: the first
// of the four networks it names, else Meta, else the first other service.
func serviceInText(t string) string {
	for _, names := range [...][]serviceName{primaryNames, metaNames, otherNames} {
		if s, _ := firstName(t, names); s != "" {
			return s
		}
	}
	return ""
}

// firstName returns the service of the earliest of names in t, and where.
func firstName(t string, names []serviceName) (string, int) {
	best, at := "", len(t)+1
	for _, n := range names {
		if n.service == "" {
			continue
		}
		if i := indexWord(t, n.text); i >= 0 && i < at {
			best, at = n.service, i
		}
	}
	return best, at
}

// indexWord finds w in t; a w that starts (ends) with an ASCII letter or
// digit must not be glued to another one before (after) it.
func indexWord(t, w string) int {
	for off := 0; off <= len(t)-len(w); {
		i := strings.Index(t[off:], w)
		if i < 0 {
			return -1
		}
		i += off
		if wordBounded(t, i, i+len(w), w) {
			return i
		}
		off = i + 1
	}
	return -1
}

// wordBounded reports whether w found at t[s:e] stands as a word. Names of
// five letters or more may take an ending ("Instagramie", "LinkedIna",
// "Facebooku" in inflected languages); shorter ones must end the word.
func wordBounded(t string, s, e int, w string) bool {
	if isAlnum(w[0]) && isAlnum(byteAt(t, s-1)) {
		return false
	}
	if len(w) < 5 && isAlnum(w[len(w)-1]) && isAlnum(byteAt(t, e)) {
		return false
	}
	return true
}
