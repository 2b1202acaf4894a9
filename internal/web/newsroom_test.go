package web_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"testing"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/web"
)

// newsroom is the store a journalist checks figures against: clear
// incidents of two years, attack types, countries, an actor and a
// campaign; a possible duplicate left open; harm of every kind, with an
// attacker's claim; and an amber incident with an amber actor that no
// public figure may count.
type newsroom struct {
	ransom, duplicate, phishing, hidden string // incident ids
	actor, hiddenActor, campaign        string
	anne, anneAgain                     string // two records of one hospital
	source                              string
}

func newNewsroom(t *testing.T, store *db.DB) *newsroom {
	t.Helper()
	ctx := context.Background()
	n := &newsroom{}
	err := store.Write(ctx, db.Author{Who: "test", Why: "newsroom fixture"}, func(tx *db.Tx) error {
		src := &trace.Source{Title: "Regional news", URL: "https://news.example/anne", Kind: "news", TLP: "clear"}
		anne := &trace.Organisation{Name: "St Anne Hospital", Kind: "healthcare-provider", Sector: "Health", Country: "US", Healthcare: true, TLP: "clear"}
		anneAgain := &trace.Organisation{Name: "St. Anne Hospital", Kind: "healthcare-provider", Sector: "Health", Country: "US", Healthcare: true, TLP: "clear"}
		harbour := &trace.Organisation{Name: "Harbour Clinic", Kind: "healthcare-provider", Sector: "Health", Country: "GB", Healthcare: true, TLP: "clear"}
		shelter := &trace.Organisation{Name: "Quiet Shelter", Kind: "ngo", Sector: "NGO", Country: "FR", Humanitarian: true}
		actor := &trace.Actor{Name: "Night Spider", Type: "criminal", OriginCountry: "RU", TLP: "clear"}
		hiddenActor := &trace.Actor{Name: "Amber Wolf", Type: "criminal", OriginCountry: "KP"}
		camp := &trace.Campaign{Name: "Winter Wave", FirstSeen: "2019-01", TLP: "clear"}
		for _, save := range []func() error{
			func() error { _, err := trace.SaveSource(ctx, tx, src); return err },
			func() error { _, err := trace.SaveOrganisation(ctx, tx, anne); return err },
			func() error { _, err := trace.SaveOrganisation(ctx, tx, anneAgain); return err },
			func() error { _, err := trace.SaveOrganisation(ctx, tx, harbour); return err },
			func() error { _, err := trace.SaveOrganisation(ctx, tx, shelter); return err },
			func() error { _, err := trace.SaveActor(ctx, tx, actor); return err },
			func() error { _, err := trace.SaveActor(ctx, tx, hiddenActor); return err },
			func() error { _, err := trace.SaveCampaign(ctx, tx, camp); return err },
		} {
			if err := save(); err != nil {
				return err
			}
		}
		incident := func(title, start string, types []string, org, campaign, tlp string) (*trace.Incident, error) {
			in := &trace.Incident{Title: title, Summary: title + " at a hospital", AttackTypes: types, Determination: "confirmed",
				Start: trace.Date(start), CampaignID: campaign, SourceIDs: []string{src.ID},
				Victims: []trace.Victim{{OrganisationID: org}}, Marking: access.Marking{TLP: tlp}}
			_, err := trace.SaveIncident(ctx, tx, in)
			return in, err
		}
		ransom, err := incident("Ransomware at St Anne Hospital", "2019-03-02", []string{"ransomware"}, anne.ID, camp.ID, "clear")
		if err != nil {
			return err
		}
		dup, err := incident("Patient data of St. Anne Hospital leaked", "2019-05", []string{"data-breach"}, anneAgain.ID, "", "clear")
		if err != nil {
			return err
		}
		phishing, err := incident("Phishing at Harbour Clinic", "2020-06-10", []string{"phishing"}, harbour.ID, "", "clear")
		if err != nil {
			return err
		}
		hidden, err := incident("Ransomware at a shelter", "2019-08", []string{"ransomware"}, shelter.ID, "", "amber")
		if err != nil {
			return err
		}
		figure := func(in *trace.Incident, indicator string, lo, hi *int64, certainty string) error {
			h := &harm.Harm{IncidentID: in.ID, Indicator: indicator, Min: lo, Max: hi, Certainty: certainty,
				SourceIDs: []string{src.ID}, TLP: in.TLP}
			_, err := harm.Save(ctx, tx, h)
			return err
		}
		for _, f := range []struct {
			in        *trace.Incident
			indicator string
			lo, hi    *int64
			certainty string
		}{
			{ransom, "people-affected", harm.Exact(40000), harm.Exact(40000), "confirmed"},
			{ransom, "people-affected", harm.Exact(400000), harm.Exact(400000), "claimed"},
			{ransom, "service-disruption-days", harm.Exact(3), harm.Exact(10), "reported"},
			{ransom, "care-diverted", harm.Exact(120), nil, "reported"},
			{ransom, "facilities-affected", harm.Exact(2), harm.Exact(2), "confirmed"},
			{ransom, "deaths", nil, nil, "reported"},
			{ransom, "care-cancelled", harm.Exact(15000), harm.Exact(15000), "claimed"},
			{dup, "people-affected", harm.Exact(30000), harm.Exact(30000), "reported"},
			{phishing, "people-affected", harm.Exact(500), harm.Exact(500), "confirmed"},
			{phishing, "injuries", harm.Exact(0), harm.Exact(0), "confirmed"},
			{hidden, "people-affected", harm.Exact(999999), harm.Exact(999999), "confirmed"},
			{hidden, "deaths", harm.Exact(7), harm.Exact(7), "confirmed"},
		} {
			if err := figure(f.in, f.indicator, f.lo, f.hi, f.certainty); err != nil {
				return err
			}
		}
		for _, a := range []*trace.Attribution{
			{IncidentID: ransom.ID, ActorID: actor.ID, AttributedBy: "Regional news", Confidence: "likely", SourceIDs: []string{src.ID}, Marking: access.Marking{TLP: "clear"}},
			{IncidentID: hidden.ID, ActorID: hiddenActor.ID, AttributedBy: "Team notes", Confidence: "likely", SourceIDs: []string{src.ID}},
		} {
			if _, err := trace.SaveAttribution(ctx, tx, a); err != nil {
				return err
			}
		}
		// The importer proposes pairs like this one: the same hospital
		// under two spellings, two months apart.
		a, b := ransom.ID, dup.ID
		if a > b {
			a, b = b, a
		}
		if _, err := tx.Exec(ctx, `INSERT INTO duplicate_candidates (incident_id, other_id, score, reason, status, created_at)
			VALUES (?, ?, 50, 'same victim, compatible attack types, 60 days apart', 'open', ?)`, a, b, tx.Stamp()); err != nil {
			return err
		}
		n.ransom, n.duplicate, n.phishing, n.hidden = ransom.ID, dup.ID, phishing.ID, hidden.ID
		n.actor, n.hiddenActor, n.campaign = actor.ID, hiddenActor.ID, camp.ID
		n.anne, n.anneAgain, n.source = anne.ID, anneAgain.ID, src.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// fetchPage sends a GET through the real router and returns status and body.
func fetchPage(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Code, rec.Body.String()
}

func newsroomServer(t *testing.T, store *db.DB) (http.Handler, *newsroom) {
	t.Helper()
	n := newNewsroom(t, store)
	h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return h, n
}

// TestSelectionLinksKeepTheFilter follows every download and "list these
// incidents" link of the home page, /incidents and the actor, campaign and
// country pages: each must select what the page counts. html/template
// escapes "=" and "&" after a plain "?", so a link written as
// "?{{.Query}}" kept no filter at all.
func TestSelectionLinksKeepTheFilter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		h, n := newsroomServer(t, store)
		tests := []struct {
			page  string
			query url.Values // what every link of the page must select
		}{
			{"/?attack_type=ransomware&since=2019&until=2019", url.Values{"attack_type": {"ransomware"}, "since": {"2019"}, "until": {"2019"}}},
			{"/incidents?q=hospital&country=US", url.Values{"q": {"hospital"}, "country": {"US"}}},
			{"/actors/" + n.actor, url.Values{"actor": {n.actor}}},
			{"/campaigns/" + n.campaign, url.Values{"campaign": {n.campaign}}},
			{"/countries/GB", url.Values{"country": {"GB"}}},
		}
		link := regexp.MustCompile(`href="(/(?:download/incidents\.[a-z]+|incidents)\?[^"]*)"`)
		for _, tt := range tests {
			t.Run(tt.page, func(t *testing.T) {
				status, body := fetchPage(t, h, tt.page)
				if status != 200 {
					t.Fatalf("%s answered %d", tt.page, status)
				}
				found := link.FindAllStringSubmatch(body, -1)
				if len(found) < 3 {
					t.Fatalf("%s has %d selection links, want the three downloads at least", tt.page, len(found))
				}
				for _, m := range found {
					u, err := url.Parse(html.UnescapeString(m[1]))
					if err != nil {
						t.Fatal(err)
					}
					got := u.Query()
					got.Del("page")
					if !reflect.DeepEqual(got, tt.query) {
						t.Errorf("link %s selects %v, want %v", m[1], got, tt.query)
					}
				}
			})
		}
	})
}
