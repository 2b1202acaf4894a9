package web_test

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/interchange/stix"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// A case worker makes a public incident from a case only when the
// reporter consented, and only what the case worker writes anew, the
// attack types, the month and the country pass; the organisation only
// with its own consent. Then no page, download, API answer, TAXII answer
// or export holds a contact, a word of the reporter's or a case id.
func TestCasesNeverReachAPublicOutput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		s := newCaseSite(t, store)
		ctx := context.Background()
		_, shared := s.report(t, `{"organisation": {"name": "Clinique du Parc", "kind": "healthcare-provider", "country": "FR", "sector": "Health"},
			"attack_types": ["ransomware", "data-breach"], "what_happened": "Secret story: the nurse's laptop", "started": "2026-11-02",
			"contact": {"email": "nurse@clinique.example", "phone": "+33 6 12 34 56 78"},
			"consent": {"contact_me": true, "share_anonymised": true, "name_organisation": true}}`)
		_, private := s.report(t, `{"organisation": {"name": "Hidden Women's Shelter", "country": "FR"}, "attack_types": ["stalkerware"],
			"what_happened": "Private story: he reads her phone", "contact": {"email": "hidden@shelter.example"}, "consent": {"contact_me": true}}`)
		_, anonymous := s.report(t, `{"organisation": {"name": "Unnamed Association", "country": "BE"}, "attack_types": ["ddos"],
			"what_happened": "Anonymous story", "consent": {"share_anonymised": true}}`)

		post := func(id string, form url.Values) (int, string) {
			return s.do("worker@a.example", "POST", "/work/cases/"+id, form.Encode())
		}
		incident := url.Values{"action": {"incident"}, "title": {"Ransomware at a clinic in France"}, "tlp": {"clear"}, "name_organisation": {"yes"}}
		if code, body := post(private, incident); code != 422 || !strings.Contains(body, "did not consent") {
			t.Errorf("an incident from a case without consent: %d %.300s", code, body)
		}
		if code, body := post(anonymous, incident); code != 422 || !strings.Contains(body, "did not allow naming") {
			t.Errorf("naming an organisation without consent: %d %.300s", code, body)
		}
		if code, body := post(shared, url.Values{"action": {"incident"}, "tlp": {"clear"}}); code != 422 || !strings.Contains(body, "anew") {
			t.Errorf("an incident without a title of its own: %d %.300s", code, body)
		}
		// An analyst cannot even open the case; a volunteer cannot make the incident.
		if code, _ := s.do("analyst@a.example", "POST", "/work/cases/"+shared, incident.Encode()); code != 403 {
			t.Errorf("an analyst: %d", code)
		}
		if code, body := post(shared, incident); code != 303 {
			t.Fatalf("the incident: %d %.300s", code, body)
		}
		anon := url.Values{"action": {"incident"}, "title": {"DDoS on an association in Belgium"}, "tlp": {"clear"}}
		if code, body := post(anonymous, anon); code != 303 {
			t.Fatalf("the anonymous incident: %d %.300s", code, body)
		}
		c, _ := s.cases.Get(ctx, store, shared)
		in, err := trace.GetIncident(ctx, store, c.IncidentID)
		if err != nil {
			t.Fatal(err)
		}
		if in.Start != "2026-11" || in.Summary != "" || len(in.Victims) != 1 || in.TLP != "clear" || in.Determination != "confirmed" {
			t.Errorf("the incident: %+v", in)
		}
		if code, body := post(shared, incident); code != 422 || !strings.Contains(body, "already") {
			t.Errorf("a second incident from the case: %d", code)
		}

		secrets := []string{"nurse@clinique.example", "+33 6 12 34 56 78", "Secret story", "Private story", "Hidden Women", "hidden@shelter.example",
			"Anonymous story", "Unnamed Association", shared, private, anonymous, "case--"}
		pages := []string{"/", "/incidents", "/incidents/" + in.ID, "/download/incidents.csv", "/download/incidents.json", "/download/incidents.stix",
			"/api/v1/incidents", "/api/v1/incidents/" + in.ID, "/api/v1/report", "/api/v1/organisations?q=clinique", "/api/v1/sources?q=helpdesk",
			"/countries/FR", "/countries/BE", "/history/" + in.ID, "/api/v1/revisions/" + in.ID,
			"/taxii2/api/collections/4b1e2c0a-6d0f-5f7e-9a51-2f6c3e8d1a40/objects/"}
		pages = append(pages, "/api/v1/reports/figures")
		for _, who := range []string{"", "viewer@b.example", "analyst@a.example"} {
			for _, page := range pages {
				header := []string{}
				if strings.HasPrefix(page, "/taxii2/") {
					header = []string{"Accept", "application/taxii+json;version=2.1"}
				}
				code, body := s.do(who, "GET", page, "", header...)
				if code >= 500 {
					t.Errorf("%s as %q: %d", page, who, code)
				}
				for _, secret := range secrets {
					if strings.Contains(body, secret) {
						t.Errorf("%s as %q holds %q", page, who, secret)
					}
				}
			}
		}
		if _, body := s.do("", "GET", "/incidents/"+in.ID, ""); !strings.Contains(body, "Clinique du Parc") {
			t.Error("the consented, named organisation is not on the public incident")
		}
		// The operator's exports hold no case either.
		doc, err := interchange.Load(ctx, store, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := stix.Write(&out, doc, ""); err != nil {
			t.Fatal(err)
		}
		if err := interchange.WriteCSV(&out, doc); err != nil {
			t.Fatal(err)
		}
		for _, secret := range secrets {
			if strings.Contains(out.String(), secret) {
				t.Errorf("the operator's export holds %q", secret)
			}
		}
	})
}

// The anonymous figures count what reporters allowed, and withhold small
// numbers.
func TestReportedFigures(t *testing.T) {
	s := newCaseSite(t, dbtest.SQLite(t))
	for i := range 6 {
		consent := "true"
		if i == 0 {
			consent = "false"
		}
		s.report(t, `{"attack_types": ["stalkerware"], "what_happened": "x", "harmed_groups": ["women", "lgbtq"], "consent": {"count_groups": `+consent+`}}`)
	}
	code, body := s.do("", "GET", "/api/v1/reports/figures", "")
	for _, want := range []string{`"cases": 6`, `"women_and_girls": 5`, `"lgbtq": 5`, `"minors": null`, `"stalkerware": 6`} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("lacks %s: %d %s", want, code, body)
		}
	}
	// The dashboard says the same, in words.
	_, home := s.do("", "GET", "/", "")
	for _, want := range []string{"6 reports from victims", "women and girls in 5", "LGBTQ+ people in 5", "children in fewer than 5"} {
		if !strings.Contains(home, want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
}
