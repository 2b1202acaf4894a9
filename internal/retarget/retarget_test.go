package retarget_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/retarget"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// world is a store with one source and organisations, and helpers to add
// incidents.
type world struct {
	t      *testing.T
	store  *db.DB
	source string
}

func newWorld(t *testing.T, store *db.DB) *world {
	w := &world{t: t, store: store}
	w.write(func(ctx context.Context, tx *db.Tx) error {
		s := &trace.Source{Title: "A news report", Kind: "news", URL: "https://news.example/a", Marking: access.Marking{TLP: "clear"}}
		_, err := trace.SaveSource(ctx, tx, s)
		w.source = s.ID
		return err
	})
	return w
}

func (w *world) write(fn func(ctx context.Context, tx *db.Tx) error) {
	w.t.Helper()
	if err := w.store.Write(context.Background(), db.Author{Who: "test"}, func(tx *db.Tx) error { return fn(context.Background(), tx) }); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) org(name string) string {
	var id string
	w.write(func(ctx context.Context, tx *db.Tx) error {
		o := &trace.Organisation{Name: name, Kind: "ngo", Marking: access.Marking{TLP: "clear"}}
		_, err := trace.SaveOrganisation(ctx, tx, o)
		id = o.ID
		return err
	})
	return id
}

func (w *world) incident(title, start, determination string, attack []string, orgs ...string) string {
	var id string
	w.write(func(ctx context.Context, tx *db.Tx) error {
		in := &trace.Incident{Title: title, AttackTypes: attack, Determination: determination, Start: trace.Date(start),
			SourceIDs: []string{w.source}, Marking: access.Marking{TLP: "clear"}}
		for _, o := range orgs {
			in.Victims = append(in.Victims, trace.Victim{OrganisationID: o, Role: "victim"})
		}
		_, err := trace.SaveIncident(ctx, tx, in)
		id = in.ID
		return err
	})
	return id
}

func (w *world) warnings() []retarget.Warning {
	list, err := retarget.List(context.Background(), w.store, access.Operator, 100)
	if err != nil {
		w.t.Fatal(err)
	}
	return list
}

