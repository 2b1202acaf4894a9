// Package browsertest drives a headless Chromium for the browser tests of
// the surfaces' packages (internal/web, internal/prevention): one way to
// find the browser, skip without it (fail under CI=true), bound its work
// and read its pages.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Start starts a headless Chromium, or skips the test when there is none
// (but fails under CI, which must run it). Its deadline bounds the
// browser's work: call it once the site under test is ready.
func Start(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		msg := "no Chromium found: browser tests need Debian's chromium (scripts/test.sh installs it)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.WindowSize(1280, 1600))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// Screenshot saves a full-page screenshot as a test artefact, in the
// test's package under testdata/artefacts.
func Screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 gives a PNG
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "artefacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Page runs a test's steps in the browser, failing the test on an error.
type Page struct {
	T   *testing.T
	Ctx context.Context
}

// Do runs steps; what names them in the failure.
func (p Page) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.T.Helper()
	if err := chromedp.Do(p.Ctx, steps...); err != nil {
		p.T.Fatalf("%s: %v", what, err)
	}
}

// Text returns the text of the element sel selects.
func (p Page) Text(sel string) string {
	p.T.Helper()
	v, err := chromedp.Run(p.Ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.T.Fatalf("text of %s: %v", sel, err)
	}
	return v
}

// Eval returns what the script js gives, as text.
func (p Page) Eval(js string) string {
	p.T.Helper()
	v, err := chromedp.Run(p.Ctx, chromedp.Evaluate[string](js))
	if err != nil {
		p.T.Fatalf("%s: %v", js, err)
	}
	return v
}

// WaitText waits until the text of sel contains want: a form was
// submitted and its page has loaded.
func (p Page) WaitText(sel, want string) {
	p.T.Helper()
	for range 100 {
		if v, err := chromedp.Run(p.Ctx, chromedp.Text(chromedp.CSS(sel))); err == nil && strings.Contains(v, want) {
			return
		}
		_ = chromedp.Do(p.Ctx, chromedp.Sleep(50*time.Millisecond))
	}
	p.T.Fatalf("%s never showed %q", sel, want)
}
