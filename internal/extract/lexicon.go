package extract

// The words that tell a code from every other number, by kind. All entries
// are in normalised form (lower case). A keyword starting with an ASCII
// letter must start a word; one marked whole must also end one (short words
// like "pin" or "tan" inside "shopping" or "important" mean nothing).

// codeWords name the code, with how surely they do. Substring matching lets
// "code" cover "codes", "código" cover "códigos", "kod" cover Turkish "kodu",
// "kodunuz" and Polish "kodem".
var codeWords = []keyword{
	// English
	{text: "code", weight: 1}, {text: "passcode", weight: 1}, {text: "pin", weight: 0.9, whole: true},
	{text: "otp", weight: 1, whole: true}, {text: "one-time", weight: 0.9}, {text: "one time", weight: 0.9},
	{text: "verification", weight: 0.8}, {text: "verify", weight: 0.7}, {text: "2fa", weight: 0.8, whole: true},
	{text: "password", weight: 0.6}, {text: "login", weight: 0.5}, {text: "log in", weight: 0.5},
	{text: "sign in", weight: 0.5}, {text: "sign-in", weight: 0.5}, {text: "authentication", weight: 0.7},
	{text: "security", weight: 0.4}, {text: "confirm", weight: 0.5}, {text: "token", weight: 0.5, whole: true},
	{text: "use", weight: 0.4, whole: true}, {text: "enter", weight: 0.4, whole: true},
	// French
	{text: "vérification", weight: 0.8}, {text: "mot de passe", weight: 0.6}, {text: "confirmation", weight: 0.5},
	{text: "connexion", weight: 0.5}, {text: "usage unique", weight: 0.8}, {text: "utilisez", weight: 0.4},
	{text: "saisissez", weight: 0.4},
	// German
	{text: "bestätigungscode", weight: 1}, {text: "sicherheitscode", weight: 1}, {text: "verifizierungscode", weight: 1},
	{text: "anmeldecode", weight: 1}, {text: "einmalcode", weight: 1}, {text: "zugangscode", weight: 1},
	{text: "prüfcode", weight: 1}, {text: "kennwort", weight: 0.6}, {text: "tan", weight: 0.9, whole: true},
	{text: "bestätigung", weight: 0.5}, {text: "anmeldung", weight: 0.5}, {text: "einmalpasswort", weight: 1},
	{text: "mtan", weight: 1, whole: true}, {text: "smstan", weight: 1, whole: true}, {text: "sms-tan", weight: 1, whole: true},
	{text: "pushtan", weight: 1, whole: true}, {text: "verwenden sie", weight: 0.4}, {text: "gib", weight: 0.3, whole: true},
	{text: "passwort", weight: 0.6},
	// heads of German and Dutch compounds: "Einmalkennwort",
	// "Anmeldepasswort", "Aktivierungscode", "activatiecode"
	{text: "kennwort", weight: 0.9, inWord: true}, {text: "passwort", weight: 0.9, inWord: true},
	{text: "code", weight: 1, inWord: true},
	// Spanish, Portuguese
	{text: "código", weight: 1}, {text: "codigo", weight: 1}, {text: "clave", weight: 0.8},
	{text: "contraseña", weight: 0.6}, {text: "verificación", weight: 0.8}, {text: "verificação", weight: 0.8},
	{text: "senha", weight: 0.7}, {text: "inicio de sesión", weight: 0.5},
	{text: "clave de acceso", weight: 1}, {text: "clave dinámica", weight: 1}, {text: "clave de seguridad", weight: 1},
	// Italian
	{text: "codice", weight: 1}, {text: "verifica", weight: 0.8}, {text: "accesso", weight: 0.4},
	// Dutch, Scandinavian, Finnish
	{text: "verificatiecode", weight: 1}, {text: "beveiligingscode", weight: 1}, {text: "inlogcode", weight: 1},
	{text: "bevestigingscode", weight: 1}, {text: "toegangscode", weight: 1}, {text: "verifieringskod", weight: 1},
	{text: "bekräftelsekod", weight: 1}, {text: "engångskod", weight: 1}, {text: "kode", weight: 1},
	{text: "bekreftelseskode", weight: 1}, {text: "bekræftelseskode", weight: 1}, {text: "engangskode", weight: 1},
	{text: "verifiëren", weight: 0.7}, {text: "bevestig", weight: 0.5}, {text: "gebruik", weight: 0.4},
	{text: "koodi", weight: 1}, {text: "vahvistuskoodi", weight: 1}, {text: "kod", weight: 1},
	{text: "koodi", weight: 1, inWord: true}, {text: "salasana", weight: 0.7}, {text: "salasana", weight: 0.9, inWord: true},
	// Polish, Czech, Slovak, Hungarian, Romanian, Croatian
	{text: "kodem", weight: 1}, {text: "hasło", weight: 0.6}, {text: "weryfikac", weight: 0.8},
	{text: "kód", weight: 1}, {text: "ověřovací", weight: 0.8}, {text: "kódja", weight: 1},
	{text: "cod", weight: 1, whole: true}, {text: "codul", weight: 1}, {text: "verificare", weight: 0.8},
	{text: "lozinka", weight: 0.6},
	// Turkish, Indonesian, Malay, Vietnamese, Tagalog
	{text: "doğrulama", weight: 0.8}, {text: "şifre", weight: 0.8}, {text: "kodu", weight: 1},
	{text: "verifikasi", weight: 0.8}, {text: "memverifikasi", weight: 0.7}, {text: "gunakan", weight: 0.4}, {text: "mã", weight: 0.9, whole: true}, {text: "xác minh", weight: 0.8},
	{text: "xác nhận", weight: 0.6}, {text: "mã xác thực", weight: 1},
	// Vietnamese as often typed, without diacritics
	{text: "ma otp", weight: 1}, {text: "ma xac thuc", weight: 1}, {text: "ma xac nhan", weight: 0.9}, {text: "ma xac minh", weight: 1},
	// Greek
	{text: "κωδικ", weight: 1}, {text: "επαλήθευσ", weight: 0.8},
	// Russian, Ukrainian, Belarusian, Bulgarian, Serbian
	{text: "код", weight: 1}, {text: "пароль", weight: 0.7}, {text: "подтвержд", weight: 0.6},
	{text: "верификац", weight: 0.8}, {text: "парол", weight: 0.7}, {text: "подтверд", weight: 0.6},
	{text: "используйте", weight: 0.4}, {text: "введите", weight: 0.4},
	// Russian transliterated in Latin letters ("kod" is above)
	{text: "parol", weight: 0.7}, {text: "odnorazov", weight: 0.8},
	// Arabic, Persian, Urdu, Hebrew
	{text: "رمز", weight: 1}, {text: "كود", weight: 1}, {text: "الكود", weight: 1}, {text: "التحقق", weight: 0.8},
	{text: "تحقق", weight: 0.8}, {text: "کد", weight: 1}, {text: "تأیید", weight: 0.7}, {text: "تایید", weight: 0.7},
	{text: "קוד", weight: 1}, {text: "אימות", weight: 0.8}, {text: "סיסמ", weight: 0.6},
	// Hindi, Bengali, Thai
	{text: "कोड", weight: 1}, {text: "ओटीपी", weight: 1}, {text: "সত্যাপন", weight: 0.8}, {text: "কোড", weight: 1},
	{text: "รหัส", weight: 1},
	// Chinese (simplified and traditional), Japanese, Korean
	{text: "验证码", weight: 1}, {text: "驗證碼", weight: 1}, {text: "校验码", weight: 1}, {text: "动态码", weight: 1},
	{text: "确认码", weight: 1}, {text: "確認碼", weight: 1}, {text: "安全码", weight: 1}, {text: "安全碼", weight: 1},
	{text: "登录码", weight: 1}, {text: "代码", weight: 0.8}, {text: "代碼", weight: 0.8}, {text: "动态密码", weight: 1},
	{text: "随机码", weight: 1}, {text: "隨機碼", weight: 1}, {text: "認證碼", weight: 1}, {text: "认证码", weight: 1},
	{text: "動態碼", weight: 1}, {text: "校驗碼", weight: 1}, {text: "動態密碼", weight: 1}, {text: "一次性密码", weight: 1},
	{text: "一次性密碼", weight: 1}, {text: "密码", weight: 0.8}, {text: "密碼", weight: 0.8},
	{text: "認証コード", weight: 1}, {text: "確認コード", weight: 1}, {text: "認証番号", weight: 1}, {text: "パスワード", weight: 0.9},
	{text: "確認番号", weight: 0.8}, {text: "コード", weight: 1}, {text: "ワンタイム", weight: 0.9},
	{text: "パスコード", weight: 1}, {text: "暗証番号", weight: 0.9},
	{text: "인증번호", weight: 1}, {text: "인증 번호", weight: 1}, {text: "인증코드", weight: 1}, {text: "인증 코드", weight: 1},
	{text: "코드", weight: 1}, {text: "확인 코드", weight: 1}, {text: "보안 코드", weight: 1}, {text: "승인번호", weight: 0.6},
}

