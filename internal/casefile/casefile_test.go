package casefile_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/keys"
)

func newStore(t *testing.T, store *db.DB) *casefile.Store {
	t.Setenv(keys.EnvKeyFile, "")
	ring, err := keys.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &casefile.Store{DB: store, Keys: ring}
}

func report() *casefile.Report {
	return &casefile.Report{
		Organisation: &casefile.Organisation{Name: "Refuge Saint-Martin", Kind: "ngo", Country: "fr", Sector: "Social services"},
		AttackTypes:  []string{"ransomware"}, WhatHappened: "Our case files are locked and a note asks for 2 bitcoin.",
		Started: "2026-11", Ongoing: "yes", Affected: []string{"services", "data"}, HarmedGroups: []string{"women"},
		Contact: casefile.Contact{Email: "direction@refuge.example"}, Consent: casefile.Consent{ContactMe: true, CountGroups: true},
		Language: "fr",
	}
}

func TestCaseLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		s := newStore(t, store)
		r := report()
		if p := casefile.Validate(r, time.Now()); p != nil {
			t.Fatal(p)
		}
		receipt, c, err := s.Submit(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if len(receipt) != 19 || c.Status != "received" || c.Report.Organisation.Country != "FR" || c.Language != "fr" {
			t.Fatalf("receipt %q, case %+v", receipt, c)
		}
		if c.Suggested.Severity != "high" {
			t.Errorf("suggested %+v", c.Suggested)
		}
		// The receipt, typed loosely, finds the case; another does not.
		for _, typed := range []string{receipt, strings.ToLower(strings.ReplaceAll(receipt, "-", " "))} {
			if id, err := s.ByReceipt(ctx, typed); err != nil || id != c.ID {
				t.Errorf("ByReceipt(%q) = %q %v", typed, id, err)
			}
		}
		for _, wrong := range []string{casefile.NewReceipt(), "nonsense", ""} {
			if id, err := s.ByReceipt(ctx, wrong); err != nil || id != "" {
				t.Errorf("ByReceipt(%q) = %q %v", wrong, id, err)
			}
		}
		// The plan's steps are the first tasks.
		tasks, err := s.Tasks(ctx, store, c.ID)
		if err != nil || len(tasks) < 4 || tasks[0].StepID != "ransomware-isolate" {
			t.Fatalf("tasks %+v %v", tasks, err)
		}
		err = store.Write(ctx, db.Author{Who: "worker"}, func(tx *db.Tx) error {
			if err := casefile.SetTriage(ctx, tx, c.ID, "worker", casefile.Triage{Severity: "high", Priority: "P2"}); err != nil {
				return err
			}
			if err := s.AddNote(ctx, tx, c.ID, "worker", "Called the director; backups from October exist."); err != nil {
				return err
			}
			if err := casefile.SetTaskDone(ctx, tx, c.ID, tasks[0].ID, "worker", true); err != nil {
				return err
			}
			return s.AddMessage(ctx, tx, c.ID, "helper", "worker", "Bonjour, ne payez pas pour l'instant.", "", nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		err = store.Write(ctx, db.Author{Who: "reporter"}, func(tx *db.Tx) error {
			return s.AddMessage(ctx, tx, c.ID, "reporter", "", "Merci, voici la note.", "note.txt", []byte("YOUR FILES ARE ENCRYPTED"))
		})
		if err != nil {
			t.Fatal(err)
		}
		c, _ = s.Get(ctx, store, c.ID)
		msgs, _ := s.Messages(ctx, store, c.ID)
		notes, _ := s.Notes(ctx, store, c.ID)
		if c.Status != "triaged" || c.FirstResponse == "" || len(msgs) != 2 || msgs[1].File == nil || len(notes) != 1 {
			t.Fatalf("case %+v, messages %+v, notes %+v", c, msgs, notes)
		}
		if _, content, err := s.FileContent(ctx, store, c.ID, msgs[1].File.ID); err != nil || string(content) != "YOUR FILES ARE ENCRYPTED" {
			t.Errorf("file: %q %v", content, err)
		}
		events, _ := casefile.Events(ctx, store, c.ID)
		if len(events) < 5 {
			t.Errorf("timeline %+v", events)
		}

		// Nothing the reporter or the helper wrote is in the store in clear.
		for _, secret := range []string{"Refuge Saint-Martin", "direction@refuge.example", "2 bitcoin", "backups from October",
			"ne payez pas", "voici la note", "YOUR FILES", "note.txt", receipt} {
			for _, table := range []string{"cases", "case_tasks", "case_notes", "case_messages", "case_files", "case_events", "revisions", "audit_log"} {
				if n := rowsContaining(t, store, table, secret); n > 0 {
					t.Errorf("%s holds %q in clear", table, secret)
				}
			}
		}

		// Withdrawal erases the content and the key; the case stays as a date.
		at, err := s.Erase(ctx, c.ID, "reporter", "withdrawn")
		if err != nil {
			t.Fatal(err)
		}
		c, err = s.Get(ctx, store, c.ID)
		if err != nil || c.Status != "withdrawn" || c.Erased != at || c.Report.WhatHappened != "" || c.Report.Organisation != nil {
			t.Fatalf("after withdrawal: %+v %v", c, err)
		}
		if _, err := s.Keys.Get(c.ID); !errors.Is(err, keys.ErrErased) {
			t.Errorf("the key survives: %v", err)
		}
		for _, table := range []string{"case_tasks", "case_notes", "case_messages", "case_files"} {
			if n := count(t, store, `SELECT COUNT(*) FROM `+table+` WHERE case_id = ?`, c.ID); n != 0 {
				t.Errorf("%s keeps %d rows", table, n)
			}
		}
		if _, err := s.ByReceipt(ctx, receipt); err != nil {
			t.Error(err)
		}
	})
}

func TestRetentionAndCounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		s := newStore(t, store)
		var ids []string
		for i := range 6 {
			r := report()
			if i == 5 {
				r.Consent.CountGroups = false
			}
			_ = casefile.Validate(r, time.Now())
			_, c, err := s.Submit(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		counts, err := casefile.CountGroups(ctx, store)
		if err != nil || counts.Cases != 6 || counts.WomenAndGirls == nil || *counts.WomenAndGirls != 5 || counts.Minors != nil {
			t.Fatalf("%+v %v", counts, err)
		}
		// Nothing expires within the retention limit; all of it after.
		if n, err := s.Expire(ctx, time.Now(), 365*24*time.Hour); err != nil || n != 0 {
			t.Fatalf("expired %d %v", n, err)
		}
		if n, err := s.Expire(ctx, time.Now().Add(366*24*time.Hour), 365*24*time.Hour); err != nil || n != 6 {
			t.Fatalf("expired %d %v", n, err)
		}
		c, _ := s.Get(ctx, store, ids[0])
		if c.Status != "expired" || !c.IsErased() {
			t.Errorf("%+v", c)
		}
		counts, _ = casefile.CountGroups(ctx, store)
		if counts.Cases != 0 || counts.WomenAndGirls != nil {
			t.Errorf("erased cases still count: %+v", counts)
		}
	})
}

