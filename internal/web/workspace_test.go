package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/web"
)

// workSite serves a store with an analyst and a viewer of Team A, an
// analyst of Team B, and an amber incident of Team B.
type workSite struct {
	h       http.Handler
	store   *db.DB
	cookies map[string]*http.Cookie
	hidden  string // Team B's amber incident
	victim  string // its victim organisation's name
}

func newWorkSite(t *testing.T, store *db.DB) *workSite {
	ctx := context.Background()
	site := &workSite{store: store, cookies: map[string]*http.Cookie{}, victim: "Hidden Harbour Shelter"}
	passwords := map[string]string{}
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		var teamB string
		for _, u := range []struct{ email, role, team string }{
			{"analyst@a.example", "analyst", "Team A"}, {"viewer@a.example", "viewer", "Team A"}, {"analyst@b.example", "analyst", "Team B"},
		} {
			user, pw, err := account.AddUser(ctx, tx, u.email, u.role, u.team, "")
			if err != nil {
				return err
			}
			passwords[u.email] = pw
			if u.team == "Team B" {
				teamB = user.TeamID
			}
		}
		src := &trace.Source{Title: "Team B's own notes", Kind: "victim-statement", Marking: access.Marking{TLP: "amber", Owner: teamB}}
		if _, err := trace.SaveSource(ctx, tx, src); err != nil {
			return err
		}
		org := &trace.Organisation{Name: site.victim, Kind: "ngo", Country: "GR", Marking: access.Marking{TLP: "amber", Owner: teamB}}
		if _, err := trace.SaveOrganisation(ctx, tx, org); err != nil {
			return err
		}
		in := &trace.Incident{Title: "Ransomware at the shelter", AttackTypes: []string{"ransomware"}, Determination: "confirmed",
			Start: "2025-03", TLP: "amber", Owner: teamB, Victims: []trace.Victim{{OrganisationID: org.ID}}, SourceIDs: []string{src.ID}}
		_, err := trace.SaveIncident(ctx, tx, in)
		site.hidden = in.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if site.h, err = web.New(store, slog.New(slog.NewTextHandler(testLog{t}, nil))); err != nil {
		t.Fatal(err)
	}
	for email, pw := range passwords {
		rec := signIn(t, site.h, email, pw)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("sign in %s: %d", email, rec.Code)
		}
		site.cookies[email] = rec.Result().Cookies()[0]
	}
	return site
}

// post submits a form as the user (empty: the public) and returns the answer.
func (s *workSite) post(user, path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.AddCookie(s.cookies[user])
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}

func (s *workSite) get(user, path string) *httptest.ResponseRecorder {
	return get(s.h, path, s.cookies[user])
}

// TestWorkspaceRoles: the workspace is for analysts; the public is sent to
// sign in, a viewer is forbidden, whatever the page.
func TestWorkspaceRoles(t *testing.T) {
	site := newWorkSite(t, dbtest.SQLite(t))
	for _, path := range []string{"/work", "/work/incidents/new", "/work/organisations", "/work/duplicates", "/work/import",
		"/history/" + site.hidden, "/work/incidents/" + site.hidden} {
		if rec := site.get("", path); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/sign-in") {
			t.Errorf("public GET %s: %d to %q", path, rec.Code, rec.Header().Get("Location"))
		}
		if rec := site.get("viewer@a.example", path); rec.Code != http.StatusForbidden {
			t.Errorf("viewer GET %s: %d", path, rec.Code)
		}
	}
	if rec := site.post("viewer@a.example", "/work/organisations/new", url.Values{"name": {"X"}, "kind": {"ngo"}}); rec.Code != http.StatusForbidden {
		t.Errorf("viewer POST: %d", rec.Code)
	}
	if rec := site.get("analyst@a.example", "/work"); rec.Code != http.StatusOK {
		t.Errorf("analyst GET /work: %d", rec.Code)
	}
	// A form another site makes the analyst's browser send is refused,
	// though the session cookie goes with it.
	form := url.Values{"name": {"Planted"}, "kind": {"ngo"}}
	req := httptest.NewRequest("POST", "/work/organisations/new", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(site.cookies["analyst@a.example"])
	rec := httptest.NewRecorder()
	site.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || countRows(t, site.store, `SELECT COUNT(*) FROM organisations WHERE name = 'Planted'`) != 0 {
		t.Errorf("cross-site form post: %d", rec.Code)
	}
}

