package taxii_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/taxii"
	"github.com/harmtrace/harmtrace/internal/trace"
)

const collection = "/taxii2/api/collections/4b1e2c0a-6d0f-5f7e-9a51-2f6c3e8d1a40/"

// TestTAXII reads the TAXII 2.1 collection as the public and as the team
// that owns an amber incident: each gets what its markings allow, through
// filters and pages.
func TestTAXII(t *testing.T) {
	ctx := context.Background()
	store := dbtest.SQLite(t)
	users := map[string]*account.User{}
	var public, hidden *trace.Incident
	var victim *trace.Organisation
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		for email, team := range map[string]string{"analyst@a.example": "Team A", "analyst@b.example": "Team B"} {
			u, _, err := account.AddUser(ctx, tx, email, "analyst", team, "")
			if err != nil {
				return err
			}
			users[email] = u
		}
		teamB := users["analyst@b.example"].TeamID
		src := &trace.Source{Title: "Press release", Kind: "news", Reliability: "B", Credibility: 2, Marking: access.Marking{TLP: "clear"}}
		if _, err := trace.SaveSource(ctx, tx, src); err != nil {
			return err
		}
		public = &trace.Incident{Title: "DDoS on a food bank", AttackTypes: []string{"ddos"}, Determination: "confirmed",
			Start: "2025-04", TLP: "clear", SourceIDs: []string{src.ID}}
		if _, err := trace.SaveIncident(ctx, tx, public); err != nil {
			return err
		}
		victim = &trace.Organisation{Name: "Hidden Harbour Shelter", Kind: "ngo", Country: "GR", Marking: access.Marking{TLP: "amber", Owner: teamB}}
		if _, err := trace.SaveOrganisation(ctx, tx, victim); err != nil {
			return err
		}
		hidden = &trace.Incident{Title: "Ransomware at the shelter", AttackTypes: []string{"ransomware"}, Determination: "confirmed",
			Start: "2025-03", TLP: "amber", Owner: teamB, Victims: []trace.Victim{{OrganisationID: victim.ID}}, SourceIDs: []string{src.ID}}
		_, err := trace.SaveIncident(ctx, tx, hidden)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	index, err := report.BuildIndex(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	taxii.New(slog.New(slog.DiscardHandler), store, index).Routes(mux)
	get := func(user, path, accept string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		if user != "" {
			req = httpkit.WithUser(req, users[user])
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
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
		{"public objects", "", collection + "objects/", media, 200, []string{public.ID, `"more":false`}, []string{hidden.ID, victim.ID, "team--"}},
		{"owner's objects", "analyst@b.example", collection + "objects/", media, 200, []string{public.ID, hidden.ID, victim.ID}, nil},
		{"other team's objects", "analyst@a.example", collection + "objects/", media, 200, []string{public.ID}, []string{hidden.ID}},
		{"by type", "", collection + "objects/?match[type]=incident", media, 200, []string{`"type":"incident"`}, []string{`"type":"identity"`}},
		{"by id", "", collection + "objects/?match[id]=" + public.ID, media, 200, []string{public.ID}, []string{`"type":"identity"`}},
		{"one object", "", collection + "objects/" + public.ID + "/", media, 200, []string{public.ID}, nil},
		{"a hidden object", "", collection + "objects/" + hidden.ID + "/", media, 404, []string{`"http_status":"404"`}, nil},
		{"the owner's object", "analyst@b.example", collection + "objects/" + hidden.ID + "/", media, 200, []string{hidden.ID}, nil},
		{"versions", "", collection + "objects/" + public.ID + "/versions/", media, 200, []string{`"versions":["20`}, nil},
		{"first page", "", collection + "objects/?limit=1", media, 200, []string{`"more":true`, `"next":"1"`}, nil},
		{"second page", "", collection + "objects/?limit=1&next=1", media, 200, []string{`"more":false`, `"objects":[{`}, nil},
		{"manifest", "", collection + "manifest/", media, 200, []string{`"media_type":"application/stix+json;version=2.1"`, public.ID}, []string{hidden.ID}},
		{"added after", "", collection + "objects/?added_after=2999-01-01T00:00:00Z", media, 200, []string{`"objects":[]`}, []string{public.ID}},
		{"not acceptable", "", collection + "objects/", "application/json", 406, []string{`"http_status":"406"`}, nil},
		{"bad limit", "", collection + "objects/?limit=none", media, 400, []string{"limit"}, nil},
		{"unknown collection", "", "/taxii2/api/collections/nope/objects/", media, 404, []string{`"http_status":"404"`}, nil},
	}
	for _, tt := range tests {
		rec := get(tt.user, tt.path, tt.accept)
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
	if rec := get("", collection+"objects/?limit=1", media); rec.Header().Get("X-TAXII-Date-Added-First") == "" {
		t.Error("no X-TAXII-Date-Added-First header")
	}

	// A collection read before a change is not served after it.
	public.TLP = "amber"
	public.Owner = users["analyst@a.example"].TeamID
	if err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		_, err := trace.SaveIncident(ctx, tx, public)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if body := get("", collection+"objects/", media).Body.String(); strings.Contains(body, public.ID) {
		t.Error("the public still gets an incident marked amber since its last read")
	}
}