func TestValidate(t *testing.T) {
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		edit   func(r *casefile.Report)
		fields []string
	}{
		{"valid", func(r *casefile.Report) {}, nil},
		{"a person with nothing else", func(r *casefile.Report) {
			r.Organisation = nil
			r.Contact = casefile.Contact{}
			r.Consent = casefile.Consent{}
		}, nil},
		{"nothing happened", func(r *casefile.Report) { r.AttackTypes = nil; r.WhatHappened = "  " }, []string{"attack_types", "what_happened"}},
		{"unknown attack", func(r *casefile.Report) { r.AttackTypes = []string{"ransomware", "alien"} }, []string{"attack_types"}},
		{"organisation without a name", func(r *casefile.Report) { r.Organisation.Name = "" }, []string{"organisation.name"}},
		{"bad country, kind, sector", func(r *casefile.Report) {
			r.Organisation.Country, r.Organisation.Kind, r.Organisation.Sector = "UK", "castle", "Piracy"
		}, []string{"organisation.kind", "organisation.sector", "organisation.country"}},
		{"future and bad dates", func(r *casefile.Report) { r.Started = "2027-01" }, []string{"started"}},
		{"a date that is no date", func(r *casefile.Report) { r.Started = "last week" }, []string{"started"}},
		{"contact me without contact", func(r *casefile.Report) { r.Contact = casefile.Contact{} }, []string{"contact.email"}},
		{"bad email and phone", func(r *casefile.Report) { r.Contact = casefile.Contact{Email: "not-an-email", Phone: "call me"} },
			[]string{"contact.email", "contact.phone"}},
		{"name without sharing", func(r *casefile.Report) { r.Consent.NameOrganisation = true }, []string{"consent.name_organisation"}},
		{"too long", func(r *casefile.Report) { r.WhatHappened = strings.Repeat("é", casefile.MaxStory+1) }, []string{"what_happened"}},
		{"both a person and an organisation", func(r *casefile.Report) { r.Person = &casefile.Person{} }, []string{"who"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := report()
			tt.edit(r)
			var got []string
			for _, p := range casefile.Validate(r, now) {
				got = append(got, p.Field)
			}
			if !slices.Equal(got, tt.fields) {
				t.Errorf("fields %v, want %v", got, tt.fields)
			}
		})
	}
}

