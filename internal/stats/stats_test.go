package stats_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/importer"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/stats"
	"github.com/harmtrace/harmtrace/internal/trace"
)

var ctx = context.Background()

func load(t *testing.T, store *db.DB, tlp string, files ...string) {
	t.Helper()
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		for _, f := range files {
			if err := importer.File(ctx, tx, f, importer.Options{TLP: tlp}, interchange.NewSummary(), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// viewers are signed-in users whose figures add restricted incidents to
// the aggregates: Team A owns some amber incidents; the reader is named on
// a red one; Team B sees clear and green only.
var viewers = []access.Viewer{access.User("user--reader", "team--a", "viewer"), access.User("user--other", "team--b", "viewer")}

// same checks that the aggregates give exactly the report a scan gives,
// for marking limits and for signed-in viewers.
func same(t *testing.T, store *db.DB, step string) {
	t.Helper()
	var filters []report.Filter
	for _, tlp := range []string{"", "clear", "amber"} {
		filters = append(filters, report.Filter{MaxTLP: tlp})
	}
	for i := range viewers {
		filters = append(filters, report.Filter{Viewer: &viewers[i]})
	}
	for _, f := range filters {
		tlp := f.MaxTLP
		if f.Viewer != nil {
			tlp = "viewer " + f.Viewer.UserID
		}
		fast, err := report.Compute(ctx, store, f)
		if err != nil {
			t.Fatal(err)
		}
		slow, err := report.Scan(ctx, store, f)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(fast)
		b, _ := json.Marshal(slow)
		if string(a) != string(b) {
			t.Fatalf("%s, tlp %q: aggregates and scan differ:\naggregates %s\nscan       %s", step, tlp, a, b)
		}
	}
}

// TestAggregatesMatchTheScan changes the store in every way that moves a
// figure and checks, after each change, that the aggregates kept on write
// equal a fresh scan.
func TestAggregatesMatchTheScan(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		same(t, store, "empty store")
		load(t, store, "clear", "../importer/testdata/hhs/breach_report_sample.csv", "../importer/testdata/stix/hospital-incident.json",
			"../importer/testdata/veris/clinic-ransomware.json")
		load(t, store, "amber", "../importer/testdata/veris/ngo-inconsistent.JSON", "../importer/testdata/misp/victim-event.json")
		same(t, store, "after imports")
		load(t, store, "clear", "../importer/testdata/dedup/clinic-news.json")
		same(t, store, "after a merge")
		incidents, _ := trace.IncidentIDs(ctx, store)
		err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
			in, err := trace.GetIncident(ctx, tx, incidents[0])
			if err != nil {
				return err
			}
			in.TLP, in.Determination = "green", "false-positive"
			if _, err := trace.SaveIncident(ctx, tx, in); err != nil {
				return err
			}
			// Team A's amber incidents, and a red one naming the reader.
			madeRed := false
			for _, id := range incidents[3:] {
				in, err := trace.GetIncident(ctx, tx, id)
				if err != nil {
					return err
				}
				switch {
				case in.TLP == "amber":
					in.Owner = "team--a"
				case in.TLP == "clear" && !madeRed:
					in.TLP, in.Readers, madeRed = "red", []string{"user--reader"}, true
				}
				if _, err := trace.SaveIncident(ctx, tx, in); err != nil {
					return err
				}
			}
			harms, err := harm.OfIncident(ctx, tx, incidents[1])
			if err != nil {
				return err
			}
			for _, h := range harms {
				if err := harm.Delete(ctx, tx, h.ID); err != nil {
					return err
				}
			}
			org, err := trace.GetOrganisation(ctx, tx, "identity--1e6a9b0e-7d5a-4b8e-9c1a-2f3b4c5d6e01")
			if err != nil {
				return err
			}
			org.Sector, org.Country = "Water", "PT"
			if _, err := trace.SaveOrganisation(ctx, tx, org); err != nil {
				return err
			}
			return trace.DeleteIncident(ctx, tx, incidents[2])
		})
		if err != nil {
			t.Fatal(err)
		}
		same(t, store, "after edits and a delete")
		public, _ := report.Compute(ctx, store, report.Filter{MaxTLP: "clear"})
		victim, camp := addMixed(t, store)
		same(t, store, "after a clear incident with stricter records")
		// The stricter records count in no figure of the clear incident: it
		// adds one incident, in no new country, sector, group or actor, and
		// no people.
		got, _ := report.Compute(ctx, store, report.Filter{MaxTLP: "clear"})
		if got.Incidents != public.Incidents+1 || got.Organisations != public.Organisations || got.Countries != public.Countries ||
			got.Actors != public.Actors || got.PeopleAffected.Min != public.PeopleAffected.Min || len(got.ByGroup) != len(public.ByGroup) {
			t.Errorf("the stricter records count in the public figures:\npublic %+v\nafter  %+v", public, got)
		}
		if err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
			// Published: the victim now counts, through its own change.
			org, err := trace.GetOrganisation(ctx, tx, victim)
			if err != nil {
				return err
			}
			org.Marking = access.Marking{TLP: "clear"}
			if _, err := trace.SaveOrganisation(ctx, tx, org); err != nil {
				return err
			}
			// The campaign's amber attribution reaches the campaign's
			// amber incident, not its clear one.
			a := &trace.Attribution{CampaignID: camp, ActorID: mixedActor, AttributedBy: "test", Confidence: "likely",
				SourceIDs: []string{mixedSource}, Marking: access.Marking{TLP: "amber", Owner: "team--a"}}
			_, err = trace.SaveAttribution(ctx, tx, a)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		same(t, store, "after the victim is published and a campaign attribution")
		if got, _ = report.Compute(ctx, store, report.Filter{MaxTLP: "clear"}); got.Organisations != public.Organisations+1 || got.Actors != public.Actors {
			t.Errorf("after the victim is published: %d organisations (want %d), %d actors (want %d)", got.Organisations,
				public.Organisations+1, got.Actors, public.Actors)
		}
		// The check above proves something only if the viewers differ.
		a, _ := report.Compute(ctx, store, report.Filter{Viewer: &viewers[0]})
		b, _ := report.Compute(ctx, store, report.Filter{Viewer: &viewers[1]})
		if a.Incidents <= b.Incidents+1 {
			t.Errorf("Team A's reader sees %d incidents, Team B %d: want the amber and red ones on top", a.Incidents, b.Incidents)
		}
		// A rebuild from scratch, in bulk, gives the same aggregates as the
		// ones kept change by change.
		before := dump(t, store)
		if err := stats.Rebuild(ctx, store); err != nil {
			t.Fatal(err)
		}
		if after := dump(t, store); after != before {
			t.Fatalf("bulk rebuild differs from the kept aggregates:\nkept    %s\nrebuilt %s", before, after)
		}
	})
}

