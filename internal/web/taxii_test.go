package web_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/trace"
)

const collection = "/taxii2/api/collections/4b1e2c0a-6d0f-5f7e-9a51-2f6c3e8d1a40/"

// TestTAXII reads the TAXII 2.1 collection as the public and as the team
// that owns an amber incident: each gets what its markings allow, through
// filters and pages.
func TestTAXII(t *testing.T) {
	site := newWorkSite(t, dbtest.SQLite(t))
	code, body := site.call("analyst@a.example", "POST", "/api/v1/sources", `{"title": "Press release", "kind": "news", "reliability": "B", "credibility": 2}`)
	var src trace.Source
	if code != 201 || json.Unmarshal([]byte(body), &src) != nil {
		t.Fatalf("source: %d %s", code, body)
	}
	code, body = site.call("analyst@a.example", "POST", "/api/v1/incidents", `{"title": "DDoS on a food bank", "attack_types": ["ddos"],
		"determination": "confirmed", "start": "2025-04", "tlp": "clear", "source_ids": ["`+src.ID+`"]}`)
	var public trace.Incident
	if code != 201 || json.Unmarshal([]byte(body), &public) != nil {
		t.Fatalf("incident: %d %s", code, body)
	}
	taxii := func(user, path, accept string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		if user != "" {
			req.AddCookie(site.cookies[user])
		}
		rec := httptest.NewRecorder()
		site.h.ServeHTTP(rec, req)
		return rec
	}
	const media = "application/taxii+json;version=2.1"
	tests := []struct {
		name, user, path, accept string
		status                   int
		has, lacks               []string
	}{
		{"discovery", "", "/taxii2/", media, 200, []string{`"api_roots":["/taxii2/api/"]`}, nil},
		{"api root", "", "/taxii2/api/", media, 200, []string{`"versions":["` + media + `"]`}, nil},
		{"collections", "", "/taxii2/api/collections/", "", 200, []string{`"can_read":true`, `"can_write":false`}, nil},
		{"collection", "", collection, "*/*", 200, []string{`"title":"Incidents"`}, nil},
		{"public objects", "", collection + "objects/", media, 200, []string{public.ID, `"more":false`}, []string{site.hidden, site.victim, "team--"}},
		{"owner's objects", "analyst@b.example", collection + "objects/", media, 200, []string{public.ID, site.hidden, site.victim}, nil},
		{"other team's objects", "analyst@a.example", collection + "objects/", media, 200, []string{public.ID}, []string{site.hidden}},
		{"by type", "", collection + "objects/?match[type]=incident", media, 200, []string{`"type":"incident"`}, []string{`"type":"identity"`}},
		{"by id", "", collection + "objects/?match[id]=" + public.ID, media, 200, []string{public.ID}, []string{`"type":"identity"`}},
		{"one object", "", collection + "objects/" + public.ID + "/", media, 200, []string{public.ID}, nil},
		{"a hidden object", "", collection + "objects/" + site.hidden + "/", media, 404, []string{`"http_status":"404"`}, nil},
		{"the owner's object", "analyst@b.example", collection + "objects/" + site.hidden + "/", media, 200, []string{site.hidden}, nil},
		{"versions", "", collection + "objects/" + public.ID + "/versions/", media, 200, []string{`"versions":["20`}, nil},
		{"first page", "", collection + "objects/?limit=1", media, 200, []string{`"more":true`, `"next":"1"`}, nil},
		{"second page", "", collection + "objects/?limit=1&next=1", media, 200, []string{`"more":false`, `"objects":[{`}, nil},
		{"manifest", "", collection + "manifest/", media, 200, []string{`"media_type":"application/stix+json;version=2.1"`, public.ID}, []string{site.hidden}},
		{"added after", "", collection + "objects/?added_after=2999-01-01T00:00:00Z", media, 200, []string{`"objects":[]`}, []string{public.ID}},
		{"not acceptable", "", collection + "objects/", "application/json", 406, []string{`"http_status":"406"`}, nil},
		{"bad limit", "", collection + "objects/?limit=none", media, 400, []string{"limit"}, nil},
		{"unknown collection", "", "/taxii2/api/collections/nope/objects/", media, 404, []string{`"http_status":"404"`}, nil},
	}
	for _, tt := range tests {
		rec := taxii(tt.user, tt.path, tt.accept)
		if rec.Code != tt.status || rec.Header().Get("Content-Type") != media {
			t.Errorf("%s: %d %q", tt.name, rec.Code, rec.Header().Get("Content-Type"))
		}
		for _, want := range tt.has {
			if !strings.Contains(rec.Body.String(), want) {
				t.Errorf("%s: lacks %s in %.400s", tt.name, want, rec.Body.String())
			}
		}
		for _, leak := range tt.lacks {
			if strings.Contains(rec.Body.String(), leak) {
				t.Errorf("%s: shows %s", tt.name, leak)
			}
		}
	}
	if rec := taxii("", collection+"objects/?limit=1", media); rec.Header().Get("X-TAXII-Date-Added-First") == "" {
		t.Error("no X-TAXII-Date-Added-First header")
	}
	// A TAXII client that speaks only Basic authentication sends an API
	// token as the password.
	var token string
	err := site.store.Write(context.Background(), db.Author{Who: "test"}, func(tx *db.Tx) (err error) {
		token, err = account.NewToken(context.Background(), tx, "analyst@b.example", "viewer", "taxii")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for password, want := range map[string]bool{token: true, "not-a-token": false} {
		req := httptest.NewRequest("GET", collection+"objects/", nil)
		req.SetBasicAuth("opencti", password)
		rec := httptest.NewRecorder()
		site.h.ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), site.hidden) != want {
			t.Errorf("Basic authentication with password %.8s…: sees Team B's incident %v, want %v", password, !want, want)
		}
	}

	// A collection read before a change is not served after it.
	if code, body := site.call("analyst@a.example", "PATCH", "/api/v1/incidents/"+public.ID, `{"tlp": "amber"}`); code != 200 {
		t.Fatalf("patch: %d %s", code, body)
	}
	if body := taxii("", collection+"objects/", media).Body.String(); strings.Contains(body, public.ID) {
		t.Error("the public still gets an incident marked amber since its last read")
	}
}