func TestReceipts(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		r := casefile.NewReceipt()
		normal, ok := casefile.NormalReceipt(r)
		if !ok || len(normal) != 16 || seen[normal] {
			t.Fatalf("receipt %q: %q %v", r, normal, ok)
		}
		seen[normal] = true
	}
	if n, ok := casefile.NormalReceipt("o1il-0000-0000-0000"); !ok || n != "0111000000000000" {
		t.Errorf("typed: %q %v", n, ok)
	}
}

func rowsContaining(t *testing.T, store *db.DB, table, s string) int {
	t.Helper()
	cols, err := db.Column[string](context.Background(), store, columnsQuery(store), table)
	if err != nil || len(cols) == 0 {
		t.Fatalf("columns of %s: %v %v", table, cols, err)
	}
	var conds []string
	var args []any
	for _, c := range cols {
		conds = append(conds, "CAST("+c+" AS TEXT) LIKE ?")
		args = append(args, "%"+s+"%")
	}
	return count(t, store, `SELECT COUNT(*) FROM `+table+` WHERE `+strings.Join(conds, " OR "), args...)
}

func columnsQuery(store *db.DB) string {
	if store.Dialect() == db.Postgres {
		return `SELECT column_name FROM information_schema.columns WHERE table_name = ?`
	}
	return `SELECT name FROM pragma_table_info(?)`
}

func count(t *testing.T, store *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := store.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// BenchmarkReceipt compares looking up a right receipt with a wrong one
// (well-formed, and malformed): the three should cost the same.
func BenchmarkReceipt(b *testing.B) {
	store := dbtest.SQLite(b)
	b.Setenv(keys.EnvKeyFile, "")
	ring, err := keys.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	s := &casefile.Store{DB: store, Keys: ring}
	var right string
	for i := range 200 {
		r := report()
		_ = casefile.Validate(r, time.Now())
		receipt, _, err := s.Submit(context.Background(), r)
		if err != nil {
			b.Fatal(err)
		}
		if i == 100 {
			right = receipt
		}
	}
	for name, receipt := range map[string]string{"right": right, "wrong": casefile.NewReceipt(), "malformed": "not a receipt"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.ByReceipt(context.Background(), receipt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
