package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/taxii"
)

// withViewer finds who sends a request — a session cookie, or an API
// token as a bearer token or a Basic password — and puts the user (nil for
// the public) in the request's context; a token that names no user is
// answered 401.
func (s *Server) withViewer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u *account.User
		var err error
		token, sentToken := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !sentToken {
			// Some TAXII clients speak only Basic authentication: they send
			// an API token as the password (the user name is ignored).
			_, token, sentToken = r.BasicAuth()
		}
		if sentToken {
			u, err = account.TokenUser(r.Context(), s.store, strings.TrimSpace(token))
		} else if c, cerr := r.Cookie(httpkit.SessionCookie); cerr == nil {
			u, err = account.SessionUser(r.Context(), s.store, c.Value, time.Now())
		}
		if err != nil {
			s.log.Error("find the viewer", "err", err)
			http.Error(w, "Something went wrong on our side; the error was logged.", http.StatusInternalServerError)
			return
		}
		if sentToken && u == nil {
			// A wrong, revoked or disabled user's token is refused: served
			// as the public, a client would silently get less than it
			// asked for. (An expired session cookie is only a browser's
			// leftover, and gets the public pages.)
			unauthenticated(w, r)
			return
		}
		next.ServeHTTP(w, httpkit.WithUser(r, u))
	})
}

// unauthenticated answers 401 to credentials that name no user: the API
// and TAXII with a JSON body and a stable code, pages with plain text.
func unauthenticated(w http.ResponseWriter, r *http.Request) {
	const msg = "the bearer token or Basic password is not a valid API token"
	if strings.HasPrefix(r.URL.Path, "/taxii2/") {
		_ = taxii.Unauthorized(w, msg)
		return
	}
	w.Header().Add("WWW-Authenticate", `Bearer realm="harmtrace", error="invalid_token"`)
	if strings.HasPrefix(r.URL.Path, "/api/") {
		_ = httpkit.WriteJSON(w, http.StatusUnauthorized, httpkit.APIError{Code: "unauthenticated", Message: msg})
		return
	}
	http.Error(w, "Unauthorized: "+msg+".", http.StatusUnauthorized)
}

// require wraps h in the one role check (httpkit.Require) on the
// server's pages.
func (s *Server) require(role string, h httpkit.HandlerFunc) http.Handler {
	return s.handle(httpkit.Require(s.pages, role, h))
}

func (s *Server) signInForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, "signin.html", httpkit.Page(r, "Sign in", map[string]any{"Next": r.URL.Query().Get("next")}))
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return httpkit.BadRequest(err)
	}
	email, password := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email"))), r.PostForm.Get("password")
	fail := func(status int, msg string) error {
		return s.render(w, status, "signin.html", httpkit.Page(r, "Sign in", map[string]any{"Error": msg, "Email": email}))
	}
	if len(email) > account.MaxEmail {
		// No account has such an email: refuse it before it is counted,
		// audited or shown again, so a huge one costs no memory.
		email = ""
		return fail(http.StatusUnauthorized, "Wrong email or password.")
	}
	keys := []string{"account:" + email, "address:" + httpkit.Address(r)}
	now := time.Now()
	if s.limits.Blocked(now, keys...) {
		return fail(http.StatusTooManyRequests, "Too many failed sign-ins; wait a quarter of an hour.")
	}
	u, err := account.Authenticate(r.Context(), s.store, email, password)
	if errors.Is(err, account.ErrBadCredentials) {
		s.limits.Fail(now, keys...)
		_ = s.store.Write(r.Context(), db.Author{Who: "web"}, func(tx *db.Tx) error {
			return account.Audit(r.Context(), tx, email, "session.refused", "", httpkit.Address(r), "")
		})
		return fail(http.StatusUnauthorized, "Wrong email or password.")
	}
	if err != nil {
		return err
	}
	var secret string
	err = s.store.Write(r.Context(), db.Author{Who: u.Email, Why: "sign in"}, func(tx *db.Tx) (err error) {
		secret, err = account.NewSession(r.Context(), tx, u, httpkit.Address(r))
		return err
	})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: httpkit.SessionCookie, Value: secret, Path: "/", HttpOnly: true, Secure: s.secureCookies(r),
		SameSite: http.SameSiteLaxMode, MaxAge: int(account.SessionTTL.Seconds())})
	next := r.PostForm.Get("next")
	if !localPath(next) {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// localPath reports whether next, where a sign-in sends the browser, is a
// path of this site. Browsers read a backslash as a slash and drop tabs
// and newlines, so "/\evil.example" or "/\t/evil.example" would leave the
// site: only a path that starts with one slash, holds no backslash and no
// control character, and parses without a scheme or host is kept.
func localPath(next string) bool {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') ||
		strings.ContainsFunc(next, unicode.IsControl) {
		return false
	}
	u, err := url.Parse(next)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && u.Opaque == "" &&
		strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(u.Path, "//")
}

// secureCookies tells whether the session cookie must be Secure: over TLS,
// or always when the operator says a TLS proxy is in front.
func (s *Server) secureCookies(r *http.Request) bool { return r.TLS != nil || s.opts.SecureCookies }

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(httpkit.SessionCookie); err == nil {
		if err := s.store.Write(r.Context(), db.Author{Who: "web", Why: "sign out"}, func(tx *db.Tx) error {
			return account.EndSession(r.Context(), tx, c.Value)
		}); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: httpkit.SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.secureCookies(r), MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) error {
	entries, err := account.AuditLogOfTeam(r.Context(), s.store, httpkit.User(r).TeamID, 200)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "audit.html", httpkit.Page(r, "Audit log", map[string]any{"Entries": entries}))
}
