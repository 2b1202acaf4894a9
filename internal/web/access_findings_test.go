package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/importer"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/interchange/stix"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// The findings of the outside review of the access model, each as the
// test that failed before the model was rebuilt (issue "Access on every
// record"). The matrix test (access_matrix_test.go) then walks every kind,
// marking, viewer and route.

// operatorImport imports files on the command line's terms: the operator's
// import, with the default marking for what carries none.
func operatorImport(t *testing.T, store *db.DB, files ...string) {
	t.Helper()
	err := store.Write(context.Background(), db.Author{Who: "operator"}, func(tx *db.Tx) error {
		for _, f := range files {
			if err := importer.File(context.Background(), tx, f, importer.Options{TLP: trace.DefaultTLP}, interchange.NewSummary(), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// redSecrets are the words of the TLP:RED bundle and event that must never
// leave in a public output.
var redSecrets = []string{"Operation Quiet Harbour", "Harbour Wraith", "Safe Harbour Women", "intranet.cert.example",
	"beacon.harbour-wraith", "Northside Refuge", "refuge-login.example", "do not share"}

// Finding 1: TLP:RED objects came out as CLEAR in `export --tlp clear` and
// in the public API lists; objects derived from a MISP event carried no
// marking at all.
func TestFindingRedIsNeverLaunderedToClear(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		operatorImport(t, store, "testdata/access/red-bundle.json", "testdata/access/red-event.json")
		ctx := context.Background()

		public, err := interchange.Load(ctx, store, "clear", nil)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := stix.Write(&out, public, "clear"); err != nil {
			t.Fatal(err)
		}
		for _, secret := range redSecrets {
			if strings.Contains(out.String(), secret) {
				t.Errorf("export --tlp clear contains %q", secret)
			}
		}
		if strings.Contains(out.String(), "marking-definition--e828b379") || strings.Contains(out.String(), "marking-definition--5e57c739") {
			t.Error("export --tlp clear refers to a red marking: something red is in it")
		}

		// The operator's full export keeps every object's marking: nothing
		// goes out unmarked, the MISP event's objects included.
		all, err := interchange.Load(ctx, store, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if err := stix.Write(&out, all, ""); err != nil {
			t.Fatal(err)
		}
		var bundle struct {
			Objects []map[string]any `json:"objects"`
		}
		if err := json.Unmarshal(out.Bytes(), &bundle); err != nil {
			t.Fatal(err)
		}
		red := "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
		seen := map[string]bool{}
		for _, o := range bundle.Objects {
			typ, _ := o["type"].(string)
			if typ == "marking-definition" {
				continue
			}
			refs, _ := o["object_marking_refs"].([]any)
			if len(refs) == 0 {
				t.Errorf("%s %v is exported without a marking", typ, o["id"])
			}
			name, _ := o["name"].(string)
			if strings.Contains(name, "Quiet Harbour") || strings.Contains(name, "Harbour Wraith") || typ == "x-misp-event" ||
				(typ == "report" && strings.Contains(name, "do not share")) || typ == "indicator" {
				seen[typ] = true
				if len(refs) != 1 || refs[0] != red {
					t.Errorf("%s %q is exported as %v, want TLP:RED", typ, name, refs)
				}
			}
		}
		for _, typ := range []string{"campaign", "intrusion-set", "x-misp-event", "report", "indicator"} {
			if !seen[typ] {
				t.Errorf("the full export lacks the red %s", typ)
			}
		}

		site := newWorkSite(t, store)
		for _, path := range []string{"/api/v1/actors?q=wraith", "/api/v1/campaigns?q=harbour", "/api/v1/organisations?q=harbour",
			"/api/v1/organisations?q=refuge", "/api/v1/sources?q=case", "/api/v1/sources?q=phishing", "/incidents?q=refuge"} {
			for _, user := range []string{"", "analyst@a.example"} {
				_, body := site.call(user, "GET", path, "")
				for _, secret := range redSecrets {
					if strings.Contains(body, secret) {
						t.Errorf("%s as %q lists %q", path, user, secret)
					}
				}
			}
		}
	})
}

// Finding 2: a source or an organisation cited only by a hidden harm or
// attribution was public. A record an import creates because a restricted
// record refers to it takes that marking; one the workspace or the API
// creates belongs to its team, amber, until someone marks it clear.
func TestFindingCitedOnlyByHiddenRecordsStaysHidden(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		doc := &interchange.Document{
			Organisations: []trace.Organisation{{ID: "identity--00000000-0000-4000-8000-0000000000a1", Name: "Open Clinic", Kind: "healthcare-provider", TLP: "clear"},
				{ID: "identity--00000000-0000-4000-8000-0000000000a2", Name: "Quiet Counselling Service", Kind: "ngo"}},
			Sources: []trace.Source{{ID: "source--00000000-0000-4000-8000-0000000000b1", Title: "Public notice", Kind: "news", TLP: "clear"},
				{ID: "source--00000000-0000-4000-8000-0000000000b2", Title: "Hotline call notes", Kind: "victim-statement"},
				{ID: "source--00000000-0000-4000-8000-0000000000b3", Title: "Liaison officer memo", Kind: "official-statement"}},
			Actors: []trace.Actor{{ID: "threat-actor--00000000-0000-4000-8000-0000000000c1", Name: "Public Spider", Type: "criminal", TLP: "clear"}},
			Incidents: []trace.Incident{{ID: "incident--00000000-0000-4000-8000-0000000000d1", Title: "Ransomware at the Open Clinic",
				AttackTypes: []string{"ransomware"}, Determination: "confirmed", TLP: "clear",
				Victims:   []trace.Victim{{OrganisationID: "identity--00000000-0000-4000-8000-0000000000a1"}},
				SourceIDs: []string{"source--00000000-0000-4000-8000-0000000000b1"}}},
			Harms: []harm.Harm{{ID: "impact--00000000-0000-4000-8000-0000000000e1", IncidentID: "incident--00000000-0000-4000-8000-0000000000d1",
				OrganisationID: "identity--00000000-0000-4000-8000-0000000000a2", Indicator: "people-affected", Min: harm.Exact(40), Max: harm.Exact(40),
				SourceIDs: []string{"source--00000000-0000-4000-8000-0000000000b2"}, TLP: "red"}},
			Attributions: []trace.Attribution{{ID: "relationship--00000000-0000-4000-8000-0000000000f1", IncidentID: "incident--00000000-0000-4000-8000-0000000000d1",
				ActorID: "threat-actor--00000000-0000-4000-8000-0000000000c1", AttributedBy: "liaison", Confidence: "likely",
				SourceIDs: []string{"source--00000000-0000-4000-8000-0000000000b3"}, TLP: "amber+strict"}},
		}
		doc.SettleMarkings("clear") // even an import whose default is clear
		err := store.Write(ctx, db.Author{Who: "operator"}, func(tx *db.Tx) error {
			return interchange.Write(ctx, tx, "test", doc, interchange.NewSummary(), nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		site := newWorkSite(t, store)
		hidden := map[string]string{
			"source--00000000-0000-4000-8000-0000000000b2":   "Hotline call notes",
			"source--00000000-0000-4000-8000-0000000000b3":   "Liaison officer memo",
			"identity--00000000-0000-4000-8000-0000000000a2": "Quiet Counselling Service",
		}
		for id, name := range hidden {
			kind := "sources"
			if strings.HasPrefix(id, "identity--") {
				kind = "organisations"
			}
			for _, user := range []string{"", "analyst@b.example"} {
				for _, path := range []string{"/api/v1/" + kind + "/" + id, "/api/v1/revisions/" + id, "/history/" + id} {
					if code, body := site.call(user, "GET", path, ""); code != http.StatusNotFound && !(user == "" && code == http.StatusSeeOther) {
						t.Errorf("%s as %q: %d %.200s; want it answered like a missing record", path, user, code, body)
					}
				}
				for _, path := range []string{"/api/v1/" + kind + "?q=" + strings.Fields(name)[0], "/work/" + kind + "?q=" + strings.Fields(name)[0],
					"/incidents/incident--00000000-0000-4000-8000-0000000000d1"} {
					if _, body := site.call(user, "GET", path, ""); strings.Contains(body, name) {
						t.Errorf("%s as %q names %q", path, user, name)
					}
				}
			}
		}
		if _, body := site.call("", "GET", "/api/v1/sources?q=public", ""); !strings.Contains(body, "Public notice") {
			t.Errorf("the clear source is not public: %s", body)
		}
	})
}

// Finding 3: team B could edit, re-mark and delete team A's green and clear
// incidents and their harms. Only the owner team's analysts and admins
// write; others get 403 with a plain reason and the record stays as it is.
func TestFindingAnotherTeamCannotWrite(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		site := newWorkSite(t, store)
		a, b, aViewer := "analyst@a.example", "analyst@b.example", "viewer@a.example"
		code, body := site.call(a, "POST", "/api/v1/sources", `{"title": "Team A's notice", "kind": "news", "tlp": "clear"}`)
		if code != http.StatusCreated {
			t.Fatalf("source: %d %s", code, body)
		}
		var src trace.Source
		_ = json.Unmarshal([]byte(body), &src)
		ids := map[string]string{}
		for _, tlp := range []string{"green", "clear"} {
			code, body := site.call(a, "POST", "/api/v1/incidents", fmt.Sprintf(
				`{"title": "Team A's %s incident", "attack_types": ["ddos"], "determination": "confirmed", "tlp": %q, "source_ids": [%q]}`, tlp, tlp, src.ID))
			if code != http.StatusCreated {
				t.Fatalf("incident: %d %s", code, body)
			}
			var in trace.Incident
			_ = json.Unmarshal([]byte(body), &in)
			ids[tlp] = in.ID
			code, body = site.call(a, "POST", "/api/v1/harms", fmt.Sprintf(
				`{"incident_id": %q, "indicator": "people-affected", "min": 10, "max": 10, "source_ids": [%q], "tlp": %q}`, in.ID, src.ID, tlp))
			if code != http.StatusCreated {
				t.Fatalf("harm: %d %s", code, body)
			}
			var h harm.Harm
			_ = json.Unmarshal([]byte(body), &h)
			ids[tlp+" harm"] = h.ID
		}
		userB := userOf(t, store, b)
		tests := []struct {
			name, user, method, path, body string
			code                           int
		}{
			{"publish A's green incident", b, "PATCH", "/api/v1/incidents/" + ids["green"], `{"tlp": "clear"}`, 403},
			{"hide A's incident from A", b, "PATCH", "/api/v1/incidents/" + ids["clear"], fmt.Sprintf(`{"tlp": "red", "readers": [%q]}`, userB), 403},
			{"edit A's clear incident", b, "PATCH", "/api/v1/incidents/" + ids["clear"], `{"title": "defaced"}`, 403},
			{"delete A's green incident", b, "DELETE", "/api/v1/incidents/" + ids["green"] + "?reason=x", "", 403},
			{"edit A's harm", b, "PATCH", "/api/v1/harms/" + ids["green harm"], `{"min": 1000000, "max": 1000000}`, 403},
			{"delete A's harm", b, "DELETE", "/api/v1/harms/" + ids["clear harm"] + "?reason=x", "", 403},
			{"add a harm to A's incident", b, "POST", "/api/v1/harms", fmt.Sprintf(
				`{"incident_id": %q, "indicator": "people-affected", "min": 5, "max": 5, "source_ids": [%q]}`, ids["clear"], src.ID), 403},
			{"re-mark A's source", b, "PATCH", "/api/v1/sources/" + src.ID, `{"tlp": "red"}`, 403},
			{"A's viewer cannot write", aViewer, "PATCH", "/api/v1/incidents/" + ids["green"], `{"title": "x"}`, 403},
		}
		for _, tt := range tests {
			code, body := site.call(tt.user, tt.method, tt.path, tt.body)
			if code != tt.code || !strings.Contains(body, "forbidden") {
				t.Errorf("%s: %d %s; want %d forbidden", tt.name, code, body, tt.code)
			}
		}
		// The workspace's forms refuse the same way.
		rec := site.post(b, "/work/incidents/"+ids["green"], map[string][]string{"title": {"defaced"}, "attack_types": {"ddos"},
			"determination": {"confirmed"}, "tlp": {"clear"}, "source_ids": {src.ID}})
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "another organisation") {
			t.Errorf("workspace edit by another team: %d %.300s", rec.Code, rec.Body.String())
		}
		rec = site.post(b, "/work/incidents/"+ids["green"]+"/delete", map[string][]string{"confirm": {"yes"}, "reason": {"x"}})
		if rec.Code != http.StatusForbidden {
			t.Errorf("workspace delete by another team: %d", rec.Code)
		}
		for _, tlp := range []string{"green", "clear"} {
			in, err := trace.GetIncident(context.Background(), store, ids[tlp])
			if err != nil || in.TLP != tlp || strings.Contains(in.Title, "defaced") {
				t.Errorf("A's %s incident changed: %+v %v", tlp, in, err)
			}
			h, err := harm.Get(context.Background(), store, ids[tlp+" harm"])
			if err != nil || *h.Min != 10 {
				t.Errorf("A's %s harm changed: %+v %v", tlp, h, err)
			}
		}
		if n := countRows(t, store, `SELECT COUNT(*) FROM harms WHERE incident_id = ?`, ids["clear"]); n != 1 {
			t.Errorf("A's clear incident has %d harms, want 1", n)
		}
		// The owner team's analyst still writes.
		if code, body := site.call(a, "PATCH", "/api/v1/incidents/"+ids["green"], `{"title": "Team A's corrected incident"}`); code != http.StatusOK {
			t.Errorf("owner's edit: %d %s", code, body)
		}
	})
}

// Finding 4: imports reached hidden records: a harm whose impact id matched
// a hidden incident's harm was moved; organisation ids derived from a name
// let another team's dry run tell that a hidden victim exists, and a real
// import overwrote it; a hidden organisation named as a victim through the
// API answered 201.
func TestFindingImportsStayWithinReach(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		site := newWorkSite(t, store)
		a, b := "analyst@a.example", "analyst@b.example"
		dir := t.TempDir()
		// Team A uploads a VERIS record: its victim's id is derived from the
		// victim's name, which anyone can compute.
		file := filepath.Join("..", "importer", "testdata", "veris", "clinic-ransomware.json")
		if rec := site.upload(a, file, map[string]string{"tlp": "amber"}); rec.Code != http.StatusOK {
			t.Fatalf("A's upload: %d %s", rec.Code, errorsOf(rec))
		}
		var orgA, sectorA string
		teamOf := `(SELECT team_id FROM users WHERE email = ?)`
		if err := store.QueryRow(ctx, `SELECT id, sector FROM organisations WHERE owner_team = `+teamOf, a).Scan(&orgA, &sectorA); err != nil {
			t.Fatal(err)
		}
		harmsA := countRows(t, store, `SELECT COUNT(*) FROM harms`)
		orgsB := countRows(t, store, `SELECT COUNT(*) FROM organisations WHERE owner_team = `+teamOf, b)

		// Team B's dry run of the same file reports creations, not matches.
		rec := site.upload(b, file, map[string]string{"tlp": "amber", "dry_run": "on"})
		if want := `<td>organisations</td><td class="num">1</td><td class="num">0</td><td class="num">0</td>`; rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("B's dry run: %d, want %s in %s", rec.Code, want, rec.Body.String())
		}
		// B's real import keeps its own records and leaves A's alone.
		if rec := site.upload(b, file, map[string]string{"tlp": "amber"}); rec.Code != http.StatusOK {
			t.Fatalf("B's upload: %d %s", rec.Code, errorsOf(rec))
		}
		org, err := trace.GetOrganisation(ctx, store, orgA)
		if err != nil || org.Owner != userTeam(t, store, a) || org.Sector != sectorA {
			t.Errorf("A's victim changed: %+v %v", org, err)
		}
		if n := countRows(t, store, `SELECT COUNT(*) FROM organisations WHERE owner_team = `+teamOf, b); n != orgsB+1 {
			t.Errorf("B owns %d organisations after its import, want %d: its own copy of the victim", n, orgsB+1)
		}
		if n := countRows(t, store, `SELECT COUNT(*) FROM harms`); n != 2*harmsA {
			t.Errorf("%d harms after B's import, want %d: B's are its own", n, 2*harmsA)
		}

		// A harm whose impact id is a hidden incident's harm, attached to
		// B's own incident: a separate record; A's harm stays on A's incident.
		var impactA, incidentA string
		if err := store.QueryRow(ctx, `SELECT h.id, h.incident_id FROM harms h JOIN incidents i ON i.id = h.incident_id
			WHERE i.owner_team = (SELECT team_id FROM users WHERE email = ?) ORDER BY h.id LIMIT 1`, a).Scan(&impactA, &incidentA); err != nil {
			t.Fatal(err)
		}
		native := fmt.Sprintf(`{"harmtrace": "1",
			"sources": [{"id": "source--00000000-0000-4000-8000-00000000bb01", "title": "B's notes", "kind": "news"}],
			"incidents": [{"id": "incident--00000000-0000-4000-8000-00000000bb02", "title": "B's incident", "attack_types": ["ddos"],
				"determination": "confirmed", "tlp": "amber", "source_ids": ["source--00000000-0000-4000-8000-00000000bb01"]}],
			"harms": [{"id": %q, "incident_id": "incident--00000000-0000-4000-8000-00000000bb02", "indicator": "people-affected",
				"min": 1, "max": 1, "source_ids": ["source--00000000-0000-4000-8000-00000000bb01"]}]}`, impactA)
		path := filepath.Join(dir, "b.json")
		if err := os.WriteFile(path, []byte(native), 0o600); err != nil {
			t.Fatal(err)
		}
		if rec := site.upload(b, path, nil); rec.Code != http.StatusOK {
			t.Fatalf("B's native upload: %d %s", rec.Code, errorsOf(rec))
		}
		if h, err := harm.Get(ctx, store, impactA); err != nil || h.IncidentID != incidentA {
			t.Errorf("A's harm moved: %+v %v", h, err)
		}

		// Naming A's hidden victim through the API answers as a missing id does.
		missing := "identity--00000000-0000-4000-8000-00000000dead"
		answer := func(victim string) (int, string) {
			code, body := site.call(b, "POST", "/api/v1/incidents", fmt.Sprintf(`{"title": "x", "attack_types": ["ddos"],
				"determination": "claimed", "victims": [{"organisation_id": %q}], "source_ids": ["source--00000000-0000-4000-8000-00000000bb01"]}`, victim))
			return code, strings.ReplaceAll(body, victim, "ID")
		}
		hiddenCode, hiddenBody := answer(orgA)
		missingCode, missingBody := answer(missing)
		if hiddenCode != missingCode || hiddenBody != missingBody || hiddenCode != http.StatusUnprocessableEntity {
			t.Errorf("hidden victim: %d %s; missing victim: %d %s", hiddenCode, hiddenBody, missingCode, missingBody)
		}
		if m, err := access.Stored(ctx, store, access.Organisation, orgA); err != nil || m.TLP == "clear" {
			t.Errorf("A's victim was published: %+v %v", m, err)
		}
	})
}

