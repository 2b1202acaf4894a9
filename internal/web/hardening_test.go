package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/web"
)

// TestSignInRedirectStaysLocal: after signing in, "next" may only send the
// browser to a path of this site. Browsers read "/\evil.example" as
// "//evil.example" and drop tabs and newlines, so such values go home.
func TestSignInRedirectStaysLocal(t *testing.T) {
	h, passwords := accounts(t)
	tests := []struct{ next, want string }{
		{"/incidents?sector=Health", "/incidents?sector=Health"},
		{"/work/incidents/new", "/work/incidents/new"},
		{"", "/"},
		{"//evil.example/", "/"},
		{`/\evil.example/`, "/"},
		{`/x\y`, "/"},
		{"/\tevil.example/", "/"},
		{"/\t/evil.example/", "/"},
		{"/\n/evil.example/", "/"},
		{"/\x00/evil.example/", "/"},
		{"/\x7f/evil.example/", "/"},
		{"https://evil.example/", "/"},
		{"evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"/%2F/evil.example/", "/"},
	}
	for _, tt := range tests {
		form := url.Values{"email": {"viewer@example.org"}, "password": {passwords["viewer@example.org"]}, "next": {tt.next}}
		req := httptest.NewRequest("POST", "/sign-in", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != tt.want {
			t.Errorf("next=%q: %d to %q, want %q", tt.next, rec.Code, rec.Header().Get("Location"), tt.want)
		}
	}
	// The raw query of the issue: %5C is a backslash once decoded.
	req := httptest.NewRequest("POST", "/sign-in", strings.NewReader("email=viewer%40example.org&password="+
		url.QueryEscape(passwords["viewer@example.org"])+"&next=/%5Cevil.example/"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if loc := rec.Header().Get("Location"); loc != "/" {
		t.Errorf("next=/%%5Cevil.example/: to %q, want /", loc)
	}
}

// TestSignInRedirectKeepsTheQuery: a page that needs signing in sends the
// public to sign in with the whole path and query escaped into "next".
func TestSignInRedirectKeepsTheQuery(t *testing.T) {
	h, _ := accounts(t)
	rec := get(h, "/admin/audit?x=1&next=//evil.example", nil)
	want := "/sign-in?next=" + url.QueryEscape("/admin/audit?x=1&next=//evil.example")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != want {
		t.Errorf("%d to %q, want %q", rec.Code, rec.Header().Get("Location"), want)
	}
}

// TestBadBytesInParameters: a query parameter (or path) with a NUL byte or
// bytes that are not UTF-8 is refused with 400 naming the parameter,
// before the store sees it: PostgreSQL refuses such text with an error of
// its own, and SQLite's full-text search with another.
func TestBadBytesInParameters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		site := newWorkSite(t, store)
		a := "analyst@a.example"
		tests := []struct{ user, path, param string }{
			{"", "/incidents?q=a%00b", "q"},
			{"", "/incidents?q=a%ffb", "q"},
			{"", "/?q=%00", "q"},
			{"", "/download/incidents.csv?q=a%00b", "q"},
			{"", "/api/v1/incidents?q=a%00b", "q"},
			{"", "/api/v1/incidents?q=%c3%28", "q"},
			{"", "/api/v1/report?sector=%00", "sector"},
			{"", "/api/v1/organisations?q=a%00b", "q"},
			{"", "/api/v1/sources?q=%ff", "q"},
			{"", "/taxii2/api/collections/?x%00=1", "x"},
			{a, "/api/v1/organisations?q=a%00b", "q"},
			{a, "/work/organisations?q=a%00b", "q"},
			{a, "/work/incidents?q=%fe", "q"},
			{"", "/incidents/incident--a%00b", "path"},
			{"", "/api/v1/incidents/incident--%ff", "path"},
		}
		for _, tt := range tests {
			code, body := site.call(tt.user, "GET", tt.path, "")
			if code != http.StatusBadRequest || !strings.Contains(body, tt.param) {
				t.Errorf("GET %s: %d %.300s; want 400 naming %s", tt.path, code, body, tt.param)
			}
			for _, leak := range []string{"sql", "SQL", "byte sequence", "fts5", "0x00", "syntax"} {
				if strings.Contains(body, leak) {
					t.Errorf("GET %s: the answer leaks %q: %.300s", tt.path, leak, body)
				}
			}
			if strings.HasPrefix(tt.path, "/api/") && !strings.Contains(body, `"code": "bad_request"`) {
				t.Errorf("GET %s: not a JSON error: %.300s", tt.path, body)
			}
		}
	})
}

// TestStoreErrorsStayInTheLog: an error of the store while a filter is
// applied is logged and answered with the safe message, not shown as a bad
// filter with the database's words (a closed store stands for any failure).
func TestStoreErrorsStayInTheLog(t *testing.T) {
	store := dbtest.SQLite(t)
	h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	for _, path := range []string{"/incidents?q=clinic", "/download/incidents.csv?q=clinic", "/api/v1/incidents?q=clinic", "/api/v1/report?q=clinic"} {
		rec := get(h, path, nil)
		if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "sql") {
			t.Errorf("GET %s: %d %.300s; want 500 with the safe message", path, rec.Code, rec.Body.String())
		}
	}
}

