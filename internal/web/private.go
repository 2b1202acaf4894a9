package web

import (
	"net/http"
	"strings"

	"github.com/harmtrace/harmtrace/internal/httpkit"
)

// privatePaths are the pages whose every answer is someone's own: the
// workspace, the history of records, the admin pages and signing in.
// Each stands for itself and everything under it.
var privatePaths = []string{"/work", "/history", "/admin", "/sign-in", "/report", "/api/v1/reports", "/api/v1/cases"}

// noStore marks private answers Cache-Control: no-store, so that neither
// a shared cache (a proxy, a CDN) nor the browser's cache keeps them for
// the next person: every answer to a request that carries credentials (a
// session cookie, a bearer token, a Basic password), whatever its path,
// and every answer of privatePaths, whoever asks.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, cookieErr := r.Cookie(httpkit.SessionCookie)
		private := cookieErr == nil || r.Header.Get("Authorization") != ""
		for _, p := range privatePaths {
			if r.URL.Path == p || strings.HasPrefix(r.URL.Path, p+"/") {
				private = true
			}
		}
		if private {
			w.Header().Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}
