package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// TestSuggestedCorrections: a team that may read another team's record
// but not change it suggests a correction; the owners accept or decline,
// and every step is in the history.
func TestSuggestedCorrections(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		site := newWorkSite(t, store)
		a, b, aViewer := "analyst@a.example", "analyst@b.example", "viewer@a.example"
		code, body := site.call(a, "POST", "/api/v1/sources", `{"title": "A's notice", "kind": "news", "tlp": "clear"}`)
		if code != http.StatusCreated {
			t.Fatal(body)
		}
		var src trace.Source
		_ = json.Unmarshal([]byte(body), &src)
		code, body = site.call(a, "POST", "/api/v1/incidents", fmt.Sprintf(`{"title": "Ransomware at the clinic", "attack_types": ["ransomware"],
			"determination": "claimed", "tlp": "green", "source_ids": [%q]}`, src.ID))
		if code != http.StatusCreated {
			t.Fatal(body)
		}
		var in trace.Incident
		_ = json.Unmarshal([]byte(body), &in)
		suggestion := func(user, fields string) (int, string, string) {
			code, body := site.call(user, "POST", "/api/v1/suggestions", fmt.Sprintf(`{"record_id": %q, "fields": %s, "reason": "the clinic confirmed it"}`, in.ID, fields))
			var s struct{ ID string }
			_ = json.Unmarshal([]byte(body), &s)
			return code, body, s.ID
		}
		if code, body := site.call(b, "PATCH", "/api/v1/incidents/"+in.ID, `{"determination": "confirmed"}`); code != http.StatusForbidden || !strings.Contains(body, "another organisation") {
			t.Errorf("B's edit: %d %s", code, body)
		}
		code, body, first := suggestion(b, `{"determination": "confirmed"}`)
		if code != http.StatusCreated {
			t.Fatalf("B's suggestion: %d %s", code, body)
		}
		tests := []struct {
			name, user, method, path, body string
			code                           int
			has                            string
		}{
			{"A lists it", a, "GET", "/api/v1/suggestions", "", 200, first},
			{"B lists its own", b, "GET", "/api/v1/suggestions", "", 200, first},
			{"B may not accept its own", b, "POST", "/api/v1/suggestions/" + first + "/accept", "", 403, "forbidden"},
			{"A's viewer may not decide", aViewer, "POST", "/api/v1/suggestions/" + first + "/accept", "", 403, "forbidden"},
			{"the public may not", "", "POST", "/api/v1/suggestions/" + first + "/accept", "", 401, "unauthenticated"},
			{"A accepts", a, "POST", "/api/v1/suggestions/" + first + "/accept", `{"note": "thanks"}`, 200, `"status": "accepted"`},
			{"once only", a, "POST", "/api/v1/suggestions/" + first + "/decline", "", 422, "already accepted"},
			{"A need not suggest", a, "POST", "/api/v1/suggestions", fmt.Sprintf(`{"record_id": %q, "fields": {"title": "x"}, "reason": "r"}`, in.ID), 422, "edit it instead"},
			{"no re-marking by suggestion", b, "POST", "/api/v1/suggestions", fmt.Sprintf(`{"record_id": %q, "fields": {"tlp": "clear"}, "reason": "r"}`, in.ID), 422, `"fields.tlp"`},
			{"a field the record lacks", b, "POST", "/api/v1/suggestions", fmt.Sprintf(`{"record_id": %q, "fields": {"colour": "red"}, "reason": "r"}`, in.ID), 422, "colour"},
			{"a reason is needed", b, "POST", "/api/v1/suggestions", fmt.Sprintf(`{"record_id": %q, "fields": {"title": "x"}, "reason": " "}`, in.ID), 422, `"reason"`},
			{"a viewer may not suggest", aViewer, "POST", "/api/v1/suggestions", fmt.Sprintf(`{"record_id": %q, "fields": {"title": "x"}, "reason": "r"}`, in.ID), 403, "forbidden"},
			{"a hidden record answers as a missing one", b, "POST", "/api/v1/suggestions", fmt.Sprintf(`{"record_id": %q, "fields": {"title": "x"}, "reason": "r"}`, "incident--00000000-0000-4000-8000-000000000000"), 404, "no such record"},
		}
		for _, tt := range tests {
			code, body := site.call(tt.user, tt.method, tt.path, tt.body)
			if code != tt.code || !strings.Contains(body, tt.has) {
				t.Errorf("%s: %d %s; want %d with %s", tt.name, code, body, tt.code, tt.has)
			}
		}
		// A hidden record (Team B's amber incident, seen from team A) answers exactly as the missing one.
		hiddenCode, hiddenBody := site.call(a, "POST", "/api/v1/suggestions", fmt.Sprintf(`{"record_id": %q, "fields": {"title": "x"}, "reason": "r"}`, site.hidden))
		if hiddenCode != http.StatusNotFound || !strings.Contains(hiddenBody, "no such record") {
			t.Errorf("suggestion on a hidden incident: %d %s", hiddenCode, hiddenBody)
		}
		stored, err := trace.GetIncident(ctx, store, in.ID)
		if err != nil || stored.Determination != "confirmed" || stored.Owner == userTeam(t, store, b) {
			t.Errorf("after the accepted suggestion: %+v %v", stored, err)
		}
		revs, _ := revision.List(ctx, store, in.ID)
		if last := revs[len(revs)-1]; !strings.Contains(last.Reason, first) || last.Author != a {
			t.Errorf("the record's history does not name the suggestion: %+v", last)
		}
		// Declined, through the workspace: B's refused edit offers the form.
		rec := site.post(b, "/work/incidents/"+in.ID, url.Values{"title": {"Ransomware at the city clinic"}, "attack_types": {"ransomware"},
			"determination": {"confirmed"}, "tlp": {"green"}, "source_ids": {src.ID}})
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "Suggest this correction") || !strings.Contains(rec.Body.String(), "city clinic") {
			t.Fatalf("B's refused edit: %d %s", rec.Code, rec.Body.String())
		}
		rec = site.post(b, "/work/suggestions", url.Values{"record_id": {in.ID}, "fields": {`{"title": "Ransomware at the city clinic"}`}, "reason": {"the name"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("B's suggestion from the workspace: %d %s", rec.Code, rec.Body.String())
		}
		var second string
		if err := store.QueryRow(ctx, `SELECT id FROM suggestions WHERE status = 'open'`).Scan(&second); err != nil {
			t.Fatal(err)
		}
		if page := site.get(a, "/work/suggestions"); !strings.Contains(page.Body.String(), "city clinic") {
			t.Errorf("A's suggestions page lacks the open one: %s", page.Body.String())
		}
		if rec := site.post(a, "/work/suggestions/"+second+"/decision", url.Values{"decision": {"decline"}, "note": {"the name is right"}}); rec.Code != http.StatusSeeOther {
			t.Errorf("A declines: %d %s", rec.Code, rec.Body.String())
		}
		if stored, _ := trace.GetIncident(ctx, store, in.ID); stored.Title != "Ransomware at the clinic" {
			t.Errorf("a declined suggestion changed the record: %q", stored.Title)
		}
		revs, _ = revision.List(ctx, store, second)
		if len(revs) != 2 || !strings.Contains(string(revs[1].Changes[0].New)+string(revs[1].Changes[1].New), "declined") {
			t.Errorf("the decline is not in the suggestion's history: %+v", revs)
		}
	})
}
