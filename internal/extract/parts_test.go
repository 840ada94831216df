package extract

import (
	"slices"
	"testing"
)

func TestNormalizeFoldsDigitsSpacesAndInvisibles(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Code ٨٠٤٧٠٦", "code 804706"},
		{"کد ۵۱۲۹۰۸", "کد 512908"},
		{"コード：６０３８１２", "コード:603812"},
		{"80\u200b47\u200c06", "804706"},
		{"123\u00a0456", "123 456"},
		{"123\u2013456", "123-456"},
		{"line\r\nnext", "line\nnext"},
		{"验证码：123456，5分钟", "验证码:123456， 5分钟"},
	}
	for _, tt := range tests {
		if got := normalize(tt.in); got != tt.want {
			t.Errorf("normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFindCandidatesKeepsCodeFormsOnly(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"code 804706", []string{"804706"}},
		{"code 123 456 or 123-456", []string{"123456", "123456"}},
		{"code 8 0 4 7 0 6", []string{"804706"}},
		{"G-123456", []string{"123456"}},
		{"call +44 20 7946 0958", nil},
		{"call 555-1234 or 06 12 34 56 78", []string{"5551234"}},
		{"on 12/05/2025 at 10:32", nil},
		{"total 1,250.00 or 12.05.2025", nil},
		{"see https://x.example/a/123456 or me123456@example.com", nil},
		{"card ****4821", nil},
		{"<#> 458825 H29Q+Fsn4Sr", []string{"458825"}},
		{"code 5xv8x3ck, not bday2025", []string{"5xv8x3ck"}},
		{"123456789 and 123 are codes only after a code word", []string{"123", "123456789"}},
		{"@linkedin.com #804706", []string{"804706", "804706"}},
	}
	for _, tt := range tests {
		var got []string
		lower, cased := normalizeCased(tt.in)
		for _, c := range findCandidates(lower, cased, nil) {
			got = append(got, c.code)
		}
		slices.Sort(got)
		slices.Sort(tt.want)
		if !slices.Equal(got, tt.want) {
			t.Errorf("findCandidates(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHTMLToTextKeepsSplitDigitsReadable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>Code:</p><p><span>80</span><span>4706</span></p>", "Code:\n804706"},
		{"<table><tr><td>8</td><td>0</td><td>4</td></tr></table>", "8 0 4"},
		{"<div>3</div><div>9</div><div>1</div>", "3 9 1"},
		{"<b>Code</b>123456", "Code 123456"},
		{"<head><title>t 111111</title><style>.a{width:600px}</style></head><p>x</p>", "x"},
		{"<p>a&nbsp;b &amp; c</p><script>var n=123456</script>", "a\u00a0b & c"},
		{"<span>4</span> <span>0</span>", "4 0"},
	}
	for _, tt := range tests {
		if got := htmlToText(tt.in); got != tt.want {
			t.Errorf("htmlToText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnwrapTakesOffForwardHeaders(t *testing.T) {
	tests := []struct {
		name, in            string
		from, subject, body string
	}{
		{"gmail", "FYI\n\n---------- Forwarded message ---------\nFrom: LinkedIn <s@linkedin.com>\nDate: Mon, May 12, 2025 at 10:32 AM\nSubject: Your code 311972\nTo: <j@gmail.com>\n\nHi\n",
			"LinkedIn <s@linkedin.com>", "Your code 311972", "FYI\n\n\nHi\n"},
		{"outlook", "________________________________\nFrom: Instagram <security@mail.instagram.com>\nSent: Monday, May 12, 2025 10:32 AM\nTo: j@outlook.com\nSubject: 284917 is your Instagram code\n\nbody\n",
			"Instagram <security@mail.instagram.com>", "284917 is your Instagram code", "\nbody\n"},
		{"french quoted", "> De : X <verify@x.com>\n> Date: lun. 12 mai 2025\n> Objet : Code\n>\n> 478120\n",
			"X <verify@x.com>", "Code", "\n 478120\n"},
		{"one header-like line stays", "Code: 123456\nbye\n", "", "", "Code: 123456\nbye\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := unwrap(tt.in)
			if u.from != tt.from || u.subject != tt.subject || u.body != tt.body {
				t.Errorf("unwrap = %+v\nwant from %q subject %q body %q", u, tt.from, tt.subject, tt.body)
			}
		})
	}
}

func TestLooksLikeMessage(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"From: a@b.c\r\nSubject: x\r\n\r\nbody", true},
		{"Received: from x\r\n\tby y\r\nX-Thing: 1\r\n\r\nbody", true},
		{"Code: 123456\nYour code", false},
		{"Your code is 123456", false},
		{" folded: first", false},
	}
	for _, tt := range tests {
		if got := looksLikeMessage([]byte(tt.in)); got != tt.want {
			t.Errorf("looksLikeMessage(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestServiceFromSenderAndText(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"LinkedIn <security-noreply@linkedin.com>", ServiceLinkedIn},
		{"Instagram <security@mail.instagram.com>", ServiceInstagram},
		{"Facebook <security@facebookmail.com>", ServiceMessenger},
		{"X <info@x.com>", ServiceTwitter},
		{"Jane <jane@gmail.com>", ""},
		{"Jane via LinkedIn <jane@example.org>", ServiceLinkedIn},
	}
	for _, tt := range tests {
		if got := serviceForAddress(tt.addr); got != tt.want {
			t.Errorf("serviceForAddress(%q) = %q, want %q", tt.addr, got, tt.want)
		}
	}
	// The four networks win over other names, Meta only when none is named.
	if got := serviceInText(normalize("Google sign-in for your Instagram account, from Meta")); got != ServiceInstagram {
		t.Errorf("got %q, want INSTAGRAM", got)
	}
	if got := serviceInText(normalize("your Meta account")); got != ServiceMessenger {
		t.Errorf("got %q, want MESSENGER", got)
	}
}

func TestResultWithoutCodeSaysWhy(t *testing.T) {
	tests := []struct{ in, reason string }{
		{"", ReasonEmpty},
		{" \n\t", ReasonEmpty},
		{"Your parcel arrives tomorrow.", ReasonNoCode},
		{"Your code is 482913 or 771204", ReasonAmbiguous},
	}
	for _, tt := range tests {
		if r := SMS(tt.in); r.Code != "" || r.Reason != tt.reason || r.Confidence != 0 {
			t.Errorf("SMS(%q) = %+v, want no code, reason %q", tt.in, r, tt.reason)
		}
	}
}
