package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// TestReportSaysWhatItCounts reads /api/v1/report of the newsroom's
// public data as a journalist would quote it: the headline names the
// filter, the JSON carries caveats and the method, an unknown total is
// null, the open duplicate is disclosed and counted once in the lower
// bounds, harm beyond people is reported, and the attacker's claim sits
// beside the confirmed figure instead of raising its upper bound.
func TestReportSaysWhatItCounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		h, _ := newsroomServer(t, store)
		type rng struct {
			Min     *int64 `json:"min"`
			Max     *int64 `json:"max"`
			Unknown int    `json:"unknown_incidents"`
			Claimed *struct {
				Incidents int   `json:"incidents"`
				Min       int64 `json:"min"`
			} `json:"claimed"`
		}
		var r struct {
			Incidents, Actors int
			AtLeast           int    `json:"distinct_incidents_min"`
			OpenDuplicates    int    `json:"open_duplicates"`
			MethodURL         string `json:"method_url"`
			Caveats           []string
			People            rng `json:"people_affected"`
			Records           rng `json:"records_exposed"`
			Disruption        rng `json:"service_disruption_days"`
			Facilities        rng `json:"facilities_affected"`
			Cancelled         rng `json:"care_cancelled"`
			Diverted          rng `json:"care_diverted"`
			Deaths            rng `json:"deaths"`
			Injuries          rng `json:"injuries"`
		}
		status, body := fetchPage(t, h, "/api/v1/report?since=2019&until=2019")
		if status != 200 {
			t.Fatalf("status %d: %s", status, body)
		}
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		var raw map[string]json.RawMessage
		_ = json.Unmarshal([]byte(body), &raw)
		headline := ""
		_ = json.Unmarshal(raw["headline"], &headline)
		checks := []struct {
			what string
			ok   bool
		}{
			{"two public incidents of 2019, the amber one left out", r.Incidents == 2},
			{"the headline names the year", strings.HasPrefix(headline, "In 2019: at least 1 cyberattack in 1 country")},
			{"the caveats say a person is counted in each breach", strings.Contains(strings.Join(r.Caveats, " "), "counted in each")},
			{"the caveats disclose the open duplicate", strings.Contains(strings.Join(r.Caveats, " "), "1 possible duplicate not yet reviewed; counted once in the lower bound")},
			{"the method is linked", strings.HasSuffix(r.MethodURL, "/method")},
			{"one open duplicate", r.OpenDuplicates == 1},
			{"the pair counts once in the lower bound of incidents", r.AtLeast == 1},
			{"the pair counts once in the lower bound of people (the smaller figure)", r.People.Min != nil && *r.People.Min == 30000},
			{"the attacker's claim is no upper bound", r.People.Max != nil && *r.People.Max == 70000},
			{"the attacker's claim is shown beside", r.People.Claimed != nil && r.People.Claimed.Min == 400000 && r.People.Claimed.Incidents == 1},
			{"records exposed are unknown: null, not 0", string(raw["records_exposed"]) != "" && r.Records.Min == nil && r.Records.Unknown == 2},
			{"days of disruption 3–10, unknown for one incident", r.Disruption.Min != nil && *r.Disruption.Min == 3 && r.Disruption.Max == nil && r.Disruption.Unknown == 1},
			{"care diverted at least 120", r.Diverted.Min != nil && *r.Diverted.Min == 120 && r.Diverted.Max == nil},
			{"facilities 2", r.Facilities.Min != nil && *r.Facilities.Min == 2},
			{"care cancelled rests on a claim alone", r.Cancelled.Min != nil && *r.Cancelled.Min == 15000},
			{"deaths unknown (the amber incident's 7 never count)", r.Deaths.Min == nil && r.Deaths.Unknown == 2},
			{"injuries unknown in 2019", r.Injuries.Min == nil},
			{"the amber actor is not counted", r.Actors == 1},
		}
		for _, c := range checks {
			if !c.ok {
				t.Errorf("%s: no\n%s", c.what, body)
			}
		}
	})
}