// notCodeWords are phrases with a code word in them that name something
// other than a login code. A code word inside one of them does not count,
// and a number right after one is penalised.
var notCodeWords = []keyword{
	{text: "promo code"}, {text: "promotional code"}, {text: "discount code"}, {text: "coupon"},
	{text: "coupon code"}, {text: "voucher code"}, {text: "gift card code"}, {text: "code coupon"},
	{text: "código de cupón"}, {text: "codice coupon"}, {text: "código do cupom"},
	{text: "voucher"}, {text: "gift code"}, {text: "gift card"}, {text: "referral code"}, {text: "invite code"},
	{text: "invitation code"}, {text: "postal code"}, {text: "zip code"}, {text: "zip"}, {text: "area code"},
	{text: "country code"}, {text: "qr code"}, {text: "tracking code"}, {text: "product code"},
	{text: "sort code"}, {text: "swift code"}, {text: "bic code"}, {text: "error code"}, {text: "status code"},
	{text: "source code"}, {text: "dress code"}, {text: "access code for the building"}, {text: "booking code"},
	{text: "reservation code"}, {text: "confirmation number"}, {text: "pin code"}, {text: "pincode"},
	{text: "code promo"}, {text: "code postal"}, {text: "code de réduction"}, {text: "code cadeau"},
	{text: "code de suivi"}, {text: "code d'erreur"}, {text: "bon de réduction"},
	{text: "rabattcode"}, {text: "gutschein"}, {text: "postleitzahl"}, {text: "plz", whole: true},
	{text: "fehlercode"}, {text: "sendungsnummer"},
	// words that merely hold a code word, and compounds that name other codes
	{text: "customer code"}, {text: "client code"}, {text: "member code"}, {text: "store code"},
	{text: "branch code"}, {text: "bank code"}, {text: "tax code"}, {text: "ifsc code"}, {text: "item code"},
	{text: "code client"}, {text: "código de cliente"}, {text: "kundencode"}, {text: "codice cliente"},
	{text: "codec"}, {text: "codex"}, {text: "codename"}, {text: "codebase"}, {text: "codeword"}, {text: "bar code"},
	{text: "barcode"}, {text: "zipcode"}, {text: "geocode"}, {text: "unicode"}, {text: "encode"},
	{text: "decode"}, {text: "shortcode"}, {text: "opcode"}, {text: "keycode"}, {text: "timecode"},
	{text: "qrcode"}, {text: "qr-code"}, {text: "promocode"}, {text: "vouchercode"}, {text: "couponcode"},
	{text: "strichcode"}, {text: "aktionscode"}, {text: "gutscheincode"}, {text: "ländercode"},
	{text: "farbcode"}, {text: "quellcode"}, {text: "programmcode"}, {text: "dresscode"},
	{text: "streepjescode"}, {text: "kleurcode"}, {text: "landcode"}, {text: "broncode"},
	{text: "colorcode"}, {text: "colourcode"}, {text: "geschenkcode"}, {text: "einlösecode"}, {text: "abholcode"},
	{text: "türcode"}, {text: "cadeaucode"}, {text: "alennuskoodi"}, {text: "kampanjakoodi"}, {text: "lahjakoodi"},
	{text: "viivakoodi"}, {text: "qr-koodi"},
	{text: "kodak"}, {text: "kodeks"}, {text: "parole"}, {text: "кодек"}, {text: "кодекс"},
	{text: "バーコード"}, {text: "二次元コード"}, {text: "qrコード"}, {text: "바코드"}, {text: "qr코드"}, {text: "qr 코드"},
	{text: "条形码"}, {text: "二维码"}, {text: "رمزارز"}, {text: "رمز ارز"},
	{text: "código promocional"}, {text: "código postal"}, {text: "código de descuento"}, {text: "cupón"},
	{text: "código de seguimiento"}, {text: "código de rastreio"}, {text: "código de rastreamento"},
	{text: "código de error"}, {text: "cupom"}, {text: "cep", whole: true},
	{text: "codice sconto"}, {text: "codice promozionale"}, {text: "codice fiscale"}, {text: "codice di tracciamento"},
	{text: "codice postale"}, {text: "cap", whole: true}, {text: "buono"},
	{text: "kortingscode"}, {text: "postcode"}, {text: "actiecode"}, {text: "tegoedbon"},
	{text: "промокод"}, {text: "штрихкод"}, {text: "почтовый индекс"}, {text: "индекс"}, {text: "трек-номер"},
	{text: "kupon"}, {text: "indirim kodu"}, {text: "posta kodu"}, {text: "kod pocztowy"}, {text: "kod rabatowy"},
	{text: "优惠码"}, {text: "兑换码"}, {text: "邀请码"}, {text: "取件码"}, {text: "提货码"}, {text: "邮编"},
	{text: "邮政编码"}, {text: "快递单号"}, {text: "クーポン"}, {text: "郵便番号"}, {text: "注文番号"},
	{text: "お問い合わせ番号"}, {text: "쿠폰"}, {text: "우편번호"},
	{text: "كود الخصم"}, {text: "رمز الخصم"}, {text: "الرمز البريدي"}, {text: "کد تخفیف"}, {text: "کد پستی"},
	{text: "קוד קופון"}, {text: "מיקוד"},
}

