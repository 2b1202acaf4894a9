// Package web serves harmtrace over HTTP: the health check and the public
// pages. Handlers return errors; one place logs them and renders a safe
// message, so internal detail never reaches a visitor.
package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/report"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Server holds what the handlers need.
type Server struct {
	store *db.DB
	log   *slog.Logger
	pages *template.Template
}

// New returns the HTTP handler of harmtrace.
func New(store *db.DB, log *slog.Logger) (http.Handler, error) {
	pages, err := template.New("").Funcs(template.FuncMap{
		"number": report.Number,
		"count":  func(n int) string { return report.Number(int64(n)) },
	}).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s := &Server{store: store, log: log, pages: pages}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /{$}", s.handle(s.home))
	return securityHeaders(mux), nil
}

// handle adapts a handler that returns an error.
func (s *Server) handle(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			if errors.Is(err, context.Canceled) {
				return
			}
			s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			http.Error(w, "Something went wrong on our side; the error was logged.", http.StatusInternalServerError)
		}
	})
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

// home shows the headline figures of what may be published (TLP:CLEAR).
func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	rep, err := report.Compute(r.Context(), s.store, report.Filter{MaxTLP: "clear"})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return s.pages.ExecuteTemplate(w, "home.html", rep)
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