// TestSignInRefusesHugeEmails: an email longer than any address (254
// bytes) is refused like a wrong password, before it is counted, audited
// or shown again: it neither grows the limiter nor blocks the address.
func TestSignInRefusesHugeEmails(t *testing.T) {
	ctx := context.Background()
	store := dbtest.SQLite(t)
	var password string
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) (err error) {
		_, password, err = account.AddUser(ctx, tx, "viewer@example.org", "viewer", "Example CERT", "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	huge := strings.Repeat("a", 1<<20) + "@example.org"
	for _, email := range []string{huge, strings.Repeat("b", 243) + "@example.org"} {
		for range 6 {
			rec := signIn(t, h, email, "a guess")
			if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "Wrong email or password") ||
				strings.Contains(rec.Body.String(), email[:200]) {
				t.Fatalf("a %d-byte email: %d %.200s", len(email), rec.Code, rec.Body.String())
			}
		}
	}
	if n := countRows(t, store, `SELECT COUNT(*) FROM audit_log WHERE action = 'session.refused'`); n != 0 {
		t.Errorf("%d refused sign-ins with huge emails were audited", n)
	}
	if rec := signIn(t, h, "viewer@example.org", password); rec.Code != http.StatusSeeOther {
		t.Errorf("after huge emails, the right password from the same address: %d", rec.Code)
	}
	err = store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		_, _, err := account.AddUser(ctx, tx, strings.Repeat("c", 243)+"@example.org", "viewer", "Example CERT", "")
		return err
	})
	if err == nil {
		t.Error("a user with a 255-byte email was added")
	}
}

// TestBadCredentialsAnswer401: a bearer token or a Basic password that is
// no valid API token is refused with 401, not served as the public: a
// client whose token was revoked must learn it, not silently get less.
func TestBadCredentialsAnswer401(t *testing.T) {
	ctx := context.Background()
	store := dbtest.SQLite(t)
	site := newWorkSite(t, store)
	var token string
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) (err error) {
		token, err = account.NewToken(ctx, tx, "viewer@a.example", "viewer", "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	basic := func(pw string) func(*http.Request) { return func(r *http.Request) { r.SetBasicAuth("misp", pw) } }
	tests := []struct {
		name, path string
		auth       func(*http.Request)
		status     int
		json       bool
	}{
		{"api, unknown bearer", "/api/v1/incidents", bearer("ht_not-a-token"), 401, true},
		{"api, empty bearer", "/api/v1/incidents", bearer(""), 401, true},
		{"api, unknown basic password", "/api/v1/incidents", basic("ht_not-a-token"), 401, true},
		{"taxii, unknown basic password", "/taxii2/", basic("wrong"), 401, true},
		{"taxii, unknown bearer", "/taxii2/api/collections/", bearer("wrong"), 401, true},
		{"page, unknown bearer", "/", bearer("wrong"), 401, false},
		{"page, unknown basic password", "/incidents", basic("wrong"), 401, false},
		{"api, valid bearer", "/api/v1/incidents", bearer(token), 200, true},
		{"taxii, valid basic password", "/taxii2/", basic(token), 200, true},
		{"page, valid bearer", "/", bearer(token), 200, false},
		{"api, no credentials", "/api/v1/incidents", func(*http.Request) {}, 200, true},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", tt.path, nil)
		tt.auth(req)
		rec := httptest.NewRecorder()
		site.h.ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code != tt.status {
			t.Errorf("%s: %d, want %d; %.200s", tt.name, rec.Code, tt.status, body)
			continue
		}
		if tt.status != 401 {
			continue
		}
		if rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tt.name)
		}
		compact := strings.ReplaceAll(body, " ", "")
		if tt.json != strings.Contains(compact, `"code":"unauthenticated"`) {
			t.Errorf("%s: body %.200s (JSON code wanted: %v)", tt.name, body, tt.json)
		}
	}
}