// TestHeadlineNamesEveryFilter checks the home page's headline and figures
// for filters: each active filter is named, an unknown total reads
// "unknown", and the open duplicate is disclosed next to the headline.
func TestHeadlineNamesEveryFilter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		h, n := newsroomServer(t, store)
		tests := []struct {
			path string
			want []string
			not  []string
		}{
			{"/?since=2019&until=2019", []string{"In 2019", `id="records">unknown`, "1 possible duplicate not yet reviewed; counted once in the lower bound",
				`href="/method"`, `href="/about"`}, []string{"at least 0"}},
			{"/?attack_type=ransomware&q=hospital", []string{"of type ransomware", "matching &#39;hospital&#39;"}, nil},
			{"/?sector=Health&country=GB&determination=confirmed", []string{"on health", "in the United Kingdom", "determined as confirmed"}, nil},
			{"/?actor=" + n.actor, []string{"attributed to Night Spider"}, nil},
			{"/?campaign=" + n.campaign, []string{"of the campaign Winter Wave"}, nil},
			{"/?since=2020-01", []string{"Since 2020-01", `id="duplicates"`}, []string{"possible duplicate not"}},
		}
		for _, tt := range tests {
			t.Run(tt.path, func(t *testing.T) {
				status, body := fetchPage(t, h, tt.path)
				if status != 200 {
					t.Fatalf("status %d", status)
				}
				for _, w := range tt.want {
					// A filter that opens the headline is capitalised.
					if !strings.Contains(strings.ToLower(body), strings.ToLower(w)) {
						t.Errorf("the page lacks %q", w)
					}
				}
				for _, w := range tt.not {
					if strings.Contains(body, w) {
						t.Errorf("the page shows %q", w)
					}
				}
			})
		}
	})
}

// TestMergeMergesTheSameVictim merges the open pair (one hospital under
// two spellings): the incident that stays has one victim, the hospital
// counts once, and the pair is no longer disclosed as open.
func TestMergeMergesTheSameVictim(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		h, n := newsroomServer(t, store)
		_, before := fetchPage(t, h, "/api/v1/report")
		err := store.Write(context.Background(), db.Author{Who: "test", Why: "one breach"}, func(tx *db.Tx) error {
			return interchange.MergeIncidents(context.Background(), tx, n.ransom, n.duplicate)
		})
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Incidents, Organisations int
			OpenDuplicates           int `json:"open_duplicates"`
		}
		_, body := fetchPage(t, h, "/api/v1/report")
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		if r.Incidents != 2 || r.Organisations != 2 || r.OpenDuplicates != 0 {
			t.Errorf("after the merge: %+v, want 2 incidents of 2 organisations and no open duplicate (before: %.200s)", r, before)
		}
		_, body = fetchPage(t, h, "/api/v1/incidents/"+n.ransom)
		if strings.Count(body, `"organisation_id"`) != 1 || !strings.Contains(body, n.anne) {
			t.Errorf("the merged incident's victims: %s", body)
		}
	})
}

// TestIncidentPageShowsHarmInFull: the incident's page sums up each kind
// of harm by the method, unknown where unknown, with the attacker's claim
// beside the confirmed figure.
func TestIncidentPageShowsHarmInFull(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		h, n := newsroomServer(t, store)
		status, body := fetchPage(t, h, "/incidents/"+n.ransom)
		if status != 200 {
			t.Fatalf("status %d", status)
		}
		for _, want := range []string{`id="people">40,000 people</td><td>at least 400,000 for 1 incident`, `id="disruption">3–10 days`,
			`id="diverted">at least 120 patients`, `id="facilities">2 facilities`, `id="deaths">unknown`, `id="injuries">unknown`,
			`id="cancelled">15,000 appointments`} {
			if !strings.Contains(body, want) {
				t.Errorf("the incident's page lacks %q", want)
			}
		}
	})
}