// TestWorkspaceRecords creates and edits records through the forms, on
// both stores: problems are shown next to their fields and nothing is
// saved; a saved incident belongs to the analyst's organisation; an edit
// keeps its reason in the history; another team's amber incident, its
// victim and its source stay out of reach.
func TestWorkspaceRecords(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		site := newWorkSite(t, store)
		a := "analyst@a.example"

		// An organisation and a source, then a list that shows them.
		if rec := site.post(a, "/work/organisations/new", url.Values{"name": {"Lakeside Hospital"}, "kind": {"healthcare-provider"},
			"sector": {"Health"}, "country": {"KE"}, "healthcare": {"true"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("new organisation: %d %s", rec.Code, errorsOf(rec))
		}
		rec := site.post(a, "/work/sources/new", url.Values{"title": {"Hospital statement"}, "url": {"https://lakeside.example/statement"},
			"kind": {"official-statement"}, "reliability": {"B"}, "credibility": {"2"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("new source: %d %s", rec.Code, errorsOf(rec))
		}
		if list := site.get(a, "/work/organisations?q=lakeside").Body.String(); !strings.Contains(list, "Lakeside Hospital") ||
			!strings.Contains(list, "/work/incidents/new?victim=identity--") {
			t.Error("the organisation list does not show the new organisation with a link to record an incident")
		}
		var orgID string
		if err := store.QueryRow(ctx, `SELECT id FROM organisations WHERE name = 'Lakeside Hospital'`).Scan(&orgID); err != nil {
			t.Fatal(err)
		}
		if form := site.get(a, "/work/incidents/new?victim="+orgID).Body.String(); !strings.Contains(form, orgID+" victim</textarea>") {
			t.Error("a new incident from an organisation does not name it as the victim")
		}

		// A bad incident: every problem next to its field, nothing saved.
		bad := url.Values{"title": {""}, "determination": {"confirmed"}, "tlp": {"amber"}, "start": {"2025-13"},
			"victims": {"Nobody Known"}, "source_ids": {"https://lakeside.example/statement"}}
		rec = site.post(a, "/work/incidents/new", bad)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("bad incident: %d", rec.Code)
		}
		for field, want := range map[string]string{"victims": "no organisation matches \"Nobody Known\""} {
			if got := fieldError(rec, field); !strings.Contains(got, want) {
				t.Errorf("field %s: error %q, want %q", field, got, want)
			}
		}
		bad.Set("victims", "Lakeside Hospital")
		rec = site.post(a, "/work/incidents/new", bad)
		for _, field := range []string{"title", "attack_types", "start"} {
			if fieldError(rec, field) == "" {
				t.Errorf("no error shown next to %s", field)
			}
		}
		if !strings.Contains(rec.Body.String(), `value="2025-13"`) {
			t.Error("the form does not keep what was typed")
		}
		if n := countRows(t, store, `SELECT COUNT(*) FROM incidents`); n != 1 {
			t.Fatalf("a refused form saved something: %d incidents", n)
		}

		// A good incident: the victim and source typed by name and URL.
		good := url.Values{"title": {"Ransomware at Lakeside Hospital"}, "attack_types": {"ransomware", "data-breach"},
			"determination": {"claimed"}, "tlp": {"amber"}, "start": {"2025-06-02"}, "victims": {"Lakeside Hospital"},
			"countries": {"KE"}, "convention_articles": {"7", "9"}, "source_ids": {"https://lakeside.example/statement"}, "reason": {"reported by the hospital"}}
		rec = site.post(a, "/work/incidents/new", good)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("new incident: %d %s", rec.Code, errorsOf(rec))
		}
		id := strings.TrimPrefix(rec.Header().Get("Location"), "/incidents/")
		in, err := trace.GetIncident(ctx, store, id)
		if err != nil {
			t.Fatal(err)
		}
		teams, _ := account.TeamIDs(ctx, store, []string{"Team A"})
		if in.Owner != teams[0] || in.TLP != "amber" || len(in.Victims) != 1 || len(in.Articles) != 2 {
			t.Errorf("saved incident = %+v", in)
		}

		if work := site.get(a, "/work").Body.String(); !strings.Contains(work, "Ransomware at Lakeside Hospital") || !strings.Contains(work, "TLP:amber") {
			t.Error("the workspace does not list the analyst's new incident")
		}

		// Edit: confirm it; the history shows the change and its reason.
		good.Set("determination", "confirmed")
		good.Set("reason", "the hospital confirmed it")
		if rec := site.post(a, "/work/incidents/"+id, good); rec.Code != http.StatusSeeOther {
			t.Fatalf("edit incident: %d %s", rec.Code, errorsOf(rec))
		}
		history := site.get(a, "/history/"+id).Body.String()
		for _, want := range []string{"the hospital confirmed it", "determination", "claimed", "confirmed", "reported by the hospital"} {
			if !strings.Contains(history, want) {
				t.Errorf("history lacks %q", want)
			}
		}

		// A harm figure with a problem, then right.
		harm := url.Values{"incident_id": {id}, "indicator": {"patients-affected"}, "min": {"12,000"}, "max": {"1000"},
			"data_types": {"health"}, "certainty": {"reported"}, "source_ids": {"https://lakeside.example/statement"}}
		if rec := site.post(a, "/work/harms/new", harm); !strings.Contains(fieldError(rec, "max"), "below min") {
			t.Errorf("harm with max below min: %d, max error %q", rec.Code, fieldError(rec, "max"))
		}
		harm.Set("max", "15000")
		if rec := site.post(a, "/work/harms/new", harm); rec.Code != http.StatusSeeOther {
			t.Fatalf("new harm: %d %s", rec.Code, errorsOf(rec))
		}
		page := site.get(a, "/incidents/"+id).Body.String()
		if !strings.Contains(page, "12,000–15,000") {
			t.Error("the incident page does not show the harm figure")
		}

		// Deleting needs the box ticked and a reason; the history keeps it.
		var harmID string
		if err := store.QueryRow(ctx, `SELECT id FROM harms WHERE incident_id = ?`, id).Scan(&harmID); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(site.get(a, "/work/harms/"+harmID).Body.String(), `id="delete-form"`) {
			t.Error("the harm's form offers no deletion")
		}
		if rec := site.post(a, "/work/harms/"+harmID+"/delete", url.Values{"reason": {"wrong figure"}}); !strings.Contains(rec.Header().Get("Location"), "delete=confirm") {
			t.Errorf("unconfirmed delete: %d to %q", rec.Code, rec.Header().Get("Location"))
		}
		if rec := site.post(a, "/work/harms/"+harmID+"/delete", url.Values{"reason": {"wrong figure"}, "confirm": {"yes"}}); rec.Code != http.StatusSeeOther ||
			rec.Header().Get("Location") != "/incidents/"+id {
			t.Errorf("delete: %d to %q", rec.Code, rec.Header().Get("Location"))
		}
		if n := countRows(t, store, `SELECT COUNT(*) FROM harms WHERE id = ?`, harmID); n != 0 {
			t.Error("the harm was not deleted")
		}
		if history := site.get(a, "/history/"+id).Body.String(); !strings.Contains(history, "wrong figure") {
			t.Error("the incident's history does not show the deleted harm")
		}
		if rec := site.post(a, "/work/organisations/"+in.Victims[0].OrganisationID+"/delete", url.Values{"reason": {"x"}, "confirm": {"yes"}}); rec.Code != http.StatusNotFound {
			t.Errorf("an organisation was deletable: %d", rec.Code)
		}

		// The public does not see the amber incident; the analyst's team does.
		if rec := site.get("", "/incidents/"+id); rec.Code != http.StatusNotFound {
			t.Errorf("public sees the amber incident: %d", rec.Code)
		}

		// Team B's amber incident, its victim and its source are out of reach.
		for _, path := range []string{"/work/incidents/" + site.hidden, "/history/" + site.hidden} {
			if rec := site.get(a, path); rec.Code != http.StatusNotFound {
				t.Errorf("analyst of Team A GET %s: %d", path, rec.Code)
			}
		}
		if rec := site.post(a, "/work/incidents/"+site.hidden, good); rec.Code != http.StatusNotFound {
			t.Errorf("analyst of Team A edits Team B's incident: %d", rec.Code)
		}
		harm.Set("incident_id", site.hidden)
		if rec := site.post(a, "/work/harms/new", harm); fieldError(rec, "incident_id") == "" {
			t.Errorf("a harm was added to Team B's incident: %d", rec.Code)
		}
		for _, path := range []string{"/work/organisations?q=harbour", "/work/sources?q=notes"} {
			if body := site.get(a, path).Body.String(); strings.Contains(body, site.victim) || strings.Contains(body, "Team B's own notes") {
				t.Errorf("%s shows Team B's hidden record", path)
			}
		}
		bad.Set("victims", site.victim)
		if got := fieldError(site.post(a, "/work/incidents/new", bad), "victims"); !strings.Contains(got, "no organisation matches") {
			t.Errorf("a hidden victim resolves by name: %q", got)
		}
		if rec := site.get("analyst@b.example", "/work/incidents/"+site.hidden); rec.Code != http.StatusOK ||
			!strings.Contains(rec.Body.String(), "Ransomware at the shelter") {
			t.Errorf("Team B cannot edit its own incident: %d", rec.Code)
		}
	})
}

