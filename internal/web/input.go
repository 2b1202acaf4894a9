package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/taxii"
)

// refuseBadBytes answers 400 to a request whose path or query parameters
// hold a NUL byte or bytes that are not UTF-8, before any handler or the
// store sees them. No name, id or search of harmtrace holds such bytes;
// PostgreSQL refuses them in text with an error of its own, and SQLite's
// full-text search with another, so letting them through gave a 500 or,
// where a handler showed a filter's error, the database's message.
func refuseBadBytes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if problem := badBytes(r.URL); problem != "" {
			msg := problem + " holds a NUL byte or bytes that are not UTF-8"
			switch {
			case strings.HasPrefix(r.URL.Path, "/api/"):
				_ = httpkit.WriteJSON(w, http.StatusBadRequest, httpkit.APIError{Code: "bad_request", Message: "bad request: " + msg})
			case strings.HasPrefix(r.URL.Path, "/taxii2/"):
				_ = taxii.Error(w, http.StatusBadRequest, "Bad request", msg)
			default:
				http.Error(w, "Bad request: "+msg+".", http.StatusBadRequest)
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

// badBytes names the part of u that holds bad bytes ("the path", or the
// query parameter), or returns "".
func badBytes(u *url.URL) string {
	if !cleanText(u.Path) {
		return "the path"
	}
	// ParseQuery's error is a malformed escape, which Query() already
	// drops; the pairs it could read are what handlers see.
	values, _ := url.ParseQuery(u.RawQuery)
	for k, vs := range values {
		if !cleanText(k) {
			return fmt.Sprintf("query parameter %q", strings.ToValidUTF8(strings.ReplaceAll(k, "\x00", ""), ""))
		}
		for _, v := range vs {
			if !cleanText(v) {
				return fmt.Sprintf("query parameter %q", k)
			}
		}
	}
	return ""
}

func cleanText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
