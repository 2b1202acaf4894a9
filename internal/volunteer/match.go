package volunteer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/validate"
)

// Match is a volunteer ranked for a task, with why.
type Match struct {
	UserID  string   `json:"user_id"`
	Email   string   `json:"email"`
	Score   float64  `json:"score"`
	Covered []string `json:"skills_covered"`
	Missing []string `json:"skills_missing"`
	// Language is a language both the task and the volunteer speak.
	Language string `json:"language,omitempty"`
	// Overlap is the hours of the working day (09:00–17:00) the task's
	// and the volunteer's time zones share.
	Overlap float64 `json:"overlap_hours"`
	// Load is the hours already asked of the volunteer this month (logged,
	// and the rest of their open tasks), of Capacity.
	Load     float64 `json:"load_hours"`
	Capacity float64 `json:"capacity_hours"`
	// HoursForHelped is what the volunteer gave the helped organisation
	// this calendar year, of the cap.
	HoursForHelped float64 `json:"hours_for_helped"`
	// Excluded says why the volunteer is not matched ("" when matched).
	Excluded string `json:"excluded,omitempty"`
}

// Weights of the score: skills covered, a shared language, the time-zone
// overlap and the free share of the month's hours.
const (
	weightSkills   = 0.5
	weightLanguage = 0.15
	weightOverlap  = 0.2
	weightFree     = 0.15
)

// Rank returns the volunteers of the task's team, the matched ones by
// score (best first), then the excluded with their reason. A volunteer is
// excluded when not vetted, sharing none of the task's languages, covering
// none of its skills, without free hours this month, or when the task's
// hours would take them past cap for the helped organisation this year.
func Rank(ctx context.Context, q db.Querier, t *Task, cap float64, now time.Time) ([]Match, error) {
	var team string
	if err := q.QueryRow(ctx, `SELECT owner_team FROM cases WHERE id = ?`, t.CaseID).Scan(&team); err != nil {
		return nil, fmt.Errorf("rank volunteers: %w", err)
	}
	profiles, err := Profiles(ctx, q, team)
	if err != nil {
		return nil, err
	}
	var out []Match
	for _, p := range profiles {
		m, err := judge(ctx, q, t, &p, cap, now)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Excluded == "") != (b.Excluded == "") {
			return a.Excluded == ""
		}
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		return a.Email < b.Email
	})
	return out, nil
}

func judge(ctx context.Context, q db.Querier, t *Task, p *Profile, cap float64, now time.Time) (Match, error) {
	m := Match{UserID: p.UserID, Email: p.Email, Capacity: p.HoursPerMonth}
	for _, s := range t.Skills {
		if slices.Contains(p.Skills, s) {
			m.Covered = append(m.Covered, s)
		} else {
			m.Missing = append(m.Missing, s)
		}
	}
	for _, l := range t.Languages {
		if slices.Contains(p.Languages, l) {
			m.Language = l
			break
		}
	}
	m.Overlap = Overlap(t.TimeZone, p.TimeZone, now)
	var err error
	if m.Load, err = load(ctx, q, p.UserID, t.ID, now); err != nil {
		return m, err
	}
	if m.HoursForHelped, err = HoursForHelped(ctx, q, p.UserID, t.Helped, now.Year()); err != nil {
		return m, err
	}
	free := 0.0
	if p.HoursPerMonth > 0 {
		free = math.Max(0, 1-m.Load/p.HoursPerMonth)
	}
	skills := 1.0
	if len(t.Skills) > 0 {
		skills = float64(len(m.Covered)) / float64(len(t.Skills))
	}
	switch {
	case p.Vetting != "vetted":
		m.Excluded = "not vetted (" + p.Vetting + ")"
	case len(t.Languages) > 0 && m.Language == "":
		m.Excluded = "speaks none of the task's languages"
	case len(t.Skills) > 0 && len(m.Covered) == 0:
		m.Excluded = "has none of the skills asked"
	case p.HoursPerMonth <= 0 || m.Load >= p.HoursPerMonth:
		m.Excluded = "no free hours this month"
	case m.HoursForHelped+t.Hours > cap:
		m.Excluded = fmt.Sprintf("would pass the cap of %g hours a year for this organisation (%g given)", cap, m.HoursForHelped)
	}
	lang := 1.0
	if len(t.Languages) > 0 && m.Language == "" {
		lang = 0
	}
	m.Score = math.Round((weightSkills*skills+weightLanguage*lang+weightOverlap*m.Overlap/8+weightFree*free)*1000) / 1000
	return m, nil
}

// Overlap is how many hours of the working day (09:00–17:00 local) two
// time zones share at the time now.
func Overlap(tzA, tzB string, now time.Time) float64 {
	offset := func(tz string) float64 {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			loc = time.UTC
		}
		_, off := now.In(loc).Zone()
		return float64(off) / 3600
	}
	a0 := 9 - offset(tzA) // the working day of A, in UTC hours
	b0 := 9 - offset(tzB)
	best := 0.0
	for _, shift := range []float64{-24, 0, 24} {
		lo, hi := math.Max(a0, b0+shift), math.Min(a0+8, b0+shift+8)
		best = math.Max(best, hi-lo)
	}
	return best
}