// TestWorkspaceImportAndDuplicates uploads a file, sees its summary, and
// settles a proposed duplicate; a dry run and a broken file change nothing.
func TestWorkspaceImportAndDuplicates(t *testing.T) {
	store := dbtest.SQLite(t)
	site := newWorkSite(t, store)
	a := "analyst@a.example"
	before := countRows(t, store, `SELECT COUNT(*) FROM incidents`)

	rec := site.upload(a, "../importer/testdata/hhs/breach_report_sample.csv", map[string]string{"dry_run": "on", "tlp": "green"})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "dry run") {
		t.Fatalf("dry run: %d %s", rec.Code, errorsOf(rec))
	}
	if n := countRows(t, store, `SELECT COUNT(*) FROM incidents`); n != before {
		t.Fatalf("a dry run imported %d incidents", n-before)
	}
	rec = site.upload(a, "../cli/testdata/broken-field.json", nil)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "broken-field.json") ||
		!strings.Contains(rec.Body.String(), "nothing was imported") {
		t.Fatalf("broken file: %d %s", rec.Code, errorsOf(rec))
	}
	rec = site.upload(a, "../importer/testdata/hhs/breach_report_sample.csv", map[string]string{"tlp": "amber"})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `id="import-summary"`) {
		t.Fatalf("import: %d %s", rec.Code, errorsOf(rec))
	}
	imported := countRows(t, store, `SELECT COUNT(*) FROM incidents`) - before
	if imported == 0 {
		t.Fatal("nothing imported")
	}
	teams, _ := account.TeamIDs(context.Background(), store, []string{"Team A"})
	if n := countRows(t, store, `SELECT COUNT(*) FROM incidents WHERE owner_team = ?`, teams[0]); n != imported {
		t.Errorf("%d of %d uploaded incidents belong to the uploader's organisation", n, imported)
	}

	// Two incidents of the same victim a month apart: a possible duplicate.
	ctx := context.Background()
	var first, second string
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		src := &trace.Source{Title: "dup source", Kind: "news", TLP: "clear"}
		if _, err := trace.SaveSource(ctx, tx, src); err != nil {
			return err
		}
		org := &trace.Organisation{Name: "Twin Clinic", Kind: "healthcare-provider", Country: "FR", TLP: "clear"}
		if _, err := trace.SaveOrganisation(ctx, tx, org); err != nil {
			return err
		}
		doc := &interchange.Document{Incidents: []trace.Incident{
			{ID: trace.NewID("incident"), Title: "Twin Clinic attacked", AttackTypes: []string{"ransomware"}, Determination: "confirmed", Start: "2025-01", TLP: "amber",
				Owner: teams[0], Victims: []trace.Victim{{OrganisationID: org.ID}}, SourceIDs: []string{src.ID}},
			{ID: trace.NewID("incident"), Title: "Twin Clinic data leaked", AttackTypes: []string{"data-breach"}, Determination: "claimed", Start: "2025", TLP: "clear",
				Owner: teams[0], Victims: []trace.Victim{{OrganisationID: org.ID}}, SourceIDs: []string{src.ID}},
		}}
		if err := interchange.Write(ctx, tx, "test", doc, interchange.NewSummary(), nil); err != nil {
			return err
		}
		first, second = doc.Incidents[0].ID, doc.Incidents[1].ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page := site.get(a, "/work/duplicates").Body.String()
	if !strings.Contains(page, "Twin Clinic attacked") || !strings.Contains(page, "Twin Clinic data leaked") {
		t.Fatalf("the pair is not proposed: %s", page)
	}
	if body := site.get("analyst@b.example", "/work/duplicates").Body.String(); strings.Contains(body, "Twin Clinic") {
		t.Error("Team B sees a pair of Team A's amber incident")
	}
	// Folding the amber incident into the clear one would publish it.
	rec = site.post(a, "/work/duplicates", url.Values{"action": {"merge"}, "keep": {second}, "other": {first}})
	if rec.Code != http.StatusConflict {
		t.Errorf("merge of amber into clear: %d", rec.Code)
	}
	rec = site.post(a, "/work/duplicates", url.Values{"action": {"merge"}, "keep": {first}, "other": {second}, "reason": {"same attack"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("merge: %d %s", rec.Code, errorsOf(rec))
	}
	if ok, _ := report.Visible(ctx, store, access.Public, first); ok {
		t.Error("the kept amber incident became public")
	}
	if n := countRows(t, store, `SELECT COUNT(*) FROM incidents WHERE id = ?`, second); n != 0 {
		t.Error("the merged incident was kept")
	}
}

func (s *workSite) upload(user, file string, fields map[string]string) *httptest.ResponseRecorder {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	data, err := os.ReadFile(file)
	if err != nil {
		panic(err)
	}
	fw, _ := mw.CreateFormFile("file", file[strings.LastIndex(file, "/")+1:])
	_, _ = fw.Write(data)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	_ = mw.Close()
	req := httptest.NewRequest("POST", "/work/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(s.cookies[user])
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}

var fieldErrorPattern = regexp.MustCompile(`(?s)<div class="field invalid" id="field-([a-z_]+)">.*?<p class="error field-error">(.*?)</p>`)

// fieldError returns the first error shown next to a form's field.
func fieldError(rec *httptest.ResponseRecorder, field string) string {
	for _, m := range fieldErrorPattern.FindAllStringSubmatch(rec.Body.String(), -1) {
		if m[1] == field {
			return html.UnescapeString(m[2])
		}
	}
	return ""
}

// errorsOf returns the errors a page shows, for a failure's message.
func errorsOf(rec *httptest.ResponseRecorder) string {
	var out []string
	for _, m := range regexp.MustCompile(`class="error[^"]*"[^>]*>(.*?)<`).FindAllStringSubmatch(rec.Body.String(), -1) {
		out = append(out, m[1])
	}
	for _, m := range fieldErrorPattern.FindAllStringSubmatch(rec.Body.String(), -1) {
		out = append(out, m[1]+": "+m[2])
	}
	return strings.Join(out, "; ")
}

func countRows(t *testing.T, store *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := store.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// testLog shows the server's log in the test's output.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// call sends a JSON request as the user (empty: the public).
func (s *workSite) call(user, method, path, body string) (int, string) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.AddCookie(s.cookies[user])
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// TestAPIRecords: every kind of record can be created, read, changed and
// (for catalogues) listed through the API, with the workspace's rules, on
// both stores; another team's amber incident stays out of reach.
func TestAPIRecords(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		site := newWorkSite(t, store)
		a, b := "analyst@a.example", "analyst@b.example"
		code, body := site.call(a, "POST", "/api/v1/sources", `{"title": "Ministry notice", "kind": "official-statement", "reliability": "A", "credibility": 1, "tlp": "clear"}`)
		if code != 201 {
			t.Fatalf("create source: %d %s", code, body)
		}
		var src trace.Source
		_ = json.Unmarshal([]byte(body), &src)
		code, body = site.call(a, "POST", "/api/v1/incidents", `{"id": "incident--00000000-0000-4000-8000-000000000001", "owner": "someone else",
			"title": "DDoS on a helpline", "attack_types": ["ddos"], "determination": "claimed", "tlp": "clear", "source_ids": ["`+src.ID+`"]}`)
		if code != 201 {
			t.Fatalf("create incident: %d %s", code, body)
		}
		var in trace.Incident
		_ = json.Unmarshal([]byte(body), &in)
		teams, _ := account.TeamIDs(context.Background(), store, []string{"Team A"})
		if strings.HasSuffix(in.ID, "0001") || in.Owner != teams[0] {
			t.Errorf("created incident %s owned by %q: the caller chose the id or the owner", in.ID, in.Owner)
		}
		tests := []struct {
			name, user, method, path, body string
			status                         int
			want                           string
		}{
			{"patch keeps other fields", a, "PATCH", "/api/v1/incidents/" + in.ID, `{"determination": "confirmed", "owner": "x"}`, 200, `"title": "DDoS on a helpline"`},
			{"patch validates", a, "PATCH", "/api/v1/incidents/" + in.ID, `{"tlp": "orange"}`, 422, `"field": "tlp"`},
			{"no marking that hides it from its editor", a, "PATCH", "/api/v1/incidents/" + in.ID, `{"tlp": "red"}`, 422, `you would no longer see`},
			{"red with oneself as reader", a, "PATCH", "/api/v1/incidents/" + in.ID, `{"tlp": "red", "readers": ["` + userOf(t, store, a) + `"]}`, 200, `"tlp": "red"`},
			{"back to clear", a, "PATCH", "/api/v1/incidents/" + in.ID, `{"tlp": "clear", "readers": []}`, 200, `"tlp": "clear"`},
			{"patch refuses unknown keys", a, "PATCH", "/api/v1/incidents/" + in.ID, `{"colour": "red"}`, 422, `"invalid_json"`},
			{"patch needs a role", "viewer@a.example", "PATCH", "/api/v1/incidents/" + in.ID, `{"title": "x"}`, 403, `"forbidden"`},
			{"patch needs credentials", "", "PATCH", "/api/v1/incidents/" + in.ID, `{"title": "x"}`, 401, `"unauthenticated"`},
			{"history", "", "GET", "/api/v1/revisions/" + in.ID, "", 200, `"action": "update"`},
			{"history names the author to members", "viewer@a.example", "GET", "/api/v1/revisions/" + in.ID, "", 200, `"author": "analyst@a.example"`},
			{"source of a public incident", "", "GET", "/api/v1/sources/" + src.ID, "", 200, `"Ministry notice"`},
			{"organisations listed", a, "GET", "/api/v1/organisations", "", 200, `"items"`},
			{"actor created", a, "POST", "/api/v1/actors", `{"name": "Helpline Breakers", "type": "hacktivist", "tlp": "clear"}`, 201, `"threat-actor--`},
			{"actors listed by name", "", "GET", "/api/v1/actors?q=breakers", "", 200, `"total": 1`},
			{"an unmarked actor is amber, its team's", a, "POST", "/api/v1/actors", `{"name": "Quiet Breakers", "type": "hacktivist"}`, 201, `"tlp": "amber"`},
			{"an amber actor is not public", "", "GET", "/api/v1/actors?q=quiet", "", 200, `"total": 0`},
			{"nor another team's", b, "GET", "/api/v1/actors?q=quiet", "", 200, `"total": 0`},
			{"its team lists it", a, "GET", "/api/v1/actors?q=quiet", "", 200, `"total": 1`},
			{"campaign created", a, "POST", "/api/v1/campaigns", `{"name": "Winter of helplines"}`, 201, `"campaign--`},
			{"harm on a visible incident", a, "POST", "/api/v1/harms", `{"incident_id": "` + in.ID + `", "indicator": "service-disruption-days", "min": 2, "max": 3, "source_ids": ["` + src.ID + `"]}`, 201, `"impact--`},
			{"harm on a hidden incident", a, "POST", "/api/v1/harms", `{"incident_id": "` + site.hidden + `", "indicator": "service-disruption-days", "min": 2, "source_ids": ["` + src.ID + `"]}`, 422, `"field": "incident_id"`},
			{"hidden incident not patched", a, "PATCH", "/api/v1/incidents/" + site.hidden, `{"title": "x"}`, 404, `"not_found"`},
			{"hidden incident's history", a, "GET", "/api/v1/revisions/" + site.hidden, "", 404, `"not_found"`},
			{"hidden victim", a, "GET", "/api/v1/organisations?q=harbour", "", 200, `"total": 0`},
			{"the owner sees its history", b, "GET", "/api/v1/revisions/" + site.hidden, "", 200, `"action": "create"`},
			{"the owner sees its victim", b, "GET", "/api/v1/organisations?q=harbour", "", 200, `"total": 1`},
			{"wrong kind for an id", "", "GET", "/api/v1/campaigns/" + src.ID, "", 404, `"not_found"`},
			{"hidden incident not deleted", a, "DELETE", "/api/v1/incidents/" + site.hidden, "", 404, `"not_found"`},
			{"delete needs a role", "viewer@a.example", "DELETE", "/api/v1/incidents/" + in.ID, "", 403, `"forbidden"`},
			{"catalogue records are not deleted", a, "DELETE", "/api/v1/sources/" + src.ID, "", 404, `no such endpoint`},
		}
		for _, tt := range tests {
			code, body := site.call(tt.user, tt.method, tt.path, tt.body)
			if code != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("%s: %d %.300s; want %d with %s", tt.name, code, body, tt.status, tt.want)
			}
		}
		// The public sees when and why, not who or what the values were.
		if _, body := site.call("", "GET", "/api/v1/revisions/"+in.ID, ""); strings.Contains(body, "analyst@a.example") ||
			strings.Contains(body, "DDoS on a helpline") || !strings.Contains(body, `"field": "determination"`) {
			t.Errorf("public history = %.400s", body)
		}
		if page := site.get("", "/incidents/"+in.ID).Body.String(); strings.Contains(page, "analyst@a.example") {
			t.Error("the public incident page names the analyst")
		}
		if stored, _ := trace.GetIncident(context.Background(), store, in.ID); stored.Owner != teams[0] || stored.Determination != "confirmed" {
			t.Errorf("after patches: owner %q, determination %q", stored.Owner, stored.Determination)
		}
		// Deleting the incident deletes its harm too; the history keeps both.
		if code, body := site.call(a, "DELETE", "/api/v1/incidents/"+in.ID+"?reason=entered+twice", ""); code != 200 {
			t.Fatalf("delete: %d %s", code, body)
		}
		if n := countRows(t, store, `SELECT COUNT(*) FROM harms WHERE incident_id = ?`, in.ID); n != 0 {
			t.Errorf("%d harms outlive their incident", n)
		}
		if code, body := site.call("viewer@a.example", "GET", "/api/v1/revisions/"+in.ID, ""); code != 404 {
			t.Errorf("history of a deleted incident: %d %.200s", code, body)
		}
		if n := countRows(t, store, `SELECT COUNT(*) FROM revisions WHERE action = 'delete' AND reason = 'entered twice'`); n != 2 {
			t.Errorf("%d delete revisions with the reason, want the incident's and its harm's", n)
		}
	})
}