// TestPrivateAnswersAreNotStored: an answer to a request with credentials,
// and every answer of the workspace, history, admin and sign-in pages,
// carries Cache-Control: no-store, so that no shared cache or browser
// history keeps what a signed-in user saw.
func TestPrivateAnswersAreNotStored(t *testing.T) {
	ctx := context.Background()
	store := dbtest.SQLite(t)
	site := newWorkSite(t, store)
	var token string
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) (err error) {
		token, err = account.NewToken(ctx, tx, "analyst@a.example", "analyst", "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cookie := site.cookies["analyst@a.example"]
	tests := []struct {
		name, path string
		auth       func(*http.Request)
		noStore    bool
	}{
		{"dashboard with a session", "/", func(r *http.Request) { r.AddCookie(cookie) }, true},
		{"incidents with a session", "/incidents?q=x", func(r *http.Request) { r.AddCookie(cookie) }, true},
		{"download with a session", "/download/incidents.csv", func(r *http.Request) { r.AddCookie(cookie) }, true},
		{"stylesheet with a session", "/static/style.css", func(r *http.Request) { r.AddCookie(cookie) }, true},
		{"workspace", "/work", func(r *http.Request) { r.AddCookie(cookie) }, true},
		{"history", "/history/" + site.hidden, func(r *http.Request) { r.AddCookie(cookie) }, true},
		{"admin", "/admin/audit", func(r *http.Request) { r.AddCookie(cookie) }, true},
		{"api with a bearer token", "/api/v1/incidents", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }, true},
		{"taxii with a Basic password", "/taxii2/", func(r *http.Request) { r.SetBasicAuth("x", token) }, true},
		{"a wrong token", "/api/v1/incidents", func(r *http.Request) { r.Header.Set("Authorization", "Bearer wrong") }, true},
		{"the public on the workspace", "/work", func(*http.Request) {}, true},
		{"the public on history", "/history/" + site.hidden, func(*http.Request) {}, true},
		{"the public on admin", "/admin/audit", func(*http.Request) {}, true},
		{"sign-in form", "/sign-in", func(*http.Request) {}, true},
		{"public dashboard", "/", func(*http.Request) {}, false},
		{"public api", "/api/v1/incidents", func(*http.Request) {}, false},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", tt.path, nil)
		tt.auth(req)
		rec := httptest.NewRecorder()
		site.h.ServeHTTP(rec, req)
		if got := rec.Header().Get("Cache-Control") == "no-store"; got != tt.noStore {
			t.Errorf("%s: %d, Cache-Control %q; want no-store: %v", tt.name, rec.Code, rec.Header().Get("Cache-Control"), tt.noStore)
		}
	}
	// Signing in, whether it succeeds or not.
	for _, pw := range []string{"wrong password", ""} {
		rec := signIn(t, site.h, "viewer@a.example", pw)
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("POST /sign-in (%d): Cache-Control %q", rec.Code, rec.Header().Get("Cache-Control"))
		}
	}
}