func userTeam(t *testing.T, store *db.DB, email string) string {
	t.Helper()
	var team string
	if err := store.QueryRow(context.Background(), `SELECT team_id FROM users WHERE email = ?`, email).Scan(&team); err != nil {
		t.Fatal(err)
	}
	return team
}

// Finding 5: a harm moved to a hidden incident showed its new text, the
// hidden incident's id and its new source on the old incident's history;
// the history found attached records by searching the changes' text.
func TestFindingHistoryShowsNoHiddenChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		site := newWorkSite(t, store)
		a, b := "analyst@a.example", "analyst@b.example"
		create := func(path, body string) string {
			t.Helper()
			code, answer := site.call(a, "POST", path, body)
			if code != http.StatusCreated {
				t.Fatalf("%s: %d %s", path, code, answer)
			}
			var rec struct{ ID string }
			_ = json.Unmarshal([]byte(answer), &rec)
			return rec.ID
		}
		public := create("/api/v1/sources", `{"title": "Public notice", "kind": "news", "tlp": "clear"}`)
		x := create("/api/v1/incidents", fmt.Sprintf(`{"title": "Clear incident", "attack_types": ["ddos"], "determination": "confirmed",
			"tlp": "clear", "source_ids": [%q]}`, public))
		y := create("/api/v1/incidents", fmt.Sprintf(`{"title": "Red incident", "attack_types": ["ddos"], "determination": "confirmed",
			"tlp": "red", "readers": [%q], "source_ids": [%q]}`, userOf(t, store, a), public))
		secretSource := create("/api/v1/sources", fmt.Sprintf(`{"title": "Counsellor's notes", "kind": "victim-statement", "tlp": "red", "readers": [%q]}`, userOf(t, store, a)))
		h := create("/api/v1/harms", fmt.Sprintf(`{"incident_id": %q, "indicator": "people-affected", "min": 3, "max": 3,
			"description": "public text", "source_ids": [%q]}`, x, public))
		// A harm elsewhere whose text names X: the old LIKE search attached it to X.
		other := create("/api/v1/harms", fmt.Sprintf(`{"incident_id": %q, "indicator": "people-affected", "min": 1, "max": 1,
			"description": "see also %s", "source_ids": [%q]}`, y, x, public))
		if code, body := site.call(a, "PATCH", "/api/v1/harms/"+h, fmt.Sprintf(`{"incident_id": %q, "description": "secret text",
			"tlp": "red", "readers": [%q], "source_ids": [%q]}`, y, userOf(t, store, a), secretSource)); code != http.StatusOK {
			t.Fatalf("move: %d %s", code, body)
		}
		rec := site.get(b, "/history/"+x)
		if rec.Code != http.StatusOK {
			t.Fatalf("B's history of X: %d", rec.Code)
		}
		for _, secret := range []string{"secret text", y, secretSource, other, "see also"} {
			if strings.Contains(rec.Body.String(), secret) {
				t.Errorf("B's history of X shows %q", secret)
			}
		}
		if !strings.Contains(rec.Body.String(), "A change you may not see") || !strings.Contains(rec.Body.String(), "public text") {
			t.Errorf("B's history of X: want the harm's public creation and the hidden move:\n%s", rec.Body.String())
		}
		rec = site.get(a, "/history/"+x)
		if !strings.Contains(rec.Body.String(), "secret text") || strings.Contains(rec.Body.String(), "see also") {
			t.Errorf("A, a reader of Y, sees the move, and only X's own records:\n%.2000s", rec.Body.String())
		}
		if code, body := site.call("", "GET", "/api/v1/revisions/"+h, ""); code != http.StatusNotFound {
			t.Errorf("the public reads the moved harm's history: %d %s", code, body)
		}
	})
}