// userOf returns the id of the user with email.
func userOf(t *testing.T, store *db.DB, email string) string {
	ids, err := account.UserIDs(context.Background(), store, []string{email})
	if err != nil {
		t.Fatal(err)
	}
	return ids[0]
}

// TestReportsFollowChanges: a report read before a change is not served
// from the cache after it, filtered or not, for the public or a team.
func TestReportsFollowChanges(t *testing.T) {
	site := newWorkSite(t, dbtest.SQLite(t))
	counts := func() (public, filtered, team int) {
		for _, c := range []struct {
			user, path string
			n          *int
		}{{"", "/api/v1/report", &public}, {"", "/api/v1/report?attack_type=ddos", &filtered}, {"analyst@b.example", "/api/v1/report", &team}} {
			_, body := site.call(c.user, "GET", c.path, "")
			var rep struct{ Incidents int }
			if err := json.Unmarshal([]byte(body), &rep); err != nil {
				t.Fatal(err)
			}
			*c.n = rep.Incidents
		}
		return
	}
	p0, f0, t0 := counts()
	code, body := site.call("analyst@b.example", "POST", "/api/v1/sources", `{"title": "Notice", "kind": "news"}`)
	var src trace.Source
	if code != 201 || json.Unmarshal([]byte(body), &src) != nil {
		t.Fatalf("source: %d %s", code, body)
	}
	if code, body := site.call("analyst@b.example", "POST", "/api/v1/incidents", `{"title": "DDoS on a shelter", "attack_types": ["ddos"],
		"determination": "confirmed", "tlp": "clear", "source_ids": ["`+src.ID+`"]}`); code != 201 {
		t.Fatalf("incident: %d %s", code, body)
	}
	if p1, f1, t1 := counts(); p1 != p0+1 || f1 != f0+1 || t1 != t0+1 {
		t.Errorf("after a new clear incident: public %d→%d, filtered %d→%d, team %d→%d", p0, p1, f0, f1, t0, t1)
	}
}

