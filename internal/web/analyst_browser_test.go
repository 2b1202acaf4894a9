package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/browsertest"

	"github.com/chromedp/chromedp"

	"github.com/harmtrace/harmtrace/internal/cli"
)

// harmtrace runs the command line on the data folder and returns stdout,
// failing the test on a non-zero exit.
func harmtrace(t *testing.T, dir, stdin string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), append([]string{"harmtrace", "--data", dir}, args...), strings.NewReader(stdin), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("harmtrace %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
	}
	return stdout.String()
}

// serve runs `harmtrace serve` on the data folder until the test ends and
// returns its address once /healthz answers.
func serve(t *testing.T, dir string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		cli.Run(ctx, []string{"harmtrace", "--data", dir, "serve", "--no-seed", "--addr", addr}, nil, io.Discard, io.Discard)
	}()
	t.Cleanup(func() { cancel(); <-done })
	for i := 0; i < 200; i++ {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return "http://" + addr
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("harmtrace serve never answered /healthz")
	return ""
}

// TestBrowserAnalystAmber signs in as an analyst in a real Chromium,
// records an organisation, a source and an AMBER incident through the
// workspace's forms (one refused first, with its errors next to the
// fields), adds a harm figure, and checks that the analyst's views show the
// incident while the public dashboard, the public API and
// `harmtrace export --tlp clear` do not.
func TestBrowserAnalystAmber(t *testing.T) {
	dir := t.TempDir()
	harmtrace(t, dir, "analyst password 2026\n", "user", "add", "--role", "analyst", "--org", "Health CERT", "--password-stdin", "ana@cert.example")
	base := serve(t, dir)
	ctx := browsertest.Start(t) // its deadline starts once the site is ready
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	submit := func(form string, values map[string]string, want string) {
		t.Helper()
		for name, v := range values {
			do(chromedp.SetValue(chromedp.CSS(form+` [name="`+name+`"]`), v))
		}
		do(chromedp.Click(chromedp.CSS(form + ` button[type=submit]`)))
		waitFor(t, ctx, want)
	}

	do(chromedp.Navigate(base+"/sign-in"), chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)))
	submit(`form[action="/sign-in"]`, map[string]string{"email": "ana@cert.example", "password": "analyst password 2026"}, base+"/")
	do(chromedp.WaitVisible(chromedp.ID("workspace-link")))

	do(chromedp.Navigate(base+"/work/organisations/new"), chromedp.WaitVisible(chromedp.ID("in-name")))
	submit("form.record", map[string]string{"name": "Mercy Field Hospital", "kind": "healthcare-provider", "sector": "Health", "country": "UA"},
		"/work/organisations?saved=")
	do(chromedp.Navigate(base+"/work/sources/new"), chromedp.WaitVisible(chromedp.ID("in-title")))
	submit("form.record", map[string]string{"title": "Hospital's statement", "url": "https://mercy.example/statement",
		"kind": "victim-statement", "reliability": "B", "credibility": "2"}, "/work/sources?saved=")

	// A first try without title, attack type or a valid date is refused.
	do(chromedp.Navigate(base+"/work/incidents/new"), chromedp.WaitVisible(chromedp.ID("in-title")))
	do(chromedp.SetValue(chromedp.ID("in-start"), "2025-02-30"), chromedp.SetValue(chromedp.ID("in-victims"), "Mercy Field Hospital"),
		chromedp.SetValue(chromedp.ID("in-source_ids"), "https://mercy.example/statement"),
		chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.ID("form-errors")))
	browsertest.Screenshot(t, ctx, "analyst-1-refused")
	for _, field := range []string{"title", "attack_types", "start"} {
		if got := text("#field-" + field + " .field-error"); got == "" {
			t.Errorf("no error next to %s", field)
		}
	}

	do(chromedp.SetValue(chromedp.ID("in-title"), "Wiper attack on Mercy Field Hospital"), chromedp.SetValue(chromedp.ID("in-start"), "2025-02"),
		chromedp.Click(chromedp.CSS(`input[name=attack_types][value=wiper]`)), chromedp.SetValue(chromedp.ID("in-tlp"), "amber"),
		chromedp.SetValue(chromedp.ID("in-determination"), "confirmed"), chromedp.Click(chromedp.ID("save")))
	waitFor(t, ctx, "/incidents/incident--")
	do(chromedp.WaitVisible(chromedp.ID("incident-title")))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	id := loc[strings.LastIndex(loc, "/")+1:]

	do(chromedp.Click(chromedp.ID("add-harm")), chromedp.WaitVisible(chromedp.ID("in-indicator")))
	submit("form.record", map[string]string{"indicator": "service-disruption-days", "min": "9", "max": "9", "certainty": "confirmed",
		"source_ids": "https://mercy.example/statement"}, "/incidents/"+id)
	do(chromedp.WaitVisible(chromedp.ID("harms")))
	if harms := text("#harms"); !strings.Contains(harms, "service-disruption-days") {
		t.Errorf("harms = %q", harms)
	}
	browsertest.Screenshot(t, ctx, "analyst-2-amber-incident")

	// The analyst's own views show it.
	do(chromedp.Navigate(base+"/work"), chromedp.WaitVisible(chromedp.ID("work-incidents")))
	if list := text("#work-incidents"); !strings.Contains(list, "Wiper attack on Mercy") || !strings.Contains(list, "TLP:amber") {
		t.Errorf("workspace list = %q", list)
	}
	browsertest.Screenshot(t, ctx, "analyst-3-workspace")
	do(chromedp.Navigate(base+"/history/"+id), chromedp.WaitVisible(chromedp.CSS("table.diff")))
	if h := text("main"); !strings.Contains(h, "create of harm") || !strings.Contains(h, "create of incident") {
		t.Errorf("history = %.300q", h)
	}
	browsertest.Screenshot(t, ctx, "analyst-4-history")
	do(chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("headline")))
	if h := text("#headline"); !strings.Contains(h, "1 cyberattack") {
		t.Errorf("the analyst's dashboard headline = %q", h)
	}

	// The public sees nothing of it: signed out, the dashboard, the list,
	// search, the page itself; the public API; the CLI's public export.
	do(chromedp.Click(chromedp.CSS(`form[action="/sign-out"] button`)), chromedp.WaitVisible(chromedp.CSS(`a[href="/sign-in"]`)))
	do(chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("headline")))
	if h := text("#headline"); strings.Contains(h, "1 cyberattack") {
		t.Errorf("the public headline counts the amber incident: %q", h)
	}
	do(chromedp.Navigate(base+"/incidents?q=Mercy"), chromedp.WaitVisible(chromedp.ID("result-count")))
	if c := text("#result-count"); !strings.HasPrefix(c, "0 ") {
		t.Errorf("public search finds the amber incident: %q", c)
	}
	browsertest.Screenshot(t, ctx, "analyst-5-public-view")
	if resp, err := http.Get(base + "/incidents/" + id); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("public incident page: %v %v", resp.StatusCode, err)
	}
	var list struct{ Total int }
	resp, err := http.Get(base + "/api/v1/incidents?q=Mercy")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || list.Total != 0 {
		t.Errorf("public API lists %d incidents (%v)", list.Total, err)
	}
	for _, format := range []string{"csv", "stix", "json"} {
		if out := harmtrace(t, dir, "", "export", "--format", format, "--tlp", "clear"); strings.Contains(out, "Mercy") || strings.Contains(out, id) {
			t.Errorf("export --format %s --tlp clear shows the amber incident", format)
		}
	}
	if out := harmtrace(t, dir, "", "export", "--format", "csv"); !strings.Contains(out, "Mercy") {
		t.Error("the operator's full export lacks the incident: the check above proves nothing")
	}
}
