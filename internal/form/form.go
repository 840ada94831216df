// Package form renders the hosted form: the small page an end user opens
// from a magic link on a phone to type a checkpoint code, ask for a new one,
// switch to another way, or say the sign-in was approved in the app.
//
// The page is self-contained: one inline stylesheet allowed by its SHA-256
// hash in the Content-Security-Policy, no script, no image, no external URL.
// Nothing on it names the link token (the form posts to its own URL) and a
// typed code is never written back into it.
package form

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// State is what the page reports above the form after an action, or why
// the form is not offered at all.
type State string

const (
	// StateNone: a fresh page, nothing to report.
	StateNone State = ""
	// StateConnected: the code was accepted and the account connected.
	StateConnected State = "connected"
	// StateWrongCode: the code was refused; Page.TriesLeft more are accepted.
	StateWrongCode State = "wrong_code"
	// StateRestart: the checkpoint can no longer be solved; the app must
	// start the connection again.
	StateRestart State = "restart"
	// StateResent: the provider sent a new code.
	StateResent State = "resent"
	// StateNextCheckpoint: the code was accepted but the provider asks for
	// another step, of type Page.Type.
	StateNextCheckpoint State = "next_checkpoint"
	// StatePending: the in-app approval has not been given yet.
	StatePending State = "pending"
	// StateRejected: the provider refused for good; a person must look.
	StateRejected State = "rejected"
	// StateRetry: the provider did not answer; the same action may be tried
	// again.
	StateRetry State = "retry"
	// StateBadCode: what was typed is not a code (empty, or not letters and
	// digits); nothing was sent.
	StateBadCode State = "bad_code"
	// StateClosed: the checkpoint already ended another way.
	StateClosed State = "closed"
	// StateChecking: the code was taken and the provider has not answered
	// yet; the page reloads itself (Page.CheckID) until it has.
	StateChecking State = "checking"
)

// CheckEvery is how often a "Checking your code…" page reloads itself.
const CheckEvery = 2 * time.Second

// WatchEvery is how often an in-app approval page reloads itself while the
// relay polls the provider, so it shows the live state (connected, expired)
// without the person pressing anything and without JavaScript. A reload
// only reads the checkpoint: it never calls the provider.
const WatchEvery = 5 * time.Second

// Page is everything the form page shows.
type Page struct {
	Provider checkpoint.Provider
	Type     checkpoint.Type
	// ExpiresIn is how long the code can still be entered; zero or less
	// hides the line.
	ExpiresIn time.Duration
	// The buttons offered; code entry brings the Submit button with it.
	// Only Submit has the browser check the code field: the others post
	// with formnovalidate, since they need no code.
	CanSubmitCode    bool
	CanResend        bool
	CanTryAnotherWay bool
	CanApprove       bool
	// TriesLeft is how many more wrong codes are accepted (shown with
	// StateWrongCode).
	TriesLeft int
	State     State
	// Detail is an optional extra sentence from the relay, shown under the
	// state's own message when it adds something (a rejection reason).
	Detail string
	// CSRF is the value of the hidden csrf field.
	CSRF string
	// CheckID names the code being checked (StateChecking): the page
	// reloads its own URL with ?check=<CheckID>, without JavaScript
	// (<meta http-equiv="refresh">).
	CheckID string
}

// Notice is a page without a form: an unknown or expired link, a refused
// request. Status is the HTTP status it is served with.
type Notice struct {
	Status int
	Title  string
	Body   string
	// Reload adds a link back to the form's own URL, for notices the user
	// can recover from by loading the page again.
	Reload bool
}

// The notices the form handler serves. They say what the person can do,
// never why in technical terms.
var (
	NoticeNotFound = Notice{Status: 404, Title: "This link does not work",
		Body: "Check that you opened the whole link, or ask the app for a new one."}
	NoticeExpired = Notice{Status: 410, Title: "This link has expired",
		Body: "The sign-in took too long. Start connecting your account again in the app."}
	NoticeLocked = Notice{Status: 429, Title: "Too many wrong codes",
		Body: "For your security this link is locked. Start connecting your account again in the app."}
	NoticeForbidden = Notice{Status: 403, Title: "Please reload the page",
		Body: "This page was open for too long or cookies are blocked. Reload it and try again.", Reload: true}
	NoticeTooLarge = Notice{Status: 413, Title: "That was too much",
		Body: "The form sent more than a code. Reload the page and try again.", Reload: true}
	NoticeBadRequest = Notice{Status: 400, Title: "Something was missing",
		Body: "The form could not be read. Reload the page and try again.", Reload: true}
	NoticeUnsupported = Notice{Status: 415, Title: "Something was missing",
		Body: "The form could not be read. Reload the page and try again.", Reload: true}
	NoticeMethod = Notice{Status: 405, Title: "Open the link in a browser",
		Body: "This address only serves the code form.", Reload: true}
	NoticeInternal = Notice{Status: 500, Title: "Something went wrong on our side",
		Body: "Nothing was lost. Wait a moment, then reload the page and try again.", Reload: true}
)

