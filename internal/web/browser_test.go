package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/browsertest"

	"github.com/chromedp/chromedp"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/importer"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/web"
)

// waitFor waits until the page's address contains want: a submitted form
// has loaded its result.
func waitFor(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(loc, want) {
			return
		}
		if err := chromedp.Do(ctx, chromedp.Sleep(50*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("the page never reached an address with %q", want)
}

// publicSite serves a store with public and hidden incidents.
func publicSite(t *testing.T) string {
	store := dbtest.SQLite(t)
	ctx := context.Background()
	load := func(tlp string, files ...string) {
		err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
			for _, f := range files {
				if err := importer.File(ctx, tx, f, importer.Options{TLP: tlp}, interchange.NewSummary(), nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	load("clear", "../importer/testdata/hhs/breach_report_sample.csv", "../importer/testdata/veris/clinic-ransomware.json",
		"../importer/testdata/stix/hospital-incident.json")
	load("amber", "../importer/testdata/veris/ngo-inconsistent.JSON")
	h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBrowserJourney opens the dashboard, filters by sector, searches,
// opens an incident and downloads the CSV, in a real headless Chromium.
func TestBrowserJourney(t *testing.T) {
	base := publicSite(t)
	ctx := browsertest.Start(t) // its deadline starts once the site is ready
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(a chromedp.Action[string]) string {
		t.Helper()
		s, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	do(chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("headline")))
	headline := text(chromedp.Text(chromedp.ID("headline")))
	home := text(chromedp.OuterHTML(chromedp.CSS("body")))
	browsertest.Screenshot(t, ctx, "1-dashboard")
	if !strings.Contains(headline, "cyberattacks") {
		t.Errorf("headline = %q", headline)
	}
	if exposed, groups := text(chromedp.Text(chromedp.ID("data-exposed"))), text(chromedp.Text(chromedp.ID("groups"))); !strings.Contains(exposed, "health") ||
		!strings.Contains(groups, "health care") {
		t.Errorf("sensitive data chart %q, vulnerable groups chart %q", exposed, groups)
	}

	do(chromedp.SetValue(chromedp.CSS("select[name=sector]"), "Health"), chromedp.Submit(chromedp.CSS("form.filters")))
	waitFor(t, ctx, "sector=Health")
	do(chromedp.WaitVisible(chromedp.ID("headline")))
	if filtered := text(chromedp.Text(chromedp.ID("headline"))); !strings.Contains(filtered, "on health") {
		t.Errorf("headline filtered by sector = %q", filtered)
	}
	browsertest.Screenshot(t, ctx, "2-filtered-by-sector")

	do(chromedp.Navigate(base+"/incidents"), chromedp.SendKeys(chromedp.CSS("input[name=q]"), "Riverside"),
		chromedp.Submit(chromedp.CSS("form.filters")))
	waitFor(t, ctx, "q=Riverside")
	do(chromedp.WaitVisible(chromedp.ID("result-count")))
	if list := text(chromedp.Text(chromedp.ID("incident-list"))); !strings.Contains(list, "Riverside Community Clinic") {
		t.Errorf("search result = %q", list)
	}
	if count := text(chromedp.Text(chromedp.ID("result-count"))); !strings.HasPrefix(count, "1 incidents") {
		t.Errorf("result count = %q", count)
	}
	browsertest.Screenshot(t, ctx, "3-search")

	do(chromedp.Click(chromedp.CSS("#incident-list tbody a")), chromedp.WaitVisible(chromedp.ID("incident-title")))
	if title := text(chromedp.Text(chromedp.ID("incident-title"))); !strings.Contains(title, "Riverside") {
		t.Errorf("incident title = %q", title)
	}
	browsertest.Screenshot(t, ctx, "4-incident")

	do(chromedp.Navigate(base+"/incidents?sector=Health"), chromedp.WaitVisible(chromedp.ID("download-csv")))
	csv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector('#download-csv').href).then(r => r.text())`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(csv, "id,title,determination") || !strings.Contains(csv, "Riverside Community Clinic") {
		t.Errorf("downloaded CSV = %.300q", csv)
	}
	for _, page := range []string{home, csv} {
		if strings.Contains(page, "Helping Hands") {
			t.Error("an amber incident's victim is shown on a public page")
		}
	}
}