// promoWords surround marketing codes: a number near one is a promotion,
// before or after it ("use code 4410 at checkout to save 10%").
var promoWords = []keyword{
	{text: "checkout"}, {text: "discount"}, {text: "% off"}, {text: "off your"}, {text: "save", whole: true},
	{text: "sale", whole: true}, {text: "offer"}, {text: "deal", whole: true}, {text: "cashback"},
	{text: "réduction"}, {text: "remise"}, {text: "soldes"}, {text: "rabatt"}, {text: "angebot"},
	{text: "descuento"}, {text: "oferta"}, {text: "desconto"}, {text: "sconto"}, {text: "offerta"},
	{text: "korting"}, {text: "aanbieding"}, {text: "скидк"}, {text: "акци"}, {text: "indirim"},
	{text: "kampanya"}, {text: "rabat"}, {text: "折扣"}, {text: "优惠"}, {text: "割引"}, {text: "セール"},
	{text: "할인"}, {text: "خصم"}, {text: "تخفیف"}, {text: "הנחה"},
}

// staleBeforeWords and staleAfterWords say a code is no longer the one to
// use: "your previous code 654321", "654321 is no longer valid".
var staleBeforeWords = []keyword{
	{text: "previous"}, {text: "old code"}, {text: "expired code"}, {text: "précédent"}, {text: "ancien code"},
	{text: "vorherige"}, {text: "alte code"}, {text: "código anterior"}, {text: "codice precedente"},
	{text: "vorige"}, {text: "предыдущ"}, {text: "старый код"}, {text: "之前的"}, {text: "以前の"},
}

