package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// A record that a team writes can name records that team may not read: a
// victim and a source that another team marked stricter after they were
// cited. Every view of the record (the API's record, the answer to a save,
// the workspace's edit form) leaves them out, and every save keeps them.
func TestReferencesTheEditorCannotSee(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		site := newWorkSite(t, store)
		a, b := "analyst@a.example", "analyst@b.example"
		created := func(user, path, body string) string {
			code, resp := site.call(user, "POST", path, body)
			if code != http.StatusCreated {
				t.Fatalf("POST %s: %d %s", path, code, resp)
			}
			var rec struct{ ID string }
			_ = json.Unmarshal([]byte(resp), &rec)
			return rec.ID
		}
		org := created(b, "/api/v1/organisations", `{"name": "Team B's counselling service", "kind": "ngo", "tlp": "green"}`)
		src := created(b, "/api/v1/sources", `{"title": "Team B's hotline notes", "kind": "victim-statement", "tlp": "green"}`)
		ownSrc := created(a, "/api/v1/sources", `{"title": "Team A's notice", "kind": "news", "tlp": "green"}`)
		in := created(a, "/api/v1/incidents", fmt.Sprintf(`{"title": "Phishing at a counselling service", "attack_types": ["phishing"],
			"determination": "confirmed", "tlp": "green", "victims": [{"organisation_id": %q}], "source_ids": [%q, %q]}`, org, src, ownSrc))
		h := created(a, "/api/v1/harms", fmt.Sprintf(`{"incident_id": %q, "indicator": "people-affected", "min": 12, "max": 12,
			"organisation_id": %q, "source_ids": [%q, %q], "tlp": "green"}`, in, org, src, ownSrc))
		// Team B now keeps its organisation and its source to itself.
		for _, path := range []string{"/api/v1/organisations/" + org, "/api/v1/sources/" + src} {
			if code, body := site.call(b, "PATCH", path, `{"tlp": "amber+strict"}`); code != http.StatusOK {
				t.Fatalf("PATCH %s: %d %s", path, code, body)
			}
		}
		hidden := []string{org, src, "counselling service\n", "hotline notes"}
		shows := func(what, body string) {
			t.Helper()
			for _, s := range hidden {
				if strings.Contains(body, s) {
					t.Errorf("%s shows %q", what, s)
				}
			}
		}
		for _, path := range []string{"/api/v1/incidents/" + in, "/api/v1/harms/" + h} {
			code, body := site.call(a, "GET", path, "")
			if code != http.StatusOK || !strings.Contains(body, ownSrc) {
				t.Errorf("GET %s: %d %.300s", path, code, body)
			}
			shows("GET "+path, body)
		}
		form := site.get(a, "/work/incidents/"+in)
		if form.Code != http.StatusOK {
			t.Fatalf("edit form: %d", form.Code)
		}
		shows("the incident's edit form", form.Body.String())
		shows("the harm's edit form", site.get(a, "/work/harms/"+h).Body.String())

		// Saves through the API and the workspace keep what they did not show.
		for _, patch := range []struct{ path, body string }{
			{"/api/v1/incidents/" + in, `{"title": "Phishing at a counselling service (corrected)"}`},
			{"/api/v1/incidents/" + in, fmt.Sprintf(`{"source_ids": [%q], "victims": []}`, ownSrc)},
			{"/api/v1/harms/" + h, `{"min": 10, "max": 14, "organisation_id": ""}`},
		} {
			code, body := site.call(a, "PATCH", patch.path, patch.body)
			if code != http.StatusOK {
				t.Errorf("PATCH %s: %d %s", patch.path, code, body)
			}
			shows("the answer to PATCH "+patch.path, body)
		}
		fields := url.Values{"title": {"Phishing at a counselling service"}, "attack_types": {"phishing"}, "determination": {"confirmed"},
			"tlp": {"green"}, "source_ids": {ownSrc}, "victims": {""}}
		if rec := site.post(a, "/work/incidents/"+in, fields); rec.Code != http.StatusSeeOther {
			t.Errorf("workspace save: %d %.400s", rec.Code, rec.Body.String())
		}
		stored, err := trace.GetIncident(ctx, store, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(stored.Victims) != 1 || stored.Victims[0].OrganisationID != org || !slices.Contains(stored.SourceIDs, src) {
			t.Errorf("the incident lost what its editor could not see: %+v", stored)
		}
		storedHarm, err := harm.Get(ctx, store, h)
		if err != nil {
			t.Fatal(err)
		}
		if storedHarm.OrganisationID != org || !slices.Contains(storedHarm.SourceIDs, src) || *storedHarm.Min != 10 {
			t.Errorf("the harm lost what its editor could not see: %+v", storedHarm)
		}
		// Team B, which reads everything named, sees the whole record.
		if _, body := site.call(b, "GET", "/api/v1/harms/"+h, ""); !strings.Contains(body, src) || !strings.Contains(body, org) {
			t.Errorf("Team B does not see its own records in the harm: %s", body)
		}
	})
}