// TestWarnings: a second recent incident naming an organisation warns
// once, linking the earlier one; a claim and a leak are told apart; an old
// earlier incident does not warn; saving the same incident again warns no
// more; a case linked to the organisation is the earlier record while it
// is open, and no longer a year after it closed.
func TestWarnings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		w := newWorld(t, store)
		now := time.Now().UTC()
		recent := now.AddDate(0, -2, 0).Format("2006-01-02")
		refuge, radio, old := w.org("Refuge Saint-Martin"), w.org("Radio Libre"), w.org("Old Hospital")
		first := w.incident("Ransomware at the refuge", recent, "confirmed", []string{"ransomware"}, refuge)
		if len(w.warnings()) != 0 {
			t.Fatal("a first incident warned")
		}
		claim := w.incident("A gang claims the refuge", now.Format("2006-01-02"), "claimed", []string{"ransomware"}, refuge)
		got := w.warnings()
		if len(got) != 1 || got[0].IncidentID != claim || got[0].EarlierKind != "incident" || got[0].EarlierID != first || got[0].What != "claim" {
			t.Fatalf("warnings after the claim: %+v", got)
		}
		w.incident("Radio Libre's data leaked", recent, "confirmed", []string{"data-breach"}, radio)
		leak := w.incident("More of Radio Libre's data", now.Format("2006-01-02"), "confirmed", []string{"hack-and-leak"}, radio)
		if got := w.warnings(); len(got) != 2 || got[0].IncidentID != leak || got[0].What != "leak" {
			t.Fatalf("warnings after the leak: %+v", got)
		}
		w.incident("Old breach", "2015-03-01", "confirmed", []string{"data-breach"}, old)
		w.incident("New breach", now.Format("2006-01-02"), "confirmed", []string{"data-breach"}, old)
		if got := w.warnings(); len(got) != 2 {
			t.Fatalf("an incident of 2015 warned: %+v", got)
		}
		// Saving the claim again (an edit, a re-import) warns no more.
		w.write(func(ctx context.Context, tx *db.Tx) error {
			in, err := trace.GetIncident(ctx, tx, claim)
			if err != nil {
				return err
			}
			in.Summary = "edited"
			_, err = trace.SaveIncident(ctx, tx, in)
			return err
		})
		if got := w.warnings(); len(got) != 2 {
			t.Fatalf("an edit warned again: %+v", got)
		}
		// A case about the refuge: open, it is the earlier record.
		caseID := "case--0b6f2f6e-7c38-4f5e-9a52-0d7f3c1e2a10"
		w.write(func(ctx context.Context, tx *db.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO cases (id, receipt_hash, status, owner_team, created_at, updated_at) VALUES (?, 'h', 'in-progress', 'team-a', ?, ?)`,
				caseID, tx.Stamp(), tx.Stamp())
			if err != nil {
				return err
			}
			return retarget.LinkCase(ctx, tx, caseID, refuge)
		})
		third := w.incident("The refuge again", now.Format("2006-01-02"), "suspected", []string{"phishing"}, refuge)
		got = w.warnings()
		if len(got) != 3 || got[0].IncidentID != third || got[0].CaseID != caseID || got[0].EarlierKind != "case" {
			t.Fatalf("warnings with a case: %+v", got)
		}
		// Closed 13 months ago: no longer the earlier record (the earlier
		// incidents are, within the window).
		w.write(func(ctx context.Context, tx *db.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE cases SET status = 'closed', closed_at = ? WHERE id = ?`, db.Timestamp(now.AddDate(0, -13, 0)), caseID)
			return err
		})
		fourth := w.incident("The refuge, fourth time", now.Format("2006-01-02"), "suspected", []string{"phishing"}, refuge)
		got = w.warnings()
		if len(got) != 4 || got[0].IncidentID != fourth || got[0].CaseID != "" || got[0].EarlierKind != "incident" {
			t.Fatalf("warnings after the case closed long ago: %+v", got)
		}
		// Who reads a warning: case workers who read both incidents (and
		// the case); not analysts, volunteers or the public.
		for _, tt := range []struct {
			v    access.Viewer
			want int
		}{
			{access.User("u1", "team-a", "case-worker"), 4},
			{access.User("u2", "team-b", "case-worker"), 3}, // not the case of Team A
			{access.User("u3", "team-a", "analyst"), 0},
			{access.User("u4", "team-a", "volunteer"), 0},
			{access.Public, 0},
		} {
			if list, _ := retarget.List(ctx, store, tt.v, 100); len(list) != tt.want {
				t.Errorf("%+v reads %d warnings, want %d", tt.v, len(list), tt.want)
			}
		}
		// The dashboard's figure: organisations named by two clear incidents
		// at most a year apart (the refuge, the radio, not the hospital).
		if n, err := retarget.Count(ctx, store, 0); err != nil || n != 2 {
			t.Fatalf("attacked again: %d %v", n, err)
		}
		// The dashboard keeps the count: its first reader waits for it;
		// after a change, a reader gets the count kept so far or the new
		// one, and the new one once it is counted.
		kept := retarget.NewKeptCount(store, slog.New(slog.DiscardHandler))
		if n, err := kept.Get(ctx); err != nil || n != 2 {
			t.Fatalf("kept count: %d %v", n, err)
		}
		w.incident("The hospital again", now.AddDate(0, 0, -20).Format("2006-01-02"), "confirmed", []string{"ransomware"}, old)
		w.incident("The hospital once more", now.Format("2006-01-02"), "confirmed", []string{"ransomware"}, old)
		for tries := 0; ; tries++ {
			n, err := kept.Get(ctx)
			if err != nil || (n != 2 && n != 3) {
				t.Fatalf("kept count after a change: %d %v", n, err)
			}
			if n == 3 {
				break
			}
			if tries == 1000 {
				t.Fatal("the kept count never counted the change")
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