var staleAfterWords = []keyword{
	{text: "no longer valid"}, {text: "has expired"}, {text: "is invalid"}, {text: "n'est plus valable"},
	{text: "n'est plus valide"}, {text: "a expiré"}, {text: "nicht mehr gültig"}, {text: "abgelaufen"},
	{text: "ya no es válido"}, {text: "ha caducado"}, {text: "não é mais válido"}, {text: "expirou"},
	{text: "non è più valido"}, {text: "è scaduto"}, {text: "niet meer geldig"}, {text: "недействител"},
	{text: "已失效"}, {text: "已过期"}, {text: "無効"},
}

// meetingWords mark an invitation to a call, whose passcode and ids are
// for the meeting, not for a login. They weigh on every number around them.
var meetingWords = []keyword{
	{text: "meeting id"}, {text: "meeting passcode"}, {text: "join zoom"}, {text: "zoom meeting"},
	{text: "webinar"}, {text: "conference id"}, {text: "dial-in"}, {text: "dial by your location"},
	{text: "teams meeting"}, {text: "google meet"}, {text: "id de réunion"}, {text: "meeting-id"},
	{text: "besprechungs-id"}, {text: "id de reunión"}, {text: "id riunione"}, {text: "идентификатор конференции"},
}

// travelWords mark a flight or a booking: a letter code near one is its
// reference (an airline's "confirmation code" is the booking's).
var travelWords = []keyword{
	{text: "flight"}, {text: "check in"}, {text: "check-in"}, {text: "boarding"}, {text: "departure"},
	{text: "itinerary"}, {text: "pnr", whole: true}, {text: "airline"}, {text: "vol", whole: true},
	{text: "embarquement"}, {text: "flug", whole: true}, {text: "abflug"}, {text: "vuelo"}, {text: "embarque"},
	{text: "volo", whole: true}, {text: "рейс"}, {text: "航班"}, {text: "便名"},
}

