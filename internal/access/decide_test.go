package access_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
)

// markings are every marking of a record owned by team A, with the
// sharing a test needs: amber shared with B, red naming user b1.
func markings() []access.Marking {
	var out []access.Marking
	for _, owner := range []string{"team--a", ""} {
		for _, tlp := range access.TLPs {
			m := access.Marking{TLP: tlp, Owner: owner}
			switch tlp {
			case "amber":
				m.SharedWith = []string{"team--b"}
			case "red":
				m.Readers = []string{"user--b1"}
			}
			out = append(out, m)
		}
	}
	return out
}

var viewers = []access.Viewer{
	access.Public, access.Operator,
	access.User("user--a1", "team--a", "analyst"), access.User("user--a2", "team--a", "viewer"),
	access.User("user--b1", "team--b", "analyst"), access.User("user--c1", "team--c", "admin"),
}

// TestConditionIsDecide holds the SQL form of the read rule to its Go form:
// for every marking and viewer, on both stores, a record is selected by
// Condition (and a harm by ConditionOf, with its incident) exactly when
// Decide lets the viewer read it.
func TestConditionIsDecide(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		ms := markings()
		err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
			for i, m := range ms {
				id := fmt.Sprintf("source--00000000-0000-4000-8000-%012d", i)
				if _, err := tx.Exec(ctx, `INSERT INTO sources (id, title, kind, tlp, owner_team, created_at, updated_at)
					VALUES (?, 'x', 'news', ?, ?, '', '')`, id, m.TLP, m.Owner); err != nil {
					return err
				}
				if err := access.SaveShares(ctx, tx, id, m, false); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range viewers {
			cond, args := v.Condition("s")
			selected, err := db.Column[string](ctx, store, `SELECT s.id FROM sources s WHERE `+cond, args...)
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range ms {
				id := fmt.Sprintf("source--00000000-0000-4000-8000-%012d", i)
				decided := access.Decide(v, access.Read, access.Record{Kind: access.Source, Marking: m}) == nil
				if slices.Contains(selected, id) != decided {
					t.Errorf("viewer %+v, marking %+v: SQL selects %v, Decide says %v", v, m, !decided, decided)
				}
				checked := access.Check(ctx, store, v, access.Read, id) == nil
				if checked != decided {
					t.Errorf("viewer %+v, marking %+v: Check says %v, Decide %v", v, m, checked, decided)
				}
			}
		}
	})
}

func TestDecideWrites(t *testing.T) {
	a := access.Marking{TLP: "green", Owner: "team--a"}
	catalogue := access.Catalogue
	tests := []struct {
		name   string
		v      access.Viewer
		rec    access.Record
		hidden bool
		refuse bool
	}{
		{"the owner's analyst", access.User("u1", "team--a", "analyst"), access.Record{Marking: a}, false, false},
		{"the owner's admin", access.User("u2", "team--a", "admin"), access.Record{Marking: a}, false, false},
		{"the owner's viewer", access.User("u3", "team--a", "viewer"), access.Record{Marking: a}, false, true},
		{"the owner's case worker", access.User("u4", "team--a", "case-worker"), access.Record{Marking: a}, false, true},
		{"another team's analyst", access.User("u5", "team--b", "analyst"), access.Record{Marking: a}, false, true},
		{"another team's admin", access.User("u6", "team--b", "admin"), access.Record{Marking: a}, false, true},
		{"the public", access.Public, access.Record{Marking: a}, true, false},
		{"the operator", access.Operator, access.Record{Marking: a}, false, false},
		{"an analyst on the catalogue", access.User("u5", "team--b", "analyst"), access.Record{Marking: catalogue}, false, true},
		{"an admin on the catalogue", access.User("u6", "team--b", "admin"), access.Record{Marking: catalogue}, false, false},
		{"a harm of another team's incident", access.User("u1", "team--a", "analyst"),
			access.Record{Marking: a, Parent: &access.Marking{TLP: "clear", Owner: "team--b"}}, false, true},
		{"a harm of a hidden incident", access.User("u1", "team--a", "analyst"),
			access.Record{Marking: a, Parent: &access.Marking{TLP: "amber", Owner: "team--b"}}, true, false},
		{"an attribution to a hidden actor", access.User("u1", "team--a", "analyst"),
			access.Record{Marking: a, Refs: []access.Marking{{TLP: "red", Owner: "team--b"}}}, true, false},
		{"amber+strict of the owner's own team", access.User("u1", "team--a", "analyst"),
			access.Record{Marking: access.Marking{TLP: "amber+strict", Owner: "team--a"}}, false, false},
		{"red not naming the owner's analyst", access.User("u1", "team--a", "analyst"),
			access.Record{Marking: access.Marking{TLP: "red", Owner: "team--a", Readers: []string{"u9"}}}, true, false},
	}
	for _, tt := range tests {
		err := access.Decide(tt.v, access.Write, tt.rec)
		switch {
		case tt.hidden && !errors.Is(err, access.ErrHidden):
			t.Errorf("%s: %v, want hidden", tt.name, err)
		case tt.refuse && !access.IsRefusal(err):
			t.Errorf("%s: %v, want a refusal", tt.name, err)
		case !tt.hidden && !tt.refuse && err != nil:
			t.Errorf("%s: %v, want allowed", tt.name, err)
		}
	}
}
