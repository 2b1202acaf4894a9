package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
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