// TestReadersPages walks the pages a reader checks a figure against: the
// method rendered from docs/harm-method.md, what the data is, the data
// dictionary, the actor index and the corrections; each is linked from
// every page's footer.
func TestReadersPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		h, n := newsroomServer(t, store)
		ctx := context.Background()
		// A correction of a published incident, a change of an amber one,
		// and an incident corrected before it was published, then published.
		err := store.Write(ctx, db.Author{Who: "analyst@a.example", Why: "typo in the victim's name"}, func(tx *db.Tx) error {
			for _, id := range []string{n.ransom, n.hidden} {
				in, err := trace.GetIncident(ctx, tx, id)
				if err != nil {
					return err
				}
				in.Summary += "."
				if _, err := trace.SaveIncident(ctx, tx, in); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, why := range []string{"draft before publication", "published"} {
			err := store.Write(ctx, db.Author{Who: "analyst@a.example", Why: why}, func(tx *db.Tx) error {
				in, err := trace.GetIncident(ctx, tx, n.hidden)
				if err != nil {
					return err
				}
				if why == "published" {
					in.TLP = "clear"
					in.Victims = nil
				} else {
					in.Title = "Ransomware at a shelter (draft)"
				}
				_, err = trace.SaveIncident(ctx, tx, in)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		footer := []string{`href="/method"`, `href="/about"`, `href="/corrections"`, `href="/download/dictionary"`, `href="/actors"`}
		tests := []struct {
			path      string
			want, not []string
		}{
			{"/method", []string{"How harmtrace counts harm", `<h2 id="counting-one-incident">`, "<table>", "<td>service-disruption-days</td>",
				"<strong>smallest minimum</strong>", "<code>unknown_incidents</code>", "<li>"}, []string{"## ", "**"}},
			{"/about", []string{"HHS OCR", "2010–2021, health care only", "How to cite", "How to report an error", "public domain",
				"MISP threat-actor catalogue", `href="/corrections"`}, nil},
			{"/download/dictionary", []string{"<code>deaths_min</code>", "<code>service_disruption_days_max</code>", "<code>certainty</code>",
				"<code>origin_country</code>"}, nil},
			{"/actors", []string{"Night Spider", "Russia", `<td class="num">1</td>`}, []string{"Amber Wolf", "North Korea"}},
			{"/actors/" + n.actor, []string{"origin Russia"}, []string{"origin RU"}},
			{"/corrections", []string{"typo in the victim&#39;s name", "Ransomware at St Anne Hospital", "summary", "published"},
				[]string{"draft before publication", "Quiet Shelter"}},
			{"/", []string{`id="actors">1<`}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.path, func(t *testing.T) {
				status, body := fetchPage(t, h, tt.path)
				if status != 200 {
					t.Fatalf("status %d", status)
				}
				for _, w := range append(tt.want, footer...) {
					if !strings.Contains(body, w) {
						t.Errorf("the page lacks %q", w)
					}
				}
				for _, w := range tt.not {
					if strings.Contains(body, w) {
						t.Errorf("the page shows %q", w)
					}
				}
			})
		}
		// The typo correction of the amber incident is not listed: only one
		// "typo" line, the published incident's.
		if _, body := fetchPage(t, h, "/corrections"); strings.Count(body, "typo in the victim") != 1 {
			t.Errorf("corrections list a change of an amber record:\n%s", body)
		}
	})
}

// TestDismissedDuplicateLeavesTheFigures: once an analyst dismisses the
// open pair, the report (kept until the store changes) no longer
// discloses it nor counts it once: the dismissal is a change of the data.
func TestDismissedDuplicateLeavesTheFigures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		h, n := newsroomServer(t, store)
		open := func() string {
			_, body := fetchPage(t, h, "/api/v1/report")
			var r struct {
				Open    int `json:"open_duplicates"`
				AtLeast int `json:"distinct_incidents_min"`
			}
			if err := json.Unmarshal([]byte(body), &r); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("%d open, at least %d", r.Open, r.AtLeast)
		}
		if got := open(); got != "1 open, at least 2" {
			t.Fatalf("before: %s", got)
		}
		err := store.Write(context.Background(), db.Author{Who: "analyst@a.example", Why: "two breaches"}, func(tx *db.Tx) error {
			return interchange.DismissDuplicate(context.Background(), tx, n.ransom, n.duplicate)
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := open(); got != "0 open, at least 3" {
			t.Errorf("after the dismissal: %s", got)
		}
	})
}
