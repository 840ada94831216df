package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/checkpoint-relay/checkpoint-relay/internal/apigw"
	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/relay"
)

// formChromium is Debian's chromium, which .ci/run installs.
const formChromium = "/usr/bin/chromium"

// formBrowser starts a headless Chromium for the test, with the flags this
// project's closed CI network needs (no QUIC, no background or component
// traffic) and a fresh profile. In CI a missing browser fails the test:
// the form would otherwise go untested without anyone noticing.
func formBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(formChromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s is missing (%v): install Debian's chromium", formChromium, err)
		}
		t.Skipf("%s not found; install Debian's chromium (apt-get install chromium) to run the browser test", formChromium)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(formChromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	// Start the browser on the un-timed context: a deadline on the first
	// run would stop the whole browser (see chromedp.Run).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// formStatefulService plays the relay for the browser test: one SMS
// checkpoint whose right code is known, five wrong codes allowed.
type formStatefulService struct {
	mu        sync.Mutex
	rightCode string
	left      int
	connected bool
	codes     []string
}

func (s *formStatefulService) viewLocked() relay.FormView {
	v := relay.FormView{
		CheckpointID: "cp_browser", Provider: checkpoint.ProviderLinkedIn, Type: checkpoint.TypeSMS,
		Status: checkpoint.StatusPending, ExpiresAt: time.Now().Add(4*time.Minute + 30*time.Second),
		CanSubmitCode: true, CanResend: true, CanTryAnotherWay: true, WrongCodesLeft: s.left,
	}
	if s.connected {
		v.Status = checkpoint.StatusConnected
		v.CanSubmitCode, v.CanResend, v.CanTryAnotherWay = false, false, false
	}
	return v
}

func (s *formStatefulService) FormView(_ context.Context, token string) (relay.FormView, error) {
	if token != formTestToken {
		return relay.FormView{}, relay.ErrFormTokenUnknown
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.viewLocked(), nil
}

func (s *formStatefulService) FormAct(_ context.Context, token string, action relay.FormAction, code string) (relay.FormResult, error) {
	if token != formTestToken {
		return relay.FormResult{}, relay.ErrFormTokenUnknown
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if action != relay.FormSubmitCode {
		return relay.FormResult{Outcome: checkpoint.Resent, View: s.viewLocked()}, nil
	}
	s.codes = append(s.codes, code)
	if code == s.rightCode {
		s.connected = true
		return relay.FormResult{Outcome: checkpoint.Connected, View: s.viewLocked()}, nil
	}
	s.left--
	return relay.FormResult{Outcome: checkpoint.InvalidCode, View: s.viewLocked()}, nil
}

func (s *formStatefulService) FormCheck(_ context.Context, token, _ string) (relay.FormResult, error) {
	if token != formTestToken {
		return relay.FormResult{}, relay.ErrFormTokenUnknown
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return relay.FormResult{View: s.viewLocked()}, nil
}

// TestFormInChromium drives the form as a person on a phone would: open the
// link, type a wrong code, read the answer, type the right one.
func TestFormInChromium(t *testing.T) {
	ctx := formBrowser(t)

	svc := &formStatefulService{rightCode: "424242", left: 5}
	h, err := NewFormHandler(svc, formTestKey)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/c/{token}", apigw.HTTPHandler("ANY /c/{token}",
		func(r *http.Request) map[string]string { return map[string]string{"token": r.PathValue("token")} }, h))
	// Plain http on 127.0.0.1: Chromium counts loopback as a secure
	// context, so the Secure, __Secure- cookie is kept, as over https.
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	var mu sync.Mutex
	var browserLog []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*log.EventEntryAdded); ok {
			mu.Lock()
			browserLog = append(browserLog, e.Entry.Source.String()+": "+e.Entry.Text)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}

	// A bound on the whole session, not a timing assertion: a hung browser
	// fails the test instead of the test binary's timeout.
	tctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		dir := os.Getenv("FORM_SCREENSHOT_DIR")
		if dir == "" {
			dir = t.TempDir()
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}

	// An iPhone 12-15 sized viewport.
	err = chromedp.Do(tctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(srv.URL+"/c/"+formTestToken),
		chromedp.WaitVisible(chromedp.ID("code")),
	)
	if err != nil {
		t.Fatalf("open the form: %v", err)
	}
	// The code field has focus, so a phone's keyboard (and its one-time
	// code suggestion) comes up at once.
	if id, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.activeElement.id`)); err != nil || id != "code" {
		t.Errorf("focused element %q (%v), want the code field", id, err)
	}
	// The hashed inline style applied under the CSP: buttons are the 48px
	// touch targets the stylesheet asks for, not the browser's default.
	if h, err := chromedp.Run(tctx, chromedp.Evaluate[string](
		`getComputedStyle(document.querySelector('button[value="code"]')).minHeight`)); err != nil || h != "48px" {
		t.Errorf("submit button min-height %q (%v), want 48px: the stylesheet was blocked", h, err)
	}
	shot("form-initial.png")

	// A wrong code.
	err = chromedp.Do(tctx,
		chromedp.SendKeys(chromedp.ID("code"), "111111"),
		chromedp.Click(chromedp.CSS(`button[value="code"]`)),
		// The answer's result, or a notice page (h1#title) if the POST
		// was refused: either ends the wait, so a refusal fails at once.
		chromedp.WaitVisible(chromedp.CSS(`#result.bad, h1#title`)),
	)
	if err != nil {
		t.Fatalf("submit a wrong code: %v", err)
	}
	text, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Wrong code, 4 tries left") {
		// Fatal: with no form on the page the next step could only time out.
		t.Fatalf("after a wrong code the page says %q, want %q", text, "Wrong code, 4 tries left")
	}
	body, err := chromedp.Run(tctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(body, "111111") {
		t.Errorf("the wrong code is echoed in the page")
	}
	shot("form-wrong-code.png")

	// The right code.
	err = chromedp.Do(tctx,
		chromedp.SendKeys(chromedp.ID("code"), "424 242"),
		chromedp.Click(chromedp.CSS(`button[value="code"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#result.ok, h1#title`)),
	)
	if err != nil {
		t.Fatalf("submit the right code: %v", err)
	}
	heading, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		t.Fatal(err)
	}
	text, err = chromedp.Run(tctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if heading != "You're connected" || !strings.Contains(text, "Your LinkedIn account is connected") {
		t.Errorf("after the right code the page says %q / %q, want the connected message", heading, text)
	}
	shot("form-connected.png")

	// A link the relay does not know gets a page a person can read, not
	// problem+json.
	err = chromedp.Do(tctx,
		chromedp.Navigate(srv.URL+"/c/"+strings.Repeat("x", len(formTestToken))),
		chromedp.WaitVisible(chromedp.ID("title")),
	)
	if err != nil {
		t.Fatalf("open an unknown link: %v", err)
	}
	if heading, err := chromedp.Run(tctx, chromedp.Text(chromedp.ID("title"))); err != nil || heading != "This link does not work" {
		t.Errorf("unknown link shows %q (%v), want the not-found page", heading, err)
	}
	shot("form-not-found.png")

	svc.mu.Lock()
	codes := append([]string(nil), svc.codes...)
	svc.mu.Unlock()
	if strings.Join(codes, ",") != "111111,424242" {
		t.Errorf("relay received codes %q, want 111111 then 424242", codes)
	}

	mu.Lock()
	defer mu.Unlock()
	// The page must run clean: no CSP violation, no refused cookie, no
	// invalid pattern attribute. The one expected entry is the 404 of the
	// unknown link (and of a favicon request, should the browser make one).
	for _, l := range browserLog {
		if !strings.HasPrefix(l, "network: ") || !strings.Contains(l, "404") {
			t.Errorf("browser reported: %s", l)
		}
	}
}
