package trace_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/validate"
)

var ctx = context.Background()

func write(t *testing.T, store *db.DB, fn func(tx *db.Tx) error) {
	t.Helper()
	if err := store.Write(ctx, db.Author{Who: "tester", Why: "test"}, fn); err != nil {
		t.Fatal(err)
	}
}

// seed saves a source, an organisation and an incident that cites them.
func seed(t *testing.T, store *db.DB) (*trace.Source, *trace.Organisation, *trace.Incident) {
	t.Helper()
	src := &trace.Source{URL: "https://example.org/news/1", Title: "Hospital hit", Kind: "news", Reliability: "b", Credibility: 2}
	org := &trace.Organisation{Name: "St. Example Hospital, Inc.", Kind: "healthcare-provider", Sector: "health",
		Country: "fr", Healthcare: true}
	in := &trace.Incident{Title: "Ransomware at St. Example", AttackTypes: []string{"ransomware", "data-breach"},
		Determination: "confirmed", Start: "2024-03", Countries: []string{"fr"}, TLP: "clear", Articles: []int{10, 7}}
	write(t, store, func(tx *db.Tx) error {
		if _, err := trace.SaveSource(ctx, tx, src); err != nil {
			return err
		}
		if _, err := trace.SaveOrganisation(ctx, tx, org); err != nil {
			return err
		}
		in.Victims = []trace.Victim{{OrganisationID: org.ID}}
		in.SourceIDs = []string{src.ID}
		_, err := trace.SaveIncident(ctx, tx, in)
		return err
	})
	return src, org, in
}

func TestSaveAndGetIncident(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		src, org, in := seed(t, store)
		got, err := trace.GetIncident(ctx, store, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		in.Created, in.Updated = got.Created, got.Updated
		if !reflect.DeepEqual(got, in) {
			t.Fatalf("stored incident differs:\n got %+v\nwant %+v", got, in)
		}
		if org.Sector != "Health" || org.Country != "FR" {
			t.Errorf("organisation not normalised: sector %q country %q", org.Sector, org.Country)
		}
		if src.Reliability != "B" {
			t.Errorf("reliability = %q, want B", src.Reliability)
		}
		ids, err := trace.FindByName(ctx, store, "organisation", "ST EXAMPLE HOSPITAL")
		if err != nil || len(ids) != 1 || ids[0] != org.ID {
			t.Errorf("FindByName = %v, %v; want [%s]", ids, err, org.ID)
		}
	})
}

func TestSavingTheSameRecordTwiceChangesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		_, _, in := seed(t, store)
		again := *in
		again.AttackTypes = []string{"data-breach", "ransomware", "ransomware"} // same set, other order
		write(t, store, func(tx *db.Tx) error {
			outcome, err := trace.SaveIncident(ctx, tx, &again)
			if outcome != revision.Unchanged {
				t.Error("saving an unchanged incident reported a change")
			}
			return err
		})
		revs, err := revision.List(ctx, store, in.ID)
		if err != nil || len(revs) != 1 {
			t.Fatalf("revisions = %d, %v; want 1 (the create)", len(revs), err)
		}
	})
}

func TestRevisionsRecordFieldChangesAuthorAndReason(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		_, _, in := seed(t, store)
		in.Determination = "suspected"
		in.Title = "Ransomware at St. Example (corrected)"
		err := store.Write(ctx, db.Author{Who: "analyst@example.org", Why: "victim statement contradicts"}, func(tx *db.Tx) error {
			_, err := trace.SaveIncident(ctx, tx, in)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		write(t, store, func(tx *db.Tx) error { return trace.DeleteIncident(ctx, tx, in.ID) })
		revs, err := revision.List(ctx, store, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, r := range revs {
			actions = append(actions, r.Action)
		}
		if strings.Join(actions, ",") != "create,update,delete" {
			t.Fatalf("actions = %v", actions)
		}
		upd := revs[1]
		if upd.Author != "analyst@example.org" || upd.Reason != "victim statement contradicts" {
			t.Errorf("author/reason = %q/%q", upd.Author, upd.Reason)
		}
		var fields []string
		for _, c := range upd.Changes {
			fields = append(fields, c.Field)
		}
		if strings.Join(fields, ",") != "determination,title" {
			t.Errorf("changed fields = %v, want determination,title", fields)
		}
		if string(upd.Changes[0].Old) != `"confirmed"` || string(upd.Changes[0].New) != `"suspected"` {
			t.Errorf("determination change = %s → %s", upd.Changes[0].Old, upd.Changes[0].New)
		}
		if _, err := trace.GetIncident(ctx, store, in.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("deleted incident still found: %v", err)
		}
	})
}

func TestInvalidRecordsNameTheirFields(t *testing.T) {
	tests := []struct {
		name   string
		save   func(tx *db.Tx) error
		fields []string
	}{
		{"incident without sources or attack type", func(tx *db.Tx) error {
			_, err := trace.SaveIncident(ctx, tx, &trace.Incident{Title: "x", Determination: "confirmed"})
			return err
		}, []string{"attack_types", "source_ids"}},
		{"incident with bad vocabulary", func(tx *db.Tx) error {
			_, err := trace.SaveIncident(ctx, tx, &trace.Incident{Title: "x", AttackTypes: []string{"hacking"},
				Determination: "maybe", TLP: "orange", Start: "2024-13", Articles: []int{3}, SourceIDs: []string{"source--x"}})
			return err
		}, []string{"attack_types[0]", "determination", "start", "tlp", "convention_articles[0]"}},
		{"incident citing a missing source", func(tx *db.Tx) error {
			_, err := trace.SaveIncident(ctx, tx, &trace.Incident{Title: "x", AttackTypes: []string{"ddos"},
				Determination: "claimed", SourceIDs: []string{"source--00000000-0000-4000-8000-000000000000"}})
			return err
		}, []string{"source_ids[0]"}},
		{"organisation with bad sector and country", func(tx *db.Tx) error {
			_, err := trace.SaveOrganisation(ctx, tx, &trace.Organisation{Name: "X", Kind: "ngo", Sector: "Widgets", Country: "XX"})
			return err
		}, []string{"sector", "country"}},
		{"source with bad url and scale", func(tx *db.Tx) error {
			_, err := trace.SaveSource(ctx, tx, &trace.Source{URL: "ftp://x", Title: "t", Kind: "blog", Reliability: "G", Credibility: 9})
			return err
		}, []string{"url", "kind", "reliability", "credibility"}},
		{"actor with bad type", func(tx *db.Tx) error {
			_, err := trace.SaveActor(ctx, tx, &trace.Actor{Name: "X", Type: "alien"})
			return err
		}, []string{"type"}},
		{"attribution to nothing", func(tx *db.Tx) error {
			_, err := trace.SaveAttribution(ctx, tx, &trace.Attribution{ActorID: "threat-actor--x", Confidence: "sure"})
			return err
		}, []string{"incident_id", "attributed_by", "confidence", "source_ids"}},
	}
	store := dbtest.SQLite(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := store.Write(ctx, db.Author{Who: "tester"}, tt.save)
			fields := validate.Fields(err)
			if fields == nil {
				t.Fatalf("err = %v, want field errors", err)
			}
			var got []string
			for _, f := range fields {
				got = append(got, f.Field)
			}
			for _, want := range tt.fields {
				found := false
				for _, g := range got {
					found = found || g == want
				}
				if !found {
					t.Errorf("no error for field %q; got %v", want, got)
				}
			}
		})
	}
}