// TestSharingByName: an amber incident is shared by typing a team's name;
// an unknown name is shown next to the field.
func TestSharingByName(t *testing.T) {
	site := newWorkSite(t, dbtest.SQLite(t))
	a := "analyst@a.example"
	if rec := site.post(a, "/work/sources/new", url.Values{"title": {"Note"}, "kind": {"news"}, "reliability": {"C"}, "credibility": {"3"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("source: %d %s", rec.Code, errorsOf(rec))
	}
	form := url.Values{"title": {"Phishing at a clinic"}, "attack_types": {"phishing"}, "determination": {"suspected"}, "tlp": {"amber"},
		"source_ids": {"Note"}, "shared_with": {"Team Nowhere"}}
	var src string
	if err := site.store.QueryRow(context.Background(), `SELECT id FROM sources WHERE title = 'Note'`).Scan(&src); err != nil {
		t.Fatal(err)
	}
	form.Set("source_ids", src)
	if got := fieldError(site.post(a, "/work/incidents/new", form), "shared_with"); !strings.Contains(got, `no organisation named "Team Nowhere"`) {
		t.Errorf("unknown team: %q", got)
	}
	form.Set("shared_with", "Team B")
	rec := site.post(a, "/work/incidents/new", form)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("shared incident: %d %s", rec.Code, errorsOf(rec))
	}
	id := strings.TrimPrefix(rec.Header().Get("Location"), "/incidents/")
	if got := site.get("analyst@b.example", "/incidents/"+id); got.Code != http.StatusOK {
		t.Errorf("Team B does not see the incident shared with it: %d", got.Code)
	}
	if edit := site.get(a, "/work/incidents/"+id).Body.String(); !strings.Contains(edit, ">Team B</textarea>") {
		t.Error("the edit form does not show the team by name")
	}
}
