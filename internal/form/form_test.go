package form

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

func render(t *testing.T, p Page) string {
	t.Helper()
	var b strings.Builder
	if err := Render(&b, p); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return b.String()
}

func renderNotice(t *testing.T, n Notice) string {
	t.Helper()
	var b strings.Builder
	if err := RenderNotice(&b, n); err != nil {
		t.Fatalf("RenderNotice: %v", err)
	}
	return b.String()
}

var styleRe = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// The browser applies the inline style only if its bytes, as served, hash
// to the value in the CSP; a template that escaped or trimmed it would
// leave the page unstyled without any error.
func TestServedStyleMatchesCSPHash(t *testing.T) {
	pages := map[string]string{
		"form":   render(t, Page{Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.TypeSMS, CanSubmitCode: true}),
		"notice": renderNotice(t, NoticeExpired),
	}
	for name, html := range pages {
		m := styleRe.FindAllStringSubmatch(html, -1)
		if len(m) != 1 {
			t.Fatalf("%s: %d <style> elements, want 1", name, len(m))
		}
		sum := sha256.Sum256([]byte(m[0][1]))
		want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !strings.Contains(CSP, "style-src "+want) {
			t.Errorf("%s: CSP %q does not allow the served style (hash %s)", name, CSP, want)
		}
	}
}

func TestCSPIsStrict(t *testing.T) {
	for _, want := range []string{"default-src 'none'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(CSP, want) {
			t.Errorf("CSP %q lacks %q", CSP, want)
		}
	}
	if strings.Contains(CSP, "unsafe") {
		t.Errorf("CSP %q allows unsafe sources", CSP)
	}
	h := Headers()
	for k, v := range map[string]string{
		"Content-Security-Policy": CSP,
		"Referrer-Policy":         "no-referrer",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
	} {
		if h[k] != v {
			t.Errorf("header %s = %q, want %q", k, h[k], v)
		}
	}
}

var externalRe = regexp.MustCompile(`(?i)(https?:|//[a-z0-9]|<script|<img|<link|<iframe|url\()`)

func TestPagesLoadNothingExternal(t *testing.T) {
	all := Page{Provider: checkpoint.ProviderInstagram, Type: checkpoint.TypeOTPOrInAppValidation,
		CanSubmitCode: true, CanResend: true, CanTryAnotherWay: true, CanApprove: true, State: StateWrongCode, TriesLeft: 2}
	pages := []string{render(t, all)}
	for _, n := range []Notice{NoticeNotFound, NoticeExpired, NoticeLocked, NoticeForbidden, NoticeInternal} {
		pages = append(pages, renderNotice(t, n))
	}
	for _, p := range pages {
		if m := externalRe.FindString(p); m != "" {
			t.Errorf("page references %q:\n%s", m, p)
		}
	}
}

func TestButtonsFollowFlags(t *testing.T) {
	buttons := map[string]string{
		"code":            `value="code"`,
		"resend":          `value="resend"`,
		"try_another_way": `value="try_another_way"`,
		"approved":        `value="approved"`,
	}
	cases := []struct {
		name string
		page Page
		want []string
	}{
		{"code only", Page{CanSubmitCode: true}, []string{"code"}},
		{"postpress sms", Page{CanSubmitCode: true, CanResend: true, CanTryAnotherWay: true}, []string{"code", "resend", "try_another_way"}},
		{"in-app", Page{CanApprove: true}, []string{"approved"}},
		{"code or in-app", Page{CanSubmitCode: true, CanApprove: true}, []string{"code", "approved"}},
		{"nothing", Page{}, nil},
		{"connected hides all", Page{CanSubmitCode: true, CanResend: true, State: StateConnected}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.page.Provider, tc.page.Type = checkpoint.ProviderLinkedIn, checkpoint.TypeSMS
			html := render(t, tc.page)
			for name, marker := range buttons {
				want := false
				for _, w := range tc.want {
					want = want || w == name
				}
				if got := strings.Contains(html, marker); got != want {
					t.Errorf("button %s shown=%v, want %v", name, got, want)
				}
			}
			if got, want := strings.Contains(html, `id="code"`), tc.page.CanSubmitCode && tc.page.State != StateConnected; got != want {
				t.Errorf("code field shown=%v, want %v", got, want)
			}
		})
	}
}