// errorWords name an error status: a number right next to one is that
// status ("404 not found", "error 500").
var errorWords = []keyword{
	{text: "error"}, {text: "not found"}, {text: "erreur"}, {text: "fehler"}, {text: "ошибк"}, {text: "错误"},
}

// currencyWords are currency symbols and codes: a number right next to one
// is an amount.
var currencyWords = []keyword{
	{text: "$"}, {text: "€"}, {text: "£"}, {text: "¥"}, {text: "₹"}, {text: "₽"}, {text: "₺"}, {text: "₩"},
	{text: "₪"}, {text: "₫"}, {text: "฿"}, {text: "₦"}, {text: "₱"}, {text: "₴"}, {text: "₸"}, {text: "元"},
	{text: "円"}, {text: "원"}, {text: "руб"}, {text: "грн"}, {text: "zł"}, {text: "kč"},
	{text: "usd", whole: true}, {text: "eur", whole: true}, {text: "gbp", whole: true}, {text: "inr", whole: true},
	{text: "rs", whole: true}, {text: "rs."}, {text: "r$"}, {text: "brl", whole: true}, {text: "mxn", whole: true}, {text: "cad", whole: true},
	{text: "aud", whole: true}, {text: "chf", whole: true}, {text: "jpy", whole: true}, {text: "cny", whole: true},
	{text: "rmb", whole: true}, {text: "rub", whole: true}, {text: "try", whole: true}, {text: "tl", whole: true},
	{text: "pln", whole: true}, {text: "sek", whole: true}, {text: "nok", whole: true}, {text: "dkk", whole: true},
	{text: "aed", whole: true}, {text: "sar", whole: true}, {text: "egp", whole: true}, {text: "irr", whole: true},
	{text: "ngn", whole: true}, {text: "kes", whole: true}, {text: "zar", whole: true}, {text: "idr", whole: true},
	{text: "php", whole: true}, {text: "vnd", whole: true}, {text: "krw", whole: true}, {text: "kr", whole: true},
	{text: "dollars"}, {text: "dollar", whole: true}, {text: "euros"}, {text: "euro", whole: true}, {text: "reais"},
	{text: "pesos"}, {text: "rupees"}, {text: "rupias"}, {text: "lira"}, {text: "złotych"}, {text: "рублей"},
	{text: "ریال"}, {text: "تومان"}, {text: "ريال"}, {text: "درهم"}, {text: "جنيه"}, {text: "ש\"ח"}, {text: "ש״ח"},
	{text: "points"}, {text: "pts", whole: true}, {text: "miles"}, {text: "meilen"},
}

