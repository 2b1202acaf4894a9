package volunteer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/keys"
	"github.com/harmtrace/harmtrace/internal/volunteer"
)

func TestOverlap(t *testing.T) {
	jan := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		a, b string
		want float64
	}{
		{"Europe/Paris", "Europe/Berlin", 8},
		{"Europe/Paris", "Europe/London", 7},
		{"Europe/Paris", "America/New_York", 2},
		{"Europe/Paris", "Asia/Tokyo", 0},
		{"Asia/Tokyo", "Australia/Sydney", 6},
		{"Pacific/Auckland", "Pacific/Honolulu", 7}, // a day apart, nearly the same hours
	} {
		if got := volunteer.Overlap(tt.a, tt.b, jan); got != tt.want {
			t.Errorf("%s and %s: %g hours, want %g", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestMatch ranks the volunteers of a team for a task asking for
// email-security and microsoft-365 in French, in Paris: skills covered,
// a shared language, the time-zone overlap and the load order them; the
// unvetted, those who speak no French, those with no skill asked, those
// without free hours and those who reached the yearly cap for the helped
// organisation are left out, and the cap also bounds the hours logged.
func TestMatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		t.Setenv(keys.EnvKeyFile, "")
		ring, err := keys.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		const caseID = "case--5d0f7a3e-2b1c-4e8f-9a6d-3c2b1a0f9e8d"
		if _, err := ring.Create(caseID); err != nil {
			t.Fatal(err)
		}
		ids := map[string]string{}
		profiles := []volunteer.Profile{
			{Skills: []string{"email-security", "microsoft-365"}, Languages: []string{"fr", "en"}, TimeZone: "Europe/Paris", HoursPerMonth: 20, Employer: "Acme"},
			{Skills: []string{"email-security", "microsoft-365"}, Languages: []string{"fr"}, TimeZone: "America/New_York", HoursPerMonth: 20},
			{Skills: []string{"email-security"}, Languages: []string{"fr"}, TimeZone: "Europe/Brussels", HoursPerMonth: 10},
			{Skills: []string{"email-security", "microsoft-365"}, Languages: []string{"en"}, TimeZone: "Europe/Paris", HoursPerMonth: 20},
			{Skills: []string{"forensics"}, Languages: []string{"fr"}, TimeZone: "Europe/Paris", HoursPerMonth: 20},
			{Skills: []string{"email-security", "microsoft-365"}, Languages: []string{"fr"}, TimeZone: "Europe/Paris", HoursPerMonth: 20},
			{Skills: []string{"email-security", "microsoft-365"}, Languages: []string{"fr"}, TimeZone: "Europe/Paris", HoursPerMonth: 200},
		}
		names := []string{"best", "newyork", "partial", "english", "forensics", "unvetted", "capped"}
		var task volunteer.Task
		err = store.Write(ctx, db.Author{Who: "worker@a.example"}, func(tx *db.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO cases (id, receipt_hash, status, owner_team, created_at, updated_at) VALUES (?, 'h', 'in-progress', ?, ?, ?)`,
				caseID, "", tx.Stamp(), tx.Stamp()); err != nil {
				return err
			}
			for i, name := range names {
				u, _, err := account.AddUser(ctx, tx, name+"@a.example", "volunteer", "Team A", "")
				if err != nil {
					return err
				}
				ids[name] = u.ID
				p := profiles[i]
				p.UserID = u.ID
				if err := volunteer.SaveProfile(ctx, tx, &p); err != nil {
					return err
				}
				if name != "unvetted" {
					if err := volunteer.SetVetting(ctx, tx, u.ID, "vetted"); err != nil {
						return err
					}
				}
			}
			var team string
			if err := tx.QueryRow(ctx, `SELECT team_id FROM users WHERE id = ?`, ids["best"]).Scan(&team); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE cases SET owner_team = ? WHERE id = ?`, team, caseID); err != nil {
				return err
			}
			task = volunteer.Task{CaseID: caseID, Helped: "identity--refuge", Title: "Secure the refuge's mail", Skills: []string{"microsoft-365", "email-security"},
				Languages: []string{"fr"}, TimeZone: "Europe/Paris", Hours: 6}
			if err := volunteer.CreateTask(ctx, tx, ring, &task); err != nil {
				return err
			}
			// "capped" gave the refuge 96 hours this year on an earlier task.
			earlier := volunteer.Task{CaseID: caseID, Helped: "identity--refuge", Title: "Earlier", Skills: []string{"email-security"}, Hours: 96, TimeZone: "UTC"}
			if err := volunteer.CreateTask(ctx, tx, ring, &earlier); err != nil {
				return err
			}
			if err := volunteer.Assign(ctx, tx, &earlier, ids["capped"], volunteer.DefaultHoursCap); err != nil {
				return err
			}
			day := tx.Now.Format("2006-01-02")
			for range 4 {
				if err := volunteer.LogHours(ctx, tx, &earlier, ids["capped"], 24, day, volunteer.DefaultHoursCap); err != nil {
					return err
				}
			}
			return volunteer.Finish(ctx, tx, earlier.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		ranked, err := volunteer.Rank(ctx, store, &task, volunteer.DefaultHoursCap, time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		excluded := map[string]string{}
		for _, m := range ranked {
			name := strings.TrimSuffix(m.Email, "@a.example")
			if m.Excluded == "" {
				order = append(order, name)
			} else {
				excluded[name] = m.Excluded
			}
		}
		// Both skills from New York (2 hours of overlap) before one skill
		// from Brussels (8 hours): skills weigh most.
		if strings.Join(order, ",") != "best,newyork,partial" {
			t.Errorf("matched in the order %v", order)
		}
		for name, why := range map[string]string{"english": "languages", "forensics": "skills", "unvetted": "not vetted", "capped": "cap of 100 hours"} {
			if !strings.Contains(excluded[name], why) {
				t.Errorf("%s: excluded for %q, want %q", name, excluded[name], why)
			}
		}
		t.Logf("ranked: %+v", ranked[:3])
		// Assignment takes only a match; hours are logged within the cap.
		err = store.Write(ctx, db.Author{Who: "worker@a.example"}, func(tx *db.Tx) error {
			if err := volunteer.Assign(ctx, tx, &task, ids["capped"], volunteer.DefaultHoursCap); err == nil {
				t.Error("a volunteer past the cap was assigned")
			}
			return volunteer.Assign(ctx, tx, &task, ids["best"], volunteer.DefaultHoursCap)
		})
		if err != nil {
			t.Fatal(err)
		}
		err = store.Write(ctx, db.Author{Who: "best@a.example"}, func(tx *db.Tx) error {
			day := tx.Now.Format("2006-01-02")
			if err := volunteer.LogHours(ctx, tx, &task, ids["best"], 5, day, 4); err == nil {
				t.Error("hours past a cap of 4 were logged")
			}
			return volunteer.LogHours(ctx, tx, &task, ids["best"], 3.5, day, volunteer.DefaultHoursCap)
		})
		if err != nil {
			t.Fatal(err)
		}
		// The load counts hours logged this month and the rest of open tasks.
		next := volunteer.Task{CaseID: caseID, Helped: "identity--refuge", Title: "Next", Skills: []string{"email-security"}, Hours: 2, TimeZone: "Europe/Paris"}
		err = store.Write(ctx, db.Author{Who: "worker@a.example"}, func(tx *db.Tx) error { return volunteer.CreateTask(ctx, tx, ring, &next) })
		if err != nil {
			t.Fatal(err)
		}
		ranked, _ = volunteer.Rank(ctx, store, &next, volunteer.DefaultHoursCap, time.Now())
		for _, m := range ranked {
			if m.Email == "best@a.example" && m.Load != 6 { // 3.5 logged + 2.5 left of its 6
				t.Errorf("best's load: %g hours", m.Load)
			}
		}
		// The volunteer sees the task assigned to them, and only it.
		mine, err := volunteer.AssignedTasks(ctx, store, ring, ids["best"])
		if err != nil || len(mine) != 1 || mine[0].Title != "Secure the refuge's mail" || mine[0].Logged != 3.5 {
			t.Fatalf("best's tasks: %+v %v", mine, err)
		}
		var team string
		_ = store.QueryRow(ctx, `SELECT team_id FROM users WHERE id = ?`, ids["best"]).Scan(&team)
		for name, want := range map[string]error{"best": nil, "partial": access.ErrHidden} {
			v := access.User(ids[name], team, "volunteer")
			if err := volunteer.CheckTask(ctx, store, v, access.Read, task.ID); err != want {
				t.Errorf("%s reads the task: %v", name, err)
			}
		}
		if err := volunteer.CheckTask(ctx, store, access.User(ids["best"], team, "volunteer"), access.Manage, task.ID); !access.IsRefusal(err) {
			t.Errorf("a volunteer manages their task: %v", err)
		}
	})
}
