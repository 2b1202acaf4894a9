package harm_test

import (
	"context"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/validate"
)

var ctx = context.Background()

func TestHarmRoundTripAndRevisions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		h := &harm.Harm{Indicator: "patients-affected", Min: harm.Exact(1200), Max: harm.Exact(5000),
			DataTypes: []string{"health", "personal"}, Certainty: "confirmed"}
		err := store.Write(ctx, db.Author{Who: "tester"}, func(tx *db.Tx) error {
			src := &trace.Source{Title: "Statement", Kind: "victim-statement"}
			if _, err := trace.SaveSource(ctx, tx, src); err != nil {
				return err
			}
			in := &trace.Incident{Title: "x", AttackTypes: []string{"ransomware"}, Determination: "confirmed", SourceIDs: []string{src.ID}}
			if _, err := trace.SaveIncident(ctx, tx, in); err != nil {
				return err
			}
			h.IncidentID, h.SourceIDs = in.ID, []string{src.ID}
			_, err := harm.Save(ctx, tx, h)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := harm.OfIncident(ctx, store, h.IncidentID)
		if err != nil || len(got) != 1 {
			t.Fatalf("harms = %v, %v", got, err)
		}
		if *got[0].Min != 1200 || *got[0].Max != 5000 || got[0].Unit != "patients" || got[0].Category != "physical-digital" {
			t.Errorf("stored harm = %+v", got[0])
		}
		// Widen the range: the revision shows the old and new maximum.
		h.Max = nil
		if err := store.Write(ctx, db.Author{Who: "tester", Why: "upper bound withdrawn"}, func(tx *db.Tx) error {
			_, err := harm.Save(ctx, tx, h)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		revs, _ := revision.List(ctx, store, h.ID)
		if len(revs) != 2 || len(revs[1].Changes) != 1 || revs[1].Changes[0].Field != "max" || string(revs[1].Changes[0].New) != "null" {
			t.Fatalf("revisions = %+v", revs)
		}
	})
}

func TestHarmValidation(t *testing.T) {
	tests := []struct {
		name  string
		harm  harm.Harm
		field string
	}{
		{"unknown indicator", harm.Harm{Indicator: "vibes"}, "indicator"},
		{"wrong unit", harm.Harm{Indicator: "records-exposed", Unit: "people"}, "unit"},
		{"money without currency", harm.Harm{Indicator: "ransom-demanded", Unit: "dollars"}, "unit"},
		{"max below min", harm.Harm{Indicator: "deaths", Min: harm.Exact(5), Max: harm.Exact(2)}, "max"},
		{"negative", harm.Harm{Indicator: "deaths", Min: harm.Exact(-1)}, "min"},
		{"max without min", harm.Harm{Indicator: "deaths", Max: harm.Exact(2)}, "min"},
		{"bad data type", harm.Harm{Indicator: "records-exposed", DataTypes: []string{"dna"}}, "data_types[0]"},
		{"no source", harm.Harm{Indicator: "records-exposed"}, "source_ids"},
		{"bad certainty", harm.Harm{Indicator: "records-exposed", Certainty: "sure"}, "certainty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.harm
			h.ID, h.IncidentID = "impact--1", "incident--1"
			h.Normalise()
			found := false
			for _, f := range validate.Fields(h.Validate()) {
				found = found || f.Field == tt.field
			}
			if !found {
				t.Errorf("no error on %q: %v", tt.field, h.Validate())
			}
		})
	}
	ok := harm.Harm{ID: "impact--1", IncidentID: "incident--1", Indicator: "ransom-demanded", Unit: "USD",
		Min: harm.Exact(1e6), SourceIDs: []string{"source--1"}}
	ok.Normalise()
	if err := ok.Validate(); err != nil {
		t.Errorf("valid harm refused: %v", err)
	}
}