func TestCodeFieldAttributes(t *testing.T) {
	html := render(t, Page{Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.TypeEmail, CanSubmitCode: true})
	for _, want := range []string{
		`<html lang="en">`,
		`<label for="code">`,
		`autocomplete="one-time-code"`,
		`inputmode="numeric"`,
		`pattern="[0-9A-Za-z \-]{3,16}"`,
		// Letter codes can be case-sensitive: the keyboard must not
		// capitalise what is typed.
		`autocapitalize="off"`,
		`name="viewport"`,
		`aria-live="polite"`,
		` autofocus`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// The page posts to its own URL so the token is never written into it.
	if strings.Contains(html, "action=\"") {
		t.Errorf("form has an action attribute")
	}
}

func TestResultMessages(t *testing.T) {
	base := Page{Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.TypeSMS, CanSubmitCode: true}
	cases := []struct {
		state     State
		triesLeft int
		want      string
		codeField bool
	}{
		{StateConnected, 0, "You&#39;re connected", false},
		{StateWrongCode, 3, "Wrong code, 3 tries left", true},
		{StateWrongCode, 1, "Wrong code, 1 try left", true},
		{StateRestart, 0, "This sign-in has expired", false},
		{StateResent, 0, "A new code is on its way", true},
		{StateNextCheckpoint, 0, "One more step", true},
		{StatePending, 0, "Not approved yet", true},
		{StateRetry, 0, "did not answer", true},
		{StateBadCode, 0, "Type the code", true},
		{StateClosed, 0, "This sign-in is finished", false},
	}
	for _, tc := range cases {
		t.Run(string(tc.state), func(t *testing.T) {
			p := base
			p.State, p.TriesLeft = tc.state, tc.triesLeft
			html := render(t, p)
			if !strings.Contains(html, tc.want) {
				t.Errorf("page lacks %q:\n%s", tc.want, html)
			}
			if !strings.Contains(html, `role="status"`) {
				t.Errorf("result is not a status region")
			}
			if got := strings.Contains(html, `id="code"`); got != tc.codeField {
				t.Errorf("code field shown=%v, want %v", got, tc.codeField)
			}
		})
	}
}

func TestDetailIsEscaped(t *testing.T) {
	html := render(t, Page{State: StateRejected, Detail: `<b onmouseover="x">restricted</b>`})
	if strings.Contains(html, "<b ") || !strings.Contains(html, "&lt;b") {
		t.Errorf("detail not escaped:\n%s", html)
	}
}

func TestExpiryRoundsUp(t *testing.T) {
	html := render(t, Page{CanSubmitCode: true, ExpiresIn: 20 * time.Second})
	if !strings.Contains(html, "about 1 more minute.") {
		t.Errorf("expiry line missing or wrong:\n%s", html)
	}
	html = render(t, Page{CanSubmitCode: true, ExpiresIn: 4*time.Minute + time.Second})
	if !strings.Contains(html, "about 5 more minutes.") {
		t.Errorf("expiry line missing or wrong:\n%s", html)
	}
	if html := render(t, Page{CanSubmitCode: true}); strings.Contains(html, "more minute") {
		t.Errorf("expiry shown without a deadline")
	}
}

func TestFocusGoesWhereThePersonActsNext(t *testing.T) {
	codeFocused := regexp.MustCompile(`<input id="code"[^>]* autofocus`)
	resultFocused := regexp.MustCompile(`<div id="result"[^>]* autofocus`)
	cases := []struct {
		name         string
		page         Page
		code, result bool
	}{
		{"fresh code form", Page{CanSubmitCode: true}, true, false},
		{"wrong code", Page{CanSubmitCode: true, State: StateWrongCode, TriesLeft: 2}, true, false},
		{"not approved yet", Page{CanSubmitCode: true, CanApprove: true, State: StatePending}, false, true},
		{"connected", Page{State: StateConnected}, false, true},
	}
	for _, tc := range cases {
		html := render(t, tc.page)
		if got := codeFocused.MatchString(html); got != tc.code {
			t.Errorf("%s: code field focused=%v, want %v", tc.name, got, tc.code)
		}
		if got := resultFocused.MatchString(html); got != tc.result {
			t.Errorf("%s: result focused=%v, want %v", tc.name, got, tc.result)
		}
	}
}

// An in-app approval page leads with "I approved it in the app", keeps any
// code field second and unfocused, and reloads itself while the relay
// polls; a code page never reloads by itself.
func TestInAppPageLeadsWithApproval(t *testing.T) {
	primaryApprove := regexp.MustCompile(`<button [^>]*value="approved"[^>]*class="primary"`)
	primaryCode := regexp.MustCompile(`<button [^>]*value="code"[^>]*class="primary"`)
	refresh := regexp.MustCompile(`<meta http-equiv="refresh" content="5;url=\?">`)
	cases := []struct {
		name                        string
		page                        Page
		approveFirst, field, reload bool
	}{
		{"in-app only", Page{Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.TypeInAppValidation, CanApprove: true}, true, false, true},
		{"in-app or code", Page{Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.TypeOTPOrInAppValidation, CanApprove: true, CanSubmitCode: true}, true, true, true},
		{"not approved yet", Page{Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.TypeInAppValidation, CanApprove: true, State: StatePending}, true, false, true},
		{"code only", Page{Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.TypeSMS, CanSubmitCode: true}, false, true, false},
		{"connected", Page{Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.TypeInAppValidation, State: StateConnected}, false, false, false},
	}
	for _, tc := range cases {
		html := render(t, tc.page)
		if got := primaryApprove.MatchString(html); got != tc.approveFirst {
			t.Errorf("%s: approve is the main action=%v, want %v", tc.name, got, tc.approveFirst)
		}
		if tc.approveFirst && primaryCode.MatchString(html) {
			t.Errorf("%s: Submit code is a main action beside the approval", tc.name)
		}
		if got := strings.Contains(html, `<input id="code"`); got != tc.field {
			t.Errorf("%s: code field shown=%v, want %v", tc.name, got, tc.field)
		}
		if tc.approveFirst && tc.field {
			if strings.Index(html, `value="approved"`) > strings.Index(html, `<input id="code"`) {
				t.Errorf("%s: the code field comes before the approval", tc.name)
			}
			if regexp.MustCompile(`<input id="code"[^>]* autofocus`).MatchString(html) {
				t.Errorf("%s: the code field takes focus on an in-app page", tc.name)
			}
		}
		if got := refresh.MatchString(html); got != tc.reload {
			t.Errorf("%s: reloads itself=%v, want %v", tc.name, got, tc.reload)
		}
		if strings.Contains(html, "press the button below") {
			t.Errorf("%s: the text points at a button by position", tc.name)
		}
	}
}