// load is the hours asked of a volunteer this month: hours logged this
// month, and the hours not yet logged of their other open tasks.
func load(ctx context.Context, q db.Querier, userID, exceptTask string, now time.Time) (float64, error) {
	month := now.UTC().Format("2006-01")
	var logged, open float64
	err := q.QueryRow(ctx, `SELECT COALESCE(SUM(hours), 0) FROM volunteer_hours WHERE user_id = ? AND SUBSTR(on_date, 1, 7) = ?`, userID, month).Scan(&logged)
	if err != nil {
		return 0, err
	}
	err = q.QueryRow(ctx, `SELECT COALESCE(SUM(t.hours - COALESCE((SELECT SUM(h.hours) FROM volunteer_hours h WHERE h.task_id = t.id AND h.user_id = a.user_id), 0)), 0)
		FROM volunteer_tasks t JOIN volunteer_assignments a ON a.task_id = t.id
		WHERE a.user_id = ? AND t.status <> 'done' AND t.id <> ?`, userID, exceptTask).Scan(&open)
	return logged + math.Max(0, open), err
}

// HoursForHelped is what a volunteer logged for a helped organisation in
// a calendar year.
func HoursForHelped(ctx context.Context, q db.Querier, userID, helped string, year int) (float64, error) {
	var h float64
	err := q.QueryRow(ctx, `SELECT COALESCE(SUM(hours), 0) FROM volunteer_hours WHERE user_id = ? AND helped = ? AND SUBSTR(on_date, 1, 4) = ?`,
		userID, helped, fmt.Sprint(year)).Scan(&h)
	return h, err
}

// ErrNotMatched is returned, wrapped, when a volunteer may not take a
// task: the match's reason follows.
var ErrNotMatched = errors.New("this volunteer cannot take the task")

// Assign gives task t to volunteer userID, who must be a match for it.
func Assign(ctx context.Context, tx *db.Tx, t *Task, userID string, cap float64) error {
	ranked, err := Rank(ctx, tx, t, cap, tx.Now)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(ranked, func(m Match) bool { return m.UserID == userID })
	switch {
	case i < 0:
		return validate.Errors{{Field: "user_id", Message: "no volunteer of the case's team"}}
	case ranked[i].Excluded != "":
		return validate.Errors{{Field: "user_id", Message: fmt.Sprintf("%v: %s", ErrNotMatched, ranked[i].Excluded)}}
	case slices.Contains(t.Assigned, userID):
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO volunteer_assignments (task_id, user_id, assigned_by, assigned_at) VALUES (?, ?, ?, ?)`,
		t.ID, userID, tx.Author.Who, tx.Stamp()); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE volunteer_tasks SET status = 'assigned' WHERE id = ? AND status = 'open'`, t.ID); err != nil {
		return err
	}
	return account.Audit(ctx, tx, tx.Author.Who, "volunteer.assign", t.ID, "", userID)
}

// LogHours records hours a volunteer worked on task t on a day
// (YYYY-MM-DD), within the cap for the helped organisation that year.
func LogHours(ctx context.Context, tx *db.Tx, t *Task, userID string, hours float64, day string, cap float64) error {
	var errs validate.Errors
	d, err := time.Parse("2006-01-02", day)
	if err != nil || d.After(tx.Now) {
		errs.Add("date", "want a day no later than today, YYYY-MM-DD")
	}
	if hours <= 0 || hours > 24 {
		errs.Add("hours", "must be more than 0 and at most 24")
	}
	if err := errs.Err(); err != nil {
		return err
	}
	given, err := HoursForHelped(ctx, tx, userID, t.Helped, d.Year())
	if err != nil {
		return err
	}
	if given+hours > cap {
		return validate.Errors{{Field: "hours", Message: fmt.Sprintf("the cap is %g hours a year for one organisation; %g are logged for %d", cap, given, d.Year())}}
	}
	_, err = tx.Exec(ctx, `INSERT INTO volunteer_hours (id, task_id, user_id, helped, hours, on_date, logged_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		trace.NewID("hours"), t.ID, userID, t.Helped, hours, day, tx.Stamp())
	if err != nil {
		return err
	}
	return account.Audit(ctx, tx, tx.Author.Who, "volunteer.hours", t.ID, "", fmt.Sprintf("%g h on %s", hours, day))
}

// Finish marks a task done.
func Finish(ctx context.Context, tx *db.Tx, id string) error {
	_, err := tx.Exec(ctx, `UPDATE volunteer_tasks SET status = 'done' WHERE id = ?`, id)
	return err
}