// moneyWords introduce an amount or a balance.
var moneyWords = []keyword{
	{text: "amount"}, {text: "balance"}, {text: "total"}, {text: "price"}, {text: "paid"}, {text: "payment of"},
	{text: "charged"}, {text: "debited"}, {text: "credited"}, {text: "purchase of"}, {text: "spent"}, {text: "refund"},
	{text: "limit"}, {text: "withdrawal"}, {text: "deposit"}, {text: "transfer of"}, {text: "avail bal"},
	{text: "solde"}, {text: "montant"}, {text: "prix"}, {text: "payé"}, {text: "débité"}, {text: "crédité"},
	{text: "betrag"}, {text: "kontostand"}, {text: "preis"}, {text: "summe"}, {text: "abgebucht"},
	{text: "saldo"}, {text: "importe"}, {text: "precio"}, {text: "valor"}, {text: "preço"}, {text: "cobrado"},
	{text: "importo"}, {text: "prezzo"}, {text: "addebitat"}, {text: "bedrag"}, {text: "prijs"},
	{text: "сумма"}, {text: "сумму"}, {text: "баланс"}, {text: "остаток"}, {text: "цена"}, {text: "списано"},
	{text: "tutar"}, {text: "bakiye"}, {text: "fiyat"}, {text: "kwota"}, {text: "kwotę"},
	{text: "余额"}, {text: "金额"}, {text: "消费"}, {text: "支付"}, {text: "残高"}, {text: "金額"}, {text: "잔액"}, {text: "금액"},
	{text: "مبلغ"}, {text: "موجودی"}, {text: "الرصيد"}, {text: "رصيد"}, {text: "سعر"}, {text: "סכום"}, {text: "יתרה"},
}

// refWords introduce a number that identifies something: an order, a
// parcel, an invoice, an account, a booking, a ticket.
var refWords = []keyword{
	{text: "order"}, {text: "tracking"}, {text: "track"}, {text: "shipment"}, {text: "parcel"}, {text: "package"},
	{text: "delivery"}, {text: "invoice"}, {text: "receipt"}, {text: "reference"}, {text: "ref", whole: true},
	{text: "ref."}, {text: "ticket"}, {text: "case", whole: true}, {text: "booking"}, {text: "reservation"},
	{text: "account"}, {text: "acct"}, {text: "a/c"}, {text: "card"}, {text: "customer"}, {text: "member"},
	{text: "flight"}, {text: "room"}, {text: "seat"}, {text: "gate"}, {text: "item"}, {text: "id", whole: true},
	{text: "no.", whole: false}, {text: "nº"}, {text: "n°"}, {text: "#"}, {text: "policy"}, {text: "claim"},
	{text: "serial"}, {text: "model"}, {text: "version"}, {text: "build"}, {text: "extension"}, {text: "ext.", whole: false},
	{text: "route"}, {text: "bus"}, {text: "train"}, {text: "platform"},
	{text: "commande"}, {text: "suivi"}, {text: "colis"}, {text: "facture"}, {text: "référence"}, {text: "dossier"},
	{text: "réservation"}, {text: "compte"}, {text: "carte"}, {text: "client"}, {text: "vol", whole: true},
	{text: "bestellung"}, {text: "sendung"}, {text: "paket"}, {text: "rechnung"}, {text: "referenz"},
	{text: "buchung"}, {text: "konto"}, {text: "karte"}, {text: "kunde"}, {text: "auftrag"}, {text: "vorgang"},
	{text: "pedido"}, {text: "envío"}, {text: "paquete"}, {text: "factura"}, {text: "referencia"}, {text: "reserva"},
	{text: "cuenta"}, {text: "tarjeta"}, {text: "encomenda"}, {text: "fatura"}, {text: "conta"}, {text: "cartão"},
	{text: "ordine"}, {text: "spedizione"}, {text: "pacco"}, {text: "fattura"}, {text: "riferimento"},
	{text: "prenotazione"}, {text: "conto"}, {text: "carta"}, {text: "bestelling"}, {text: "zending"},
	{text: "pakket"}, {text: "factuur"}, {text: "referentie"}, {text: "rekening"}, {text: "kaart"},
	{text: "заказ"}, {text: "посылк"}, {text: "счет"}, {text: "счёт"}, {text: "карт"}, {text: "номер"},
	{text: "договор"}, {text: "sipariş"}, {text: "kargo"}, {text: "fatura"}, {text: "hesap"}, {text: "kart"},
	{text: "zamówien"}, {text: "przesyłk"}, {text: "faktur"}, {text: "konto"},
	{text: "订单"}, {text: "单号"}, {text: "运单"}, {text: "包裹"}, {text: "账户"}, {text: "卡号"},
	{text: "注文"}, {text: "配送"}, {text: "伝票"}, {text: "口座"}, {text: "주문"}, {text: "송장"}, {text: "계좌"},
	{text: "سفارش"}, {text: "مرسوله"}, {text: "حساب"}, {text: "کارت"}, {text: "طلب"}, {text: "الطلب"}, {text: "شحنة"},
	{text: "بطاقة"}, {text: "הזמנה"}, {text: "משלוח"}, {text: "חשבון"}, {text: "כרטיס"},
}