// addMixed adds a clear incident of a clear campaign whose records are
// stricter than it: an amber victim of a sector and a country of its own,
// a red harm exposing children's data, an amber attribution; and an amber
// incident of the same campaign. It returns the victim's and the
// campaign's ids.
func addMixed(t *testing.T, store *db.DB) (victim, campaign string) {
	t.Helper()
	teamA := access.Marking{TLP: "amber", Owner: "team--a"}
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		src := &trace.Source{ID: mixedSource, Title: "mixed", Kind: "news", TLP: "clear"}
		org := &trace.Organisation{Name: "Hidden Harbour Refuge", Kind: "ngo", Sector: "Immigration", Country: "NO", Humanitarian: true, Marking: teamA}
		camp := &trace.Campaign{Name: "Open campaign", TLP: "clear"}
		actor := &trace.Actor{ID: mixedActor, Name: "Mixed Spider", Type: "criminal", TLP: "clear"}
		for _, save := range []func() error{
			func() error { _, err := trace.SaveSource(ctx, tx, src); return err },
			func() error { _, err := trace.SaveOrganisation(ctx, tx, org); return err },
			func() error { _, err := trace.SaveCampaign(ctx, tx, camp); return err },
			func() error { _, err := trace.SaveActor(ctx, tx, actor); return err },
		} {
			if err := save(); err != nil {
				return err
			}
		}
		victim, campaign = org.ID, camp.ID
		for _, tlp := range []string{"clear", "amber"} {
			in := &trace.Incident{Title: "Mixed " + tlp, AttackTypes: []string{"ransomware"}, Determination: "confirmed", Start: "2024-03",
				Victims: []trace.Victim{{OrganisationID: org.ID}}, CampaignID: camp.ID, SourceIDs: []string{src.ID},
				Marking: access.Marking{TLP: tlp, Owner: "team--a"}}
			if _, err := trace.SaveIncident(ctx, tx, in); err != nil {
				return err
			}
			h := &harm.Harm{IncidentID: in.ID, Indicator: "people-affected", Min: harm.Exact(777777), Max: harm.Exact(777777),
				DataTypes: []string{"children"}, Certainty: "confirmed", SourceIDs: []string{src.ID},
				Marking: access.Marking{TLP: "red", Owner: "team--a", Readers: []string{"user--reader"}}}
			if _, err := harm.Save(ctx, tx, h); err != nil {
				return err
			}
			a := &trace.Attribution{IncidentID: in.ID, ActorID: actor.ID, AttributedBy: "test", Confidence: "likely",
				SourceIDs: []string{src.ID}, Marking: teamA}
			if _, err := trace.SaveAttribution(ctx, tx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return victim, campaign
}

// dump lists the non-zero aggregate rows.
func dump(t *testing.T, store *db.DB) string {
	rows, err := store.Query(ctx, `SELECT tlp, dimension, key, incidents, people_known, people_min, people_open, people_max,
		records_known, records_min, patients_known, patients_min FROM incident_stats WHERE incidents <> 0 ORDER BY tlp, dimension, key`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a, b, c string
		var v [9]int64
		if err := rows.Scan(&a, &b, &c, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(a, b, c, v))
	}
	return strings.Join(out, "\n")
}

// Ids of addMixed's source and actor.
const (
	mixedSource = "source--6f1d7a52-3c1e-4b7a-9d55-0c9e2f1a7b01"
	mixedActor  = "threat-actor--6f1d7a52-3c1e-4b7a-9d55-0c9e2f1a7b02"
)
