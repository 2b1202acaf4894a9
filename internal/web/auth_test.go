package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/web"
)

// accounts serves a store with an admin and a viewer, whose passwords are
// returned.
func accounts(t *testing.T) (http.Handler, map[string]string) {
	store := dbtest.SQLite(t)
	passwords := map[string]string{}
	err := store.Write(context.Background(), db.Author{Who: "test"}, func(tx *db.Tx) error {
		for email, role := range map[string]string{"admin@example.org": "admin", "viewer@example.org": "viewer"} {
			_, pw, err := account.AddUser(context.Background(), tx, email, role, "Example CERT", "")
			if err != nil {
				return err
			}
			passwords[email] = pw
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return h, passwords
}

func signIn(t *testing.T, h http.Handler, email, password string) *httptest.ResponseRecorder {
	form := url.Values{"email": {email}, "password": {password}, "next": {"/incidents"}}
	req := httptest.NewRequest("POST", "/sign-in", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = "192.0.2.10:4000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func get(h http.Handler, path string, cookie *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestSignInAndRoles(t *testing.T) {
	h, passwords := accounts(t)
	if rec := signIn(t, h, "admin@example.org", "not the password"); rec.Code != http.StatusUnauthorized ||
		!strings.Contains(rec.Body.String(), "Wrong email or password") {
		t.Fatalf("wrong password: %d %s", rec.Code, rec.Body.String())
	}
	rec := signIn(t, h, "admin@example.org", passwords["admin@example.org"])
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/incidents" {
		t.Fatalf("sign in: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	cookie := rec.Result().Cookies()[0]
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Value == "" {
		t.Errorf("session cookie = %+v", cookie)
	}
	admin := get(h, "/admin/audit", cookie)
	if admin.Code != 200 || !strings.Contains(admin.Body.String(), "session.sign-in") || !strings.Contains(admin.Body.String(), "session.refused") {
		t.Errorf("admin's audit page: %d", admin.Code)
	}
	if !strings.Contains(get(h, "/", cookie).Body.String(), `id="signed-in">admin@example.org`) {
		t.Error("the dashboard does not show who is signed in")
	}
	viewerCookie := signIn(t, h, "viewer@example.org", passwords["viewer@example.org"]).Result().Cookies()[0]
	if rec := get(h, "/admin/audit", viewerCookie); rec.Code != http.StatusForbidden {
		t.Errorf("a viewer on the audit page: %d, want 403", rec.Code)
	}
	if rec := get(h, "/admin/audit", nil); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/sign-in") {
		t.Errorf("the public on the audit page: %d, want a redirect to sign in", rec.Code)
	}
	// Signing out ends the session on the server, not only in the browser.
	req := httptest.NewRequest("POST", "/sign-out", nil)
	req.AddCookie(cookie)
	h.ServeHTTP(httptest.NewRecorder(), req)
	if rec := get(h, "/admin/audit", cookie); rec.Code != http.StatusSeeOther {
		t.Errorf("a signed-out session still opens the audit page: %d", rec.Code)
	}
}

func TestSignInIsRateLimited(t *testing.T) {
	h, passwords := accounts(t)
	for i := 0; i < 5; i++ {
		signIn(t, h, "viewer@example.org", "guess number "+string(rune('a'+i)))
	}
	if rec := signIn(t, h, "viewer@example.org", passwords["viewer@example.org"]); rec.Code != http.StatusTooManyRequests {
		t.Errorf("sixth attempt: %d, want 429 even with the right password", rec.Code)
	}
}
