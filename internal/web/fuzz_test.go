package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/importer"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/web"
)

// fuzzSite is a server on a store with a few incidents and an analyst's
// session, shared by every input of a fuzz target.
type fuzzSite struct {
	h       http.Handler
	session *http.Cookie
}

func newFuzzSite(f *testing.F) *fuzzSite {
	store := dbtest.SQLite(f)
	var secret string
	err := store.Write(context.Background(), db.Author{Who: "test"}, func(tx *db.Tx) error {
		for _, file := range []string{"../importer/testdata/stix/hospital-incident.json", "../importer/testdata/misp/misp_event.json"} {
			if err := importer.File(context.Background(), tx, file, importer.Options{TLP: "clear"}, interchange.NewSummary(), nil); err != nil {
				return err
			}
		}
		u, _, err := account.AddUser(context.Background(), tx, "analyst@cert.example", "analyst", "Health CERT", "a long enough password 1")
		if err != nil {
			return err
		}
		secret, err = account.NewSession(context.Background(), tx, u, "192.0.2.1")
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		f.Fatal(err)
	}
	return &fuzzSite{h: h, session: &http.Cookie{Name: "harmtrace_session", Value: secret}}
}

// serve sends a request; an answer of 500 or more is a failure: bad input
// is the sender's mistake, never the server's.
func (s *fuzzSite) serve(t *testing.T, req *http.Request, signedIn bool) {
	t.Helper()
	if signedIn {
		req.AddCookie(s.session)
	}
	req.RemoteAddr = "192.0.2.1:4000"
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { s.h.ServeHTTP(rec, req); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s %s: no answer within 5 s", req.Method, req.URL)
	}
	if rec.Code >= 500 {
		t.Fatalf("%s %s: %d %.300s", req.Method, req.URL, rec.Code, rec.Body.String())
	}
}

var fuzzKinds = []string{"incidents", "organisations", "sources", "actors", "campaigns", "harms", "attributions"}

// FuzzWorkspaceForm posts arbitrary form bodies to the workspace's form
// of every kind of record.
func FuzzWorkspaceForm(f *testing.F) {
	f.Add(uint8(0), "title=Ransomware+at+a+clinic&attack_types=ransomware&determination=confirmed&start=2024-05&tlp=clear&source_ids=https%3A%2F%2Fexample.org%2Fa")
	f.Add(uint8(1), "name=Refuge&kind=ngo&country=FR&sector=Health&tlp=green&shared_with=Health+CERT")
	f.Add(uint8(2), "url=https%3A%2F%2Fexample.org%2Fnews&kind=news&reliability=B&credibility=2&tlp=clear")
	f.Add(uint8(5), "incident_id=incident--x&indicator=people-affected&min=10&max=&unit=people&source_ids=x")
	f.Add(uint8(6), "incident_id=&campaign_id=&actor_id=threat-actor--x&confidence=200&on=2024-13-45")
	site := newFuzzSite(f)
	f.Fuzz(func(t *testing.T, kind uint8, body string) {
		path := "/work/" + fuzzKinds[int(kind)%len(fuzzKinds)] + "/new"
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		site.serve(t, req, true)
	})
}

// FuzzTAXIIQuery sends arbitrary query strings to the TAXII objects,
// manifest and versions endpoints.
func FuzzTAXIIQuery(f *testing.F) {
	for _, q := range []string{"", "limit=1", "limit=0&next=-1", "added_after=2024-01-01T00:00:00Z&match[type]=incident,identity",
		"match[id]=incident--x&match[version]=all", "match[spec_version]=2.1&next=1000000000000000000000", "added_after=yesterday"} {
		f.Add(uint8(0), q)
	}
	site := newFuzzSite(f)
	col := "/taxii2/api/collections/4b1e2c0a-6d0f-5f7e-9a51-2f6c3e8d1a40/"
	paths := []string{col + "objects/", col + "manifest/", col + "objects/incident--x/", col + "objects/incident--x/versions/"}
	f.Fuzz(func(t *testing.T, which uint8, query string) {
		req := httptest.NewRequest("GET", paths[int(which)%len(paths)], nil)
		req.URL.RawQuery = query
		req.Header.Set("Accept", "application/taxii+json;version=2.1")
		site.serve(t, req, which&0x80 != 0)
	})
}

// FuzzUpload posts arbitrary multipart bodies to the workspace's import.
func FuzzUpload(f *testing.F) {
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\non\r\n--B\r\n" +
		"Content-Disposition: form-data; name=\"file\"; filename=\"a.json\"\r\nContent-Type: application/json\r\n\r\n" +
		`{"harmtrace": "1", "incidents": [{"title": "x"}]}` + "\r\n--B--\r\n"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\ncsv\r\n--B\r\n" +
		"Content-Disposition: form-data; name=\"mapping\"; filename=\"m.json\"\r\n\r\n{\"columns\": {}}\r\n--B\r\n" +
		"Content-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\ntitle\r\nx\r\n--B--\r\n"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"encoding\"\r\n\r\nwindows-1252\r\n--B--"))
	site := newFuzzSite(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/work/import", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
		site.serve(t, req, true)
	})
}
