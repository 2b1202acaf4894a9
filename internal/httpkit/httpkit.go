// Package httpkit is the HTTP plumbing every web surface of harmtrace
// shares, so that it exists once: handlers that return errors and one
// place that answers them, buffered template rendering on one layout and
// one error page, JSON answers and the API's route entries, who the viewer
// is and what they may see, the one role check, the limiter of failed
// attempts, and values kept until the store changes (cache.go). The
// surfaces themselves (internal/public, internal/workspace, internal/api,
// internal/taxii, internal/victim, internal/casework, …) each register
// their own routes on a Router; internal/web puts them together.
package httpkit

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/report"
)

// Layout holds the header and footer of the signed-in and public pages
// (templates/layout.html), which every surface's templates use, and the
// error page of the surfaces that have no error page of their own
// (templates/error.html, ParsePages).
//
//go:embed templates/layout.html templates/error.html
var Layout embed.FS

// LayoutPattern names the layout in Layout, for template.ParseFS.
const LayoutPattern = "templates/layout.html"

// ParsePages parses a surface's page templates (pattern in files) on the
// layout and the error page, with Funcs and the surface's own funcs.
func ParsePages(funcs template.FuncMap, files fs.FS, pattern string) (*template.Template, error) {
	pages, err := template.New("").Funcs(Funcs()).Funcs(funcs).ParseFS(Layout, LayoutPattern, "templates/error.html")
	if err != nil {
		return nil, err
	}
	return pages.ParseFS(files, pattern)
}

// Funcs are the template functions every surface has.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"date":       func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") },
		"join":       strings.Join,
		"count":      func(n int) string { return report.Number(int64(n)) },
		"duplicates": report.DuplicatesNote,
	}
}

// Router is where a surface registers its routes.
type Router interface {
	Handle(pattern string, h http.Handler)
}

// HandlerFunc is a handler that returns its error instead of answering it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ErrBadRequest marks errors caused by the request, shown to the visitor.
var ErrBadRequest = errors.New("bad request")

// BadRequest marks err as the request's fault.
func BadRequest(err error) error { return errors.Join(ErrBadRequest, err) }

// Handle adapts h: a bad request is answered 400, anything else is logged
// and answered with a safe message, so internal detail never reaches a
// visitor. The log names the method and path only, never a query string
// or a body.
func Handle(log *slog.Logger, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		switch {
		case err == nil, errors.Is(err, context.Canceled):
		case errors.Is(err, ErrBadRequest):
			http.Error(w, "Bad request.", http.StatusBadRequest)
		default:
			log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			if strings.HasPrefix(r.URL.Path, "/api/") {
				_ = WriteJSON(w, http.StatusInternalServerError, APIError{Code: "internal", Message: "internal error; it was logged"})
				return
			}
			http.Error(w, "Something went wrong on our side; the error was logged.", http.StatusInternalServerError)
		}
	})
}

// Render executes a page template into a buffer first, so a template
// error never leaves half a page.
func Render(w http.ResponseWriter, t *template.Template, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// APIError is the JSON body of every API error: a stable code and a message.
type APIError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// WriteJSON answers v as indented JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

type viewerKey struct{}

// WithUser is the request's context with its signed-in user (nil: the
// public).
func WithUser(r *http.Request, u *account.User) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), viewerKey{}, u))
}

// User returns the signed-in user, or nil.
func User(r *http.Request) *account.User {
	u, _ := r.Context().Value(viewerKey{}).(*account.User)
	return u
}

// Access is the viewer as internal/access judges them.
func Access(r *http.Request) access.Viewer {
	if u := User(r); u != nil {
		return access.User(u.ID, u.TeamID, u.Role)
	}
	return access.Public
}

// IsAPI reports whether the request is for the JSON API.
func IsAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// SignInFirst answers a request that needs a signed-in user: 401 for the
// API, a redirect to the sign-in page, and back, for a page.
func SignInFirst(w http.ResponseWriter, r *http.Request) error {
	if IsAPI(r) {
		return WriteJSON(w, http.StatusUnauthorized, APIError{Code: "unauthenticated", Message: "sign in or send a bearer token"})
	}
	http.Redirect(w, r, "/sign-in?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	return nil
}

// Unavailable answers 503 when what a surface needs is not configured.
func Unavailable(w http.ResponseWriter, r *http.Request, what string) error {
	if IsAPI(r) {
		return WriteJSON(w, http.StatusServiceUnavailable, APIError{Code: "unavailable", Message: what})
	}
	http.Error(w, what, http.StatusServiceUnavailable)
	return nil
}

// SignedIn guards a workspace handler of a surface: its answers are never
// cached; it answers 503 with unavailable when that is not "" (what the
// surface needs is not configured); the public is sent to sign in first.
// What a signed-in user may do is the surface's decision, record by record.
func SignedIn(unavailable string, h HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-store")
		if unavailable != "" {
			return Unavailable(w, r, unavailable)
		}
		if User(r) == nil {
			return SignInFirst(w, r)
		}
		return h(w, r)
	}
}

// Address is the client's address (without its port). A victim's is only
// ever a key of the in-memory limits, never stored or logged.
func Address(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
