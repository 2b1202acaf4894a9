// Package web serves harmtrace over HTTP: it is where the surfaces meet.
// New builds the server: the health check, the style sheet, signing in and
// who sends a request (auth.go), and every surface, each in a package of
// its own on the shared plumbing of internal/httpkit: the public pages
// (internal/public), the workspace (internal/workspace), the JSON API
// (internal/api), TAXII (internal/taxii), the victims' pages, cases,
// evidence and prevention. Server.routes registers them all on one router,
// which remembers every pattern (Routes), so the tests that walk every
// route cover them all.
package web

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/evidence"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/taxii"
)

var (
	//go:embed templates/*.html
	templateFiles embed.FS
	//go:embed static
	staticFiles embed.FS
)

// Server holds what the handlers need.
type Server struct {
	store  *db.DB
	log    *slog.Logger
	pages  *template.Template
	limits *httpkit.Limiter
	opts   Options
	// reports keeps the figures of each filter until the store changes.
	reports *httpkit.Reports
	// index answers filters and lists (report.Index).
	index *report.Index
}

// Options are the operator's choices for the web server; the zero value
// suits a server reached directly.
type Options struct {
	// SecureCookies marks the session cookie Secure even when the request
	// arrives over plain HTTP: set it when a TLS proxy is in front, where
	// the request harmtrace sees has no TLS of its own.
	SecureCookies bool
	// Cases is the store of victims' cases and their keys; without it the
	// victims' pages and the cases answer 503.
	Cases *casefile.Store
	// Evidence is the evidence locker; without it its pages answer 503.
	Evidence *evidence.Store
	// FirstResponse is how long a case waits for a first response before
	// it is overdue (default 48 hours).
	FirstResponse time.Duration
	// HoursCap is the most hours one volunteer gives one helped
	// organisation in a calendar year (default 100).
	HoursCap float64
	// SharedLimits, when set on PostgreSQL, keeps the failed sign-ins in
	// the database, keyed with this secret, so that every server on the
	// store counts them together (docs/deployment.md).
	SharedLimits []byte
	// Index is the store's facet index, built by the caller (serve shows
	// its progress); New builds one when none is given.
	Index *report.Index
}

// New returns the HTTP handler of harmtrace; opts, when given, is one
// Options (most callers need none).
func New(store *db.DB, log *slog.Logger, opts ...Options) (http.Handler, error) {
	pages, err := httpkit.ParsePages(nil, templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Index == nil {
		if o.Index, err = report.BuildIndex(context.Background(), store, nil); err != nil {
			return nil, err
		}
	}
	s := &Server{store: store, log: log, pages: pages, opts: o, limits: httpkit.NewLimiter(httpkit.LimitKeys), index: o.Index,
		reports: httpkit.NewReports(store, o.Index)}
	if o.SharedLimits != nil && store.Dialect() == db.Postgres {
		s.limits.Share(store, "sign-in", o.SharedLimits)
	}
	mux := s.routes()
	// Cross-origin protection rejects state-changing requests that a
	// browser sends from another site (Sec-Fetch-Site / Origin).
	protect := http.NewCrossOriginProtection()
	return securityHeaders(noStore(refuseBadBytes(protect.Handler(s.withViewer(mux.mux))))), nil
}

// handle adapts a handler that returns an error (httpkit.Handle).
func (s *Server) handle(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return httpkit.Handle(s.log, h)
}

// render executes a page template (httpkit.Render).
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) error {
	return httpkit.Render(w, s.pages, status, name, data)
}

// healthz answers 200 once the store is open, migrated and answering.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	if pending, err := s.store.Pending(ctx); err != nil || len(pending) > 0 {
		http.Error(w, "store not migrated", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// router is the server's ServeMux, which also remembers every pattern it
// was given, so that a test can walk the whole route table (the access
// matrix must cover every route).
type router struct {
	mux      *http.ServeMux
	patterns []string
}

func (m *router) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.mux.Handle(pattern, h)
}

func (m *router) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// routes registers every route of every surface: all of them are on this
// one screen or in the route functions it calls.
func (s *Server) routes() *router {
	static, _ := fs.Sub(staticFiles, "static")
	mux := &router{mux: http.NewServeMux()}
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.Handle("GET /sign-in", s.handle(s.signInForm))
	mux.Handle("POST /sign-in", s.handle(s.signIn))
	mux.Handle("POST /sign-out", s.handle(s.signOut))
	mux.Handle("GET /admin/audit", s.require("admin", s.auditPage))
	s.routePublic(mux)
	s.routeVictims(mux)
	s.routePrevention(mux)
	suggestions := s.routeWorkspace(mux)
	s.routeAPI(mux, suggestions)
	taxii.New(s.log, s.store, s.index).Routes(mux)
	return mux
}

// Routes lists the pattern of every route the server answers, for the
// tests that must cover them all.
func Routes() []string {
	s := &Server{}
	return s.routes().patterns
}
