// Package public is the public side of harmtrace: the dashboard (the
// headline, the figures and the charts of a filter), the incidents and
// their pages, the pages of an actor, a campaign and a country, the
// open-data downloads (every link built whole from url.Values, links.go),
// the reader's pages (public.go: the method and what the data is from the
// project's Markdown, markdown.go; corrections; the data dictionary; the
// actors) and the cooperation-request check (check.go). Every page shows
// what the viewer may read: the public, what is marked TLP:CLEAR; a hidden
// record answers 404 like a missing one.
package public

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"slices"

	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/retarget"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Server serves the public pages.
type Server struct {
	log     *slog.Logger
	store   *db.DB
	index   *report.Index
	reports *httpkit.Reports
	pages   *template.Template
	// attackedAgain keeps the count of organisations attacked again.
	attackedAgain *retarget.KeptCount
	// countReports shows the anonymous counts of the victims' reports on
	// the dashboard (there is a cases store).
	countReports bool
}

// Options are what the public pages share with the other surfaces.
type Options struct {
	// Index answers filters and lists (report.Index).
	Index *report.Index
	// Reports keeps the figures of each filter, shared with the API.
	Reports *httpkit.Reports
	// Cases is the store of victims' cases; with it, the dashboard shows
	// the anonymous counts of their reports.
	Cases *casefile.Store
}

// New returns the public pages of store (store nil: the routes only).
func New(log *slog.Logger, store *db.DB, opts Options) (*Server, error) {
	pages, err := httpkit.ParsePages(template.FuncMap{
		"number":      report.Number,
		"has":         slices.Contains[[]string],
		"figure":      figure,
		"figureText":  report.BoundsText,
		"number64":    report.Number,
		"countryName": report.CountryName,
		"deref":       func(p *int64) int64 { return *p },
		"deref32":     func(p *int) int { return *p },
		"iterate":     func(n int) []struct{} { return make([]struct{}, n) },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
	}, templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s := &Server{log: log, store: store, index: opts.Index, reports: opts.Reports, pages: pages,
		countReports: opts.Cases != nil}
	if store != nil {
		s.attackedAgain = retarget.NewKeptCount(store, log)
	}
	return s, nil
}

// Routes registers the public pages.
func (s *Server) Routes(mux httpkit.Router) {
	for pattern, h := range map[string]httpkit.HandlerFunc{
		"GET /{$}":                 s.home,
		"GET /incidents":           s.incidents,
		"GET /incidents/{id}":      s.incident,
		"GET /actors/{id}":         s.actor,
		"GET /campaigns/{id}":      s.campaign,
		"GET /countries/{cc}":      s.country,
		"GET /download/{file}":     s.download,
		"GET /check-request":       s.checkForm,
		"POST /check-request":      s.checkSubmit,
		"GET /method":              s.method,
		"GET /about":               s.about,
		"GET /corrections":         s.corrections,
		"GET /download/dictionary": s.dictionary,
		"GET /actors":              s.actors,
	} {
		mux.Handle(pattern, httpkit.Handle(s.log, h))
	}
}

// render executes a page template (httpkit.Render).
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) error {
	return httpkit.Render(w, s.pages, status, name, data)
}

// figure writes a harm range: "12,000", "1,000–5,000", "at least 1,000",
// or "unknown".
func figure(lo, hi *int64) string {
	switch {
	case lo == nil:
		return "unknown"
	case hi == nil:
		return "at least " + report.Number(*lo)
	case *lo == *hi:
		return report.Number(*lo)
	}
	return report.Number(*lo) + "–" + report.Number(*hi)
}