func TestAttributionsAndCampaigns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		src, _, in := seed(t, store)
		actor := &trace.Actor{Name: "Example Spider", Aliases: []string{"EXSP"}, Type: "criminal", OriginCountry: "ru"}
		camp := &trace.Campaign{Name: "Winter hospitals", FirstSeen: "2024-01", LastSeen: "2024-04"}
		var attr *trace.Attribution
		write(t, store, func(tx *db.Tx) error {
			if _, err := trace.SaveActor(ctx, tx, actor); err != nil {
				return err
			}
			if _, err := trace.SaveCampaign(ctx, tx, camp); err != nil {
				return err
			}
			in.CampaignID = camp.ID
			if _, err := trace.SaveIncident(ctx, tx, in); err != nil {
				return err
			}
			attr = &trace.Attribution{IncidentID: in.ID, ActorID: actor.ID, AttributedBy: "National CERT",
				AttributedOn: "2024-05-02", Basis: "infrastructure overlap", Confidence: "likely", SourceIDs: []string{src.ID}}
			_, err := trace.SaveAttribution(ctx, tx, attr)
			return err
		})
		got, err := trace.AttributionsOf(ctx, store, in.ID)
		if err != nil || len(got) != 1 || got[0].ActorID != actor.ID || got[0].SourceIDs[0] != src.ID {
			t.Fatalf("attributions = %+v, %v", got, err)
		}
		ids, _ := trace.FindByName(ctx, store, "actor", "exsp")
		if len(ids) != 1 || ids[0] != actor.ID {
			t.Errorf("actor alias lookup = %v", ids)
		}
		stored, _ := trace.GetIncident(ctx, store, in.ID)
		if stored.CampaignID != camp.ID {
			t.Errorf("campaign = %q", stored.CampaignID)
		}
	})
}

func TestNameKey(t *testing.T) {
	tests := []struct{ a, b string }{
		{"Acme Health, Inc.", "ACME HEALTH"},
		{"Hôpital Saint-Éloi", "hopital saint eloi"},
		{"The Johnson & Smith Clinic LLC", "Johnson and Smith Clinic"},
	}
	for _, tt := range tests {
		if trace.NameKey(tt.a) != trace.NameKey(tt.b) {
			t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q; want equal", tt.a, trace.NameKey(tt.a), tt.b, trace.NameKey(tt.b))
		}
	}
	if trace.NameKey("Acme Health") == trace.NameKey("Acme Wealth") {
		t.Error("different names share a key")
	}
}

func TestDates(t *testing.T) {
	tests := []struct {
		start1, end1, start2, end2 trace.Date
		overlap                    bool
	}{
		{"2024-03-01", "2024-03-05", "2024-03-05", "", true},
		{"2024-03", "", "2024-03-17", "", true},
		{"2024", "", "2023-12-31", "", false},
		{"2024-01-01", "2024-01-31", "2024-02-01", "", false},
		{"", "", "2020", "", true},
	}
	for _, tt := range tests {
		if got := trace.Overlaps(tt.start1, tt.end1, tt.start2, tt.end2); got != tt.overlap {
			t.Errorf("Overlaps(%s..%s, %s..%s) = %v", tt.start1, tt.end1, tt.start2, tt.end2, got)
		}
	}
	for d, p := range map[trace.Date]string{"2024-03-02": "day", "2024-03": "month", "2024": "year", "": "unknown"} {
		if d.Precision() != p {
			t.Errorf("%q precision = %s, want %s", d, d.Precision(), p)
		}
	}
	if trace.DerivedID("identity", "k") != trace.DerivedID("identity", "k") || trace.DerivedID("identity", "k") == trace.DerivedID("identity", "l") {
		t.Error("DerivedID is not a function of its key")
	}
}
