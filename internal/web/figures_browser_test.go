package web_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/harmtrace/harmtrace/internal/browsertest"

	"github.com/chromedp/chromedp"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/seed"
	"github.com/harmtrace/harmtrace/internal/stats"
	"github.com/harmtrace/harmtrace/internal/web"
)

// bundled is a SQLite file holding the bundled open data, loaded once for
// the package's tests: loading it takes most of a minute under the race
// detector. Each test gets a copy of its own.
var bundled struct {
	once sync.Once
	path string
	err  error
}

// bundledStore returns a store holding the bundled open data (the HHS OCR
// portal and the MISP threat actors), as `serve` loads it on first start.
func bundledStore(t *testing.T) *db.DB {
	t.Helper()
	bundled.once.Do(func() {
		if path := os.Getenv("HARMTRACE_TEST_BUNDLED"); path != "" {
			// Loaded by the test command, without the race detector.
			bundled.path = path
			return
		}
		dir, err := os.MkdirTemp("", "harmtrace-bundled-")
		if err != nil {
			bundled.err = err
			return
		}
		bundled.path = filepath.Join(dir, "harmtrace.db")
		ctx := context.Background()
		store, err := db.Open(ctx, bundled.path)
		if err == nil {
			_, err = store.Migrate(ctx)
		}
		if err == nil {
			err = stats.Install(ctx, store)
		}
		if err == nil {
			_, err = seed.Load(ctx, store, nil)
		}
		if store != nil {
			err = errors.Join(err, store.Close()) // closing checkpoints the write-ahead log into the file
		}
		bundled.err = err
	})
	if bundled.err != nil {
		t.Fatalf("load the bundled data: %v", bundled.err)
	}
	path := filepath.Join(t.TempDir(), "harmtrace.db")
	for _, suffix := range []string{"", "-wal"} { // a log not yet checkpointed holds part of the data
		data, err := os.ReadFile(bundled.path + suffix)
		if errors.Is(err, fs.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path+suffix, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dbtest.Open(t, path)
}

// bundledSite serves the bundled open data.
func bundledSite(t *testing.T) string {
	t.Helper()
	store := bundledStore(t)
	h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBrowserDownloadsHoldWhatThePageCounts opens the dashboard and the
// incident list of five filters on the bundled data and follows each
// download link as a reader would: the CSV's rows, the JSON lines'
// incidents and the STIX bundle's incidents must be the count on the page.
func TestBrowserDownloadsHoldWhatThePageCounts(t *testing.T) {
	t.Parallel() // the package's longest tests overlap each other once the others have run
	base := bundledSite(t)
	ctx := browsertest.Start(t) // its deadline starts once the site is ready
	filters := []string{
		"attack_type=ransomware",
		"since=2019&until=2019",
		"q=hospital",
		"sector=Health&since=2020-06",
		"attack_type=ransomware&q=medical&until=2020",
	}
	run := func(a chromedp.Action[string]) string {
		t.Helper()
		s, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, filter := range filters {
		t.Run(filter, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(base+"/?"+filter), chromedp.WaitVisible(chromedp.ID("incidents"))); err != nil {
				t.Fatal(err)
			}
			home := number(t, run(chromedp.Text(chromedp.ID("incidents"))))
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("list-these")), chromedp.WaitVisible(chromedp.ID("result-count"))); err != nil {
				t.Fatal(err)
			}
			listed := number(t, strings.Fields(run(chromedp.Text(chromedp.ID("result-count"))))[0])
			if home == 0 || listed != home {
				t.Fatalf("the dashboard counts %d incidents, its list %d", home, listed)
			}
			for _, link := range []string{"download-csv", "download-json", "download-stix"} {
				body := run(chromedp.Evaluate[string](`fetch(document.getElementById('`+link+`').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
				if got := incidentsIn(t, link, body); got != home {
					t.Errorf("%s holds %d incidents; the page counts %d", link, got, home)
				}
			}
		})
	}
}

func number(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(s), ",", ""))
	if err != nil {
		t.Fatalf("%q is not a count: %v", s, err)
	}
	return n
}

// incidentsIn counts the incidents of a download.
func incidentsIn(t *testing.T, link, body string) int {
	t.Helper()
	n := 0
	switch link {
	case "download-csv":
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return len(rows) - 1
	case "download-json":
		lines := bufio.NewScanner(strings.NewReader(body))
		lines.Buffer(nil, 1<<24)
		for lines.Scan() {
			var rec struct{ Type string }
			if err := json.Unmarshal(lines.Bytes(), &rec); err != nil {
				t.Fatal(err)
			}
			if rec.Type == "incident" {
				n++
			}
		}
	default:
		var bundle struct{ Objects []struct{ Type string } }
		if err := json.Unmarshal([]byte(body), &bundle); err != nil {
			t.Fatal(err)
		}
		for _, o := range bundle.Objects {
			if o.Type == "incident" {
				n++
			}
		}
	}
	return n
}

// TestBrowserEveryPageFitsAPhone opens each kind of public page on a 390
// px screen, with the bundled data and the newsroom's records: no page
// may be wider than the screen (the map, the incident table, the harm
// table and the check form shrink or scroll inside their box). Each page
// is saved as a screenshot.
func TestBrowserEveryPageFitsAPhone(t *testing.T) {
	t.Parallel() // the package's longest tests overlap each other once the others have run
	store := bundledStore(t)
	n := newNewsroom(t, store)
	h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ctx := browsertest.Start(t) // its deadline starts once the site is ready
	pages := []struct{ name, path string }{
		{"dashboard", "/"},
		{"dashboard-filtered", "/?since=2019&until=2019&attack_type=ransomware"},
		{"incidents", "/incidents"},
		{"incident", "/incidents/" + n.ransom},
		{"actors", "/actors"},
		{"actor", "/actors/" + n.actor},
		{"campaign", "/campaigns/" + n.campaign},
		{"country", "/countries/US"},
		{"check-request", "/check-request"},
		{"method", "/method"},
		{"about", "/about"},
		{"corrections", "/corrections"},
		{"dictionary", "/download/dictionary"},
		{"api", "/api"},
		{"sign-in", "/sign-in"},
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS("footer"))); err != nil {
			t.Fatalf("%s: %v", p.path, err)
		}
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if width > 390 || width == 0 {
			wide, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391).slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className).join(' ')`))
			t.Errorf("%s is %d px wide on a 390 px screen (too wide: %s)", p.path, width, wide)
		}
		browsertest.Screenshot(t, ctx, "390px-"+p.name)
	}
}

// TestMain removes the bundled data's file once the package's tests end.
func TestMain(m *testing.M) {
	code := m.Run()
	if bundled.path != "" && os.Getenv("HARMTRACE_TEST_BUNDLED") == "" {
		os.RemoveAll(filepath.Dir(bundled.path))
	}
	os.Exit(code)
}