// maskWords say the digits that follow are the tail of a longer number.
var maskWords = []keyword{
	{text: "ending in"}, {text: "ending with"}, {text: "ends in"}, {text: "ending"}, {text: "last 4"},
	{text: "last four"}, {text: "se terminant par"}, {text: "finissant par"}, {text: "endet auf"},
	{text: "endend auf"}, {text: "terminada en"}, {text: "terminado en"}, {text: "terminado em"},
	{text: "final"}, {text: "che termina"}, {text: "eindigend op"}, {text: "оканчивающ"}, {text: "尾号"},
}

// phoneWords introduce a phone number or a short code to text.
var phoneWords = []keyword{
	{text: "call"}, {text: "phone"}, {text: "tel", whole: true}, {text: "tel."}, {text: "telephone"},
	{text: "mobile"}, {text: "hotline"}, {text: "sent to"}, {text: "fax"}, {text: "helpline"}, {text: "dial"}, {text: "stop"},
	{text: "text"}, {text: "sms to"}, {text: "contact us"}, {text: "appelez"}, {text: "téléphone"},
	{text: "anrufen"}, {text: "telefon"}, {text: "rufen sie"}, {text: "llame"}, {text: "llamar"}, {text: "teléfono"},
	{text: "ligue"}, {text: "telefone"}, {text: "chiama"}, {text: "telefono"}, {text: "bel ", whole: false},
	{text: "телефон"}, {text: "звоните"}, {text: "позвоните"}, {text: "ara", whole: true}, {text: "arayın"},
	{text: "电话"}, {text: "電話"}, {text: "致电"}, {text: "客服"}, {text: "전화"}, {text: "هاتف"}, {text: "تماس"},
	{text: "טלפון"},
}