// style is the page's only stylesheet. Its hash is in the CSP, so any change
// here changes the header too (see CSP); no 'unsafe-inline' is needed.
//
// Mobile first: one column, 1rem body text that the user can zoom, touch
// targets of at least 48px, a visible focus ring on what can be operated
// (not on the heading or result that only take focus to be read), and dark
// mode.
const style = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#57606a;--line:#8c959f;--accent:#0a58ca;--accent-fg:#fff;--ok:#116329;--ok-bg:#dafbe1;--bad:#a40e26;--bad-bg:#ffebe9;--info:#0a3069;--info-bg:#ddf4ff}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9da7b3;--line:#6e7681;--accent:#4493f8;--accent-fg:#0d1117;--ok:#7ee787;--ok-bg:#0f2a18;--bad:#ffa198;--bad-bg:#3b1114;--info:#a5d6ff;--info-bg:#0c2d6b}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:28rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .5rem}
p{margin:0 0 1rem}
.muted{color:var(--muted);font-size:.9375rem}
.result{border-left:.375rem solid;border-radius:.5rem;padding:.875rem 1rem;margin:0 0 1.25rem}
.result:focus,h1:focus{outline:none}
.result p{margin:0}
.result p+p{margin-top:.25rem}
.result strong{font-size:1.125rem}
.ok{color:var(--ok);background:var(--ok-bg)}
.bad{color:var(--bad);background:var(--bad-bg)}
.info{color:var(--info);background:var(--info-bg)}
label{display:block;font-weight:600;margin:0 0 .375rem}
input{display:block;width:100%;min-height:3.5rem;padding:.5rem .75rem;font:inherit;font-size:1.75rem;letter-spacing:.2em;text-align:center;color:inherit;background:var(--bg);border:2px solid var(--line);border-radius:.5rem}
.hint{margin:.375rem 0 1rem}
button{display:block;width:100%;min-height:3rem;margin:0 0 .75rem;padding:.625rem 1rem;font:inherit;font-weight:600;border-radius:.5rem;border:2px solid var(--accent);background:transparent;color:var(--accent);cursor:pointer;touch-action:manipulation}
button.primary{background:var(--accent);color:var(--accent-fg)}
.more{margin-top:1.5rem}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
a{color:var(--accent)}
`

// CSP is the Content-Security-Policy of every page of the form: nothing may
// load, the one inline stylesheet is allowed by hash, the form may only
// post to this origin, the page may not be framed (no clickjacking of the
// buttons) and a <base> cannot redirect the form.
var CSP = "default-src 'none'; style-src '" + styleHash() + "'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

func styleHash() string {
	sum := sha256.Sum256([]byte(style))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// Headers returns the response headers of every form page, a fresh map the
// caller may extend. no-referrer keeps the link token, which is in the
// URL, out of any Referer; no-store keeps the page out of caches and the
// back/forward cache.
func Headers() map[string]string {
	return map[string]string{
		"Content-Type":               "text/html; charset=utf-8",
		"Content-Security-Policy":    CSP,
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "no-referrer",
		"Cache-Control":              "no-store",
		"X-Frame-Options":            "DENY",
		"Cross-Origin-Opener-Policy": "same-origin",
	}
}

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
}).Parse(layout + pageBody))

var noticeTmpl = template.Must(template.New("page").Parse(layout + noticeBody))

// layout is shared by the form and the notices. The style is inserted as
// template.CSS so it is written byte for byte as hashed.
const layout = `{{define "page"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex,nofollow">
<title>{{template "title" .}}</title>
{{- template "head" .}}
<style>{{.Style}}</style>
</head>
<body>
<main>
{{template "main" .}}
</main>
</body>
</html>
{{end}}`

// pageBody is the form. The result is a live region and, when the page
// answers an action, it takes focus (or the code field does, described by
// it) so a screen reader reads it at once after the full-page POST.
const pageBody = `{{define "head"}}{{if .CheckID}}
<meta http-equiv="refresh" content="{{.RefreshSeconds}};url=?check={{.CheckID}}">{{else if .Watching}}
<meta http-equiv="refresh" content="{{.RefreshSeconds}};url=?">{{end}}{{end}}
{{define "title"}}{{if .Done}}{{.Result.Title}}{{else}}Confirm your {{.ProviderName}} sign-in{{end}}{{end}}
{{define "main"}}<h1>{{if .Done}}{{.Result.Title}}{{else}}Confirm your {{.ProviderName}} sign-in{{end}}</h1>
{{- with .Result}}
<div id="result" class="result {{.Tone}}" role="status" aria-live="polite" tabindex="-1"{{if $.FocusResult}} autofocus{{end}}>
{{- if not $.Done}}<p><strong>{{.Title}}</strong></p>{{end}}
{{- range .Lines}}<p>{{.}}</p>{{end}}
</div>
{{- else}}
<div id="result" role="status" aria-live="polite"></div>
{{- end}}
{{- if .Open}}
<p>{{.Instruction}}</p>
{{- if gt .ExpiresMinutes 0}}
<p class="muted">This link works for about {{.ExpiresMinutes}} more {{plural .ExpiresMinutes "minute" "minutes"}}.</p>
{{- end}}
<form method="post">
<input type="hidden" name="csrf" value="{{.CSRF}}">
{{- if .CanApprove}}
<button type="submit" name="action" value="approved" formnovalidate class="primary">I approved it in the app</button>
{{- if .CanSubmitCode}}
<div class="more">
<label for="code">Or type the code {{.ProviderName}} sent you</label>
{{template "code" .}}
<button type="submit" name="action" value="code">Submit code</button>
</div>
{{- end}}
{{- else if .CanSubmitCode}}
<label for="code">{{.CodeLabel}}</label>
{{template "code" .}}
<button type="submit" name="action" value="code" class="primary">Submit code</button>
{{- end}}
{{- if or .CanResend .CanTryAnotherWay}}
<div class="more">
{{- if .CanResend}}
<button type="submit" name="action" value="resend" formnovalidate>Resend the code</button>
{{- end}}
{{- if .CanTryAnotherWay}}
<button type="submit" name="action" value="try_another_way" formnovalidate>Try another way</button>
{{- end}}
</div>
{{- end}}
</form>
{{- end}}
{{- end}}
{{define "code"}}<input id="code" name="code" type="text" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9A-Za-z \-]{3,16}" minlength="3" maxlength="16" autocapitalize="off" autocorrect="off" spellcheck="false" enterkeyhint="done" required aria-describedby="code-hint{{if .Result}} result{{end}}"{{if .FocusCode}} autofocus{{end}}>
<p id="code-hint" class="hint muted">Letters and digits, as written in the message.</p>
{{- end}}`

const noticeBody = `{{define "head"}}{{end}}
{{define "title"}}{{.Title}}{{end}}
{{define "main"}}<h1 id="title" tabindex="-1" autofocus>{{.Title}}</h1>
<p>{{.Body}}</p>
{{- if .Reload}}
<p><a href="">Reload the page</a></p>
{{- end}}
{{- end}}`

// result is one state's message as the page shows it.
type result struct {
	Title string
	Lines []string
	Tone  string // ok, bad, info
}

// pageData is what the template sees.
type pageData struct {
	Page
	Style          template.CSS
	ProviderName   string
	Instruction    string
	CodeLabel      string
	ExpiresMinutes int
	RefreshSeconds int
	Result         *result
	// Done: the checkpoint is over (connected, restart, closed); the
	// heading is the result and no form is shown.
	Done bool
	// Open: the form is shown (some action is offered).
	Open bool
	// Watching: an in-app approval is awaited; the page reloads itself
	// every WatchEvery to show the live state.
	Watching    bool
	FocusResult bool
	FocusCode   bool
}

// Render writes the form page.
func Render(w io.Writer, p Page) error {
	d := pageData{
		Page:         p,
		Style:        template.CSS(style),
		ProviderName: ProviderName(p.Provider),
		Instruction:  instruction(p),
		CodeLabel:    codeLabel(p.Type),
		Result:       resultFor(p),
	}
	if p.ExpiresIn > 0 {
		// Round up: "about 1 more minute" with 20 s left is kinder than 0.
		d.ExpiresMinutes = int((p.ExpiresIn + time.Minute - 1) / time.Minute)
	}
	switch p.State {
	case StateConnected, StateRestart, StateClosed:
		d.Done = true
	case StateChecking:
		d.RefreshSeconds = int(CheckEvery / time.Second)
	default:
		d.CheckID = "" // only a page that is checking reloads itself
	}
	d.Open = !d.Done && p.State != StateChecking && (p.CanSubmitCode || p.CanResend || p.CanTryAnotherWay || p.CanApprove)
	if d.Open && p.CanApprove && d.CheckID == "" {
		d.Watching = true
		d.RefreshSeconds = int(WatchEvery / time.Second)
	}
	// Focus goes where the person acts next: the code field when a code is
	// wanted (its description includes the result), else the result. After
	// "not approved yet" the next act is in the other app, so the result
	// takes focus rather than a field that would pop up the keyboard; on an
	// in-app page the code is the second way, so it never takes focus.
	d.FocusCode = d.Open && p.CanSubmitCode && !p.CanApprove && p.State != StatePending
	d.FocusResult = d.Result != nil && !d.FocusCode
	var buf bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&buf, "page", d); err != nil {
		return fmt.Errorf("render form: %w", err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// RenderNotice writes a page without a form.
func RenderNotice(w io.Writer, n Notice) error {
	var buf bytes.Buffer
	err := noticeTmpl.ExecuteTemplate(&buf, "page", struct {
		Notice
		Style template.CSS
	}{n, template.CSS(style)})
	if err != nil {
		return fmt.Errorf("render notice: %w", err)
	}
	_, err = buf.WriteTo(w)
	return err
}

func resultFor(p Page) *result {
	var r result
	switch p.State {
	case StateNone:
		return nil
	case StateConnected:
		r = result{Title: "You're connected", Tone: "ok",
			Lines: []string{"Your " + ProviderName(p.Provider) + " account is connected. You can close this page."}}
	case StateWrongCode:
		r = result{Title: "Wrong code", Tone: "bad"}
		switch {
		case p.TriesLeft == 1:
			r.Title = "Wrong code, 1 try left"
		case p.TriesLeft > 1:
			r.Title = fmt.Sprintf("Wrong code, %d tries left", p.TriesLeft)
		}
		r.Lines = []string{"Check the latest message and type its code."}
	case StateRestart:
		r = result{Title: "This sign-in has expired", Tone: "bad",
			Lines: []string{"Start connecting your account again in the app."}}
	case StateResent:
		r = result{Title: "A new code is on its way", Tone: "info",
			Lines: []string{"Type the code from the newest message; older codes no longer work."}}
	case StateNextCheckpoint:
		r = result{Title: "One more step", Tone: "info",
			Lines: []string{ProviderName(p.Provider) + " accepted that and asks for one more confirmation."}}
	case StatePending:
		r = result{Title: "Not approved yet", Tone: "info",
			Lines: []string{"Approve the sign-in in the " + ProviderName(p.Provider) + " app. This page checks again by itself every few seconds."}}
	case StateRejected:
		r = result{Title: "This can't be finished here", Tone: "bad",
			Lines: []string{"The app will tell you what to do next."}}
	case StateRetry:
		r = result{Title: ProviderName(p.Provider) + " did not answer", Tone: "bad",
			Lines: []string{"Nothing was lost. Wait a moment and try again."}}
	case StateBadCode:
		r = result{Title: "Type the code", Tone: "bad",
			Lines: []string{"Use the letters and digits of the code, at least 3."}}
	case StateClosed:
		r = result{Title: "This sign-in is finished", Tone: "info",
			Lines: []string{"There is nothing left to do here. You can close this page."}}
	case StateChecking:
		r = result{Title: "Checking your code…", Tone: "info",
			Lines: []string{ProviderName(p.Provider) + " has not answered yet. This page updates itself in a moment."}}
	default:
		r = result{Title: "Done", Tone: "info"}
	}
	if d := strings.TrimSpace(p.Detail); d != "" && !containsFold(r.Lines, d) && !strings.EqualFold(d, r.Title) {
		r.Lines = append(r.Lines, d)
	}
	return &r
}

func containsFold(lines []string, s string) bool {
	for _, l := range lines {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}

// ProviderName is the provider as people know it.
func ProviderName(p checkpoint.Provider) string {
	switch p {
	case checkpoint.ProviderLinkedIn:
		return "LinkedIn"
	case checkpoint.ProviderInstagram:
		return "Instagram"
	case checkpoint.ProviderTwitter:
		return "X"
	case checkpoint.ProviderMessenger:
		return "Messenger"
	}
	return "your account's"
}

// instruction says in one sentence what the checkpoint type asks for.
func instruction(p Page) string {
	name := ProviderName(p.Provider)
	switch p.Type {
	case checkpoint.TypeSMS, checkpoint.TypePhoneRegister:
		return name + " sent a code by text message. Type it below."
	case checkpoint.TypeEmail:
		return name + " sent a code by email. Type it below."
	case checkpoint.Type2FA:
		return "Open your authenticator app and type the " + name + " code it shows."
	case checkpoint.TypeInAppValidation, checkpoint.TypeAppChallenge:
		if p.CanApprove {
			return "Open the " + name + " app on your phone and approve the sign-in. This page updates by itself once " + name + " confirms it."
		}
		return "Open the " + name + " app on your phone and approve the sign-in."
	case checkpoint.TypeOTPOrInAppValidation:
		return "Approve the sign-in in the " + name + " app, or type the code " + name + " sent you."
	}
	return name + " sent you a code. Type it below."
}

func codeLabel(t checkpoint.Type) string {
	switch t {
	case checkpoint.TypeSMS, checkpoint.TypePhoneRegister:
		return "Code from the text message"
	case checkpoint.TypeEmail:
		return "Code from the email"
	case checkpoint.Type2FA:
		return "Authenticator code"
	}
	return "Code"
}