// TestTAXIIDiscoveryIgnoresTheHost: the discovery resource names its API
// root by path, never from the Host header, which the client chooses: a
// poisoned cache or a proxy that passes Host on would otherwise send
// TAXII clients, with their tokens, to another server.
func TestTAXIIDiscoveryIgnoresTheHost(t *testing.T) {
	h := newServer(t)
	for _, host := range []string{"evil.example", "evil.example:443", "example.com"} {
		req := httptest.NewRequest("GET", "/taxii2/", nil)
		req.Host = host
		req.Header.Set("X-Forwarded-Host", "evil.example")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var got struct {
			Default  string   `json:"default"`
			APIRoots []string `json:"api_roots"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 200 {
			t.Fatalf("Host %s: %d %v", host, rec.Code, err)
		}
		if got.Default != "/taxii2/api/" || len(got.APIRoots) != 1 || got.APIRoots[0] != "/taxii2/api/" {
			t.Errorf("Host %s: default %q, api_roots %q; want the path /taxii2/api/", host, got.Default, got.APIRoots)
		}
		if strings.Contains(rec.Body.String(), "evil") {
			t.Errorf("Host %s: the answer names the client's host: %s", host, rec.Body.String())
		}
	}
}

// TestSecureCookies: behind a TLS proxy the request reaches harmtrace over
// plain HTTP, so the operator says so (serve --secure-cookies) and the
// session cookie is Secure; without the option it is Secure only over TLS.
func TestSecureCookies(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		opts   []web.Options
		tls    bool
		secure bool
	}{
		{"plain HTTP", nil, false, false},
		{"TLS", nil, true, true},
		{"behind a TLS proxy, configured", []web.Options{{SecureCookies: true}}, false, true},
		{"behind a TLS proxy, not configured", []web.Options{{}}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := dbtest.SQLite(t)
			var password string
			err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) (err error) {
				_, password, err = account.AddUser(ctx, tx, "viewer@example.org", "viewer", "Example CERT", "")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			target := "http://example.org/sign-in"
			if tt.tls {
				target = "https://example.org/sign-in"
			}
			form := url.Values{"email": {"viewer@example.org"}, "password": {password}}
			req := httptest.NewRequest("POST", target, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			cookies := rec.Result().Cookies()
			if rec.Code != http.StatusSeeOther || len(cookies) != 1 {
				t.Fatalf("sign in: %d, %d cookies", rec.Code, len(cookies))
			}
			if cookies[0].Secure != tt.secure {
				t.Errorf("session cookie Secure = %v, want %v", cookies[0].Secure, tt.secure)
			}
			out := httptest.NewRequest("POST", strings.Replace(target, "sign-in", "sign-out", 1), nil)
			out.AddCookie(cookies[0])
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, out)
			if c := rec.Result().Cookies(); len(c) != 1 || c[0].Secure != tt.secure || c[0].MaxAge >= 0 {
				t.Errorf("sign-out cookie = %+v, want Secure %v", c, tt.secure)
			}
		})
	}
}

// TestUploadDecodesOutsideTheWrite: an uploaded file is decoded before the
// write transaction begins, which only writes: a large file no longer holds
// every other write back while it is parsed. A malformed file is refused,
// naming the file and the field, without waiting for the store's one writer
// (held here by another write) and without writing anything.
func TestUploadDecodesOutsideTheWrite(t *testing.T) {
	ctx := context.Background()
	store := dbtest.SQLite(t)
	site := newWorkSite(t, store)
	audits, revisions := countRows(t, store, `SELECT COUNT(*) FROM audit_log`), countRows(t, store, `SELECT COUNT(*) FROM revisions`)

	// Another write holds SQLite's single writer until the upload is answered.
	holding, release, written := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		written <- store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	letGo := sync.OnceFunc(func() { close(release) })
	defer letGo()
	answered := make(chan *httptest.ResponseRecorder, 1)
	go func() { answered <- site.upload("analyst@a.example", "../cli/testdata/broken-type.json", nil) }()
	var rec *httptest.ResponseRecorder
	select {
	case rec = <-answered:
	case <-time.After(time.Minute):
		// Not a measure of speed: only an upload that waits for the
		// writer, which is held until the upload is answered, gets here.
		t.Fatal("the upload waits for the write transaction: it decodes the file inside it")
	}
	letGo()
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	body := rec.Body.String()
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "broken-type.json") ||
		!strings.Contains(body, "attack_types") || !strings.Contains(body, "nothing was imported") {
		t.Fatalf("malformed upload: %d %s", rec.Code, errorsOf(rec))
	}
	if n := countRows(t, store, `SELECT COUNT(*) FROM audit_log`); n != audits {
		t.Errorf("a malformed upload wrote %d audit entries", n-audits)
	}
	if n := countRows(t, store, `SELECT COUNT(*) FROM revisions`); n != revisions {
		t.Errorf("a malformed upload wrote %d revisions", n-revisions)
	}
}