// dateWords are month and weekday names and date particles; a number next
// to one is a date or a year.
var dateWords = []keyword{
	{text: "jan", whole: true}, {text: "january"}, {text: "feb", whole: true}, {text: "february"},
	{text: "mar", whole: true}, {text: "march"}, {text: "apr", whole: true}, {text: "april"}, {text: "may", whole: true},
	{text: "jun", whole: true}, {text: "june"}, {text: "jul", whole: true}, {text: "july"}, {text: "aug", whole: true},
	{text: "august"}, {text: "sep", whole: true}, {text: "sept"}, {text: "september"}, {text: "oct", whole: true},
	{text: "october"}, {text: "nov", whole: true}, {text: "november"}, {text: "dec", whole: true}, {text: "december"},
	{text: "monday"}, {text: "tuesday"}, {text: "wednesday"}, {text: "thursday"}, {text: "friday"},
	{text: "saturday"}, {text: "sunday"}, {text: "janvier"}, {text: "février"}, {text: "mars", whole: true},
	{text: "avril"}, {text: "mai", whole: true}, {text: "juin"}, {text: "juillet"}, {text: "août"}, {text: "septembre"},
	{text: "octobre"}, {text: "novembre"}, {text: "décembre"}, {text: "januar"}, {text: "februar"}, {text: "märz"},
	{text: "juni"}, {text: "juli"}, {text: "oktober"}, {text: "dezember"}, {text: "enero"}, {text: "febrero"},
	{text: "marzo"}, {text: "abril"}, {text: "mayo"}, {text: "junio"}, {text: "julio"}, {text: "agosto"},
	{text: "septiembre"}, {text: "octubre"}, {text: "noviembre"}, {text: "diciembre"}, {text: "janeiro"},
	{text: "fevereiro"}, {text: "março"}, {text: "maio"}, {text: "junho"}, {text: "julho"}, {text: "setembro"},
	{text: "outubro"}, {text: "novembro"}, {text: "dezembro"}, {text: "gennaio"}, {text: "febbraio"},
	{text: "aprile"}, {text: "maggio"}, {text: "giugno"}, {text: "luglio"}, {text: "settembre"}, {text: "ottobre"},
	{text: "dicembre"}, {text: "januari"}, {text: "februari"}, {text: "maart"}, {text: "mei", whole: true},
	{text: "augustus"}, {text: "янв"}, {text: "фев"}, {text: "мар"}, {text: "апр"}, {text: "мая"}, {text: "июн"},
	{text: "июл"}, {text: "авг"}, {text: "сен"}, {text: "окт"}, {text: "ноя"}, {text: "дек"}, {text: "ocak"},
	{text: "şubat"}, {text: "nisan"}, {text: "haziran"}, {text: "temmuz"}, {text: "ağustos"}, {text: "eylül"},
	{text: "ekim"}, {text: "kasım"}, {text: "aralık"}, {text: "年"}, {text: "月"}, {text: "日"}, {text: "년"},
	{text: "г.", whole: false}, {text: "year"}, {text: "année"}, {text: "jahr"}, {text: "año"}, {text: "ano", whole: true},
	{text: "anno"}, {text: "since"}, {text: "depuis"}, {text: "seit"}, {text: "desde"}, {text: "dal", whole: true},
	{text: "©"}, {text: "(c)"}, {text: "copyright"}, {text: "date"}, {text: "datum"}, {text: "fecha"}, {text: "data"},
}

// addressWords surround street addresses and postcodes.
var addressWords = []keyword{
	{text: "street"}, {text: "st.", whole: false}, {text: "avenue"}, {text: "ave", whole: true}, {text: "road"},
	{text: "rd", whole: true}, {text: "blvd"}, {text: "suite"}, {text: "floor"}, {text: "drive"}, {text: "way", whole: true},
	{text: "p.o. box"}, {text: "po box"}, {text: "rue"}, {text: "cedex"}, {text: "straße"}, {text: "strasse"},
	{text: "str.", whole: false}, {text: "calle"}, {text: "avenida"}, {text: "rua"}, {text: "via", whole: true},
	{text: "piazza"}, {text: "straat"}, {text: "laan"}, {text: "inc", whole: true}, {text: "inc."}, {text: "ltd"},
	{text: "gmbh"}, {text: "llc"}, {text: "corporation"}, {text: "unlimited company"}, {text: "s.a.", whole: false},
	{text: "b.v.", whole: false}, {text: "ca", whole: true}, {text: "ny", whole: true}, {text: "wa", whole: true},
	{text: "tx", whole: true}, {text: "dublin"}, {text: "sunnyvale"}, {text: "menlo park"}, {text: "mountain view"},
	{text: "redmond"}, {text: "seattle"}, {text: "san francisco"}, {text: "palo alto"}, {text: "paris"},
	{text: "berlin"}, {text: "münchen"}, {text: "madrid"}, {text: "london"}, {text: "ireland"}, {text: "usa", whole: true},
	{text: "city"}, {text: "cidade"}, {text: "ville"},
}

// footerWords mark where a mail's footer starts; numbers after them are
// addresses, years and legal boilerplate.
var footerWords = []string{
	"unsubscribe", "all rights reserved", "©", "copyright", "you are receiving", "you're receiving",
	"this email was intended for", "this email was sent to", "this message was sent to",
	"notification settings", "privacy policy", "se désinscrire", "désabonner", "tous droits réservés",
	"abbestellen", "abmelden", "alle rechte vorbehalten", "darse de baja", "cancelar suscripción",
	"todos los derechos reservados", "cancelar inscrição", "annulla iscrizione", "disiscriviti",
	"tutti i diritti riservati", "afmelden", "uitschrijven", "отписаться", "все права защищены",
	"退订", "配信停止", "수신거부", "abonelikten çık", "wypisz się",
}
