// Package volunteer matches vetted volunteers to the tasks of victims'
// cases, as CyberPeace Builders match corporate volunteers to NGOs:
// profiles (skills from a vocabulary, languages, time zone, hours a month,
// employer, vetting), tasks asking for skills and languages, a ranked
// list of matches (skills covered, language, time-zone overlap, current
// load), assignment, hours logged against a task, and a cap of hours each
// volunteer gives one helped organisation in a calendar year, which the
// match and the log both respect. internal/access decides who sees what
// (prevent.go): a volunteer sees only the tasks assigned to them.
package volunteer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones without the system's database

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/keys"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/validate"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// Skills is the vocabulary of what volunteers offer and tasks ask for.
var Skills = vocab.List{Name: "skill", Values: []string{
	"incident-response", "forensics", "malware-analysis", "account-recovery", "email-security", "microsoft-365",
	"google-workspace", "network-security", "web-security", "backup-recovery", "identity-access", "mobile-security",
	"cloud-security", "patching", "awareness-training", "policy", "data-protection-law", "osint", "translation",
}}

// Vetting states of a volunteer; only vetted volunteers are matched.
var Vetting = vocab.List{Name: "vetting", Values: []string{"pending", "vetted", "refused", "suspended"}}

// DefaultHoursCap is the most hours one volunteer gives one helped
// organisation in a calendar year, unless configured.
const DefaultHoursCap = 100

// Profile is what a volunteer offers.
type Profile struct {
	UserID        string   `json:"user_id"`
	Email         string   `json:"email,omitempty"`
	TeamID        string   `json:"team_id,omitempty"`
	Skills        []string `json:"skills"`
	Languages     []string `json:"languages"`
	TimeZone      string   `json:"time_zone"`
	HoursPerMonth float64  `json:"hours_per_month"`
	Employer      string   `json:"employer,omitempty"`
	Vetting       string   `json:"vetting"`
	VettedBy      string   `json:"vetted_by,omitempty"`
}

// normaliseList lower-cases, trims, sorts and deduplicates.
func normaliseList(v []string) []string {
	var out []string
	for _, s := range v {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// check validates skills, languages (ISO 639-1, two letters), the time
// zone and hours.
func check(errs *validate.Errors, skills, languages []string, tz string, hours float64) {
	for i, s := range skills {
		errs.Check(fmt.Sprintf("skills[%d]", i), Skills.Check(s))
	}
	for i, l := range languages {
		if len(l) != 2 || l[0] < 'a' || l[0] > 'z' || l[1] < 'a' || l[1] > 'z' {
			errs.Add(fmt.Sprintf("languages[%d]", i), "%q is not a two-letter language code (ISO 639-1)", l)
		}
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "" || tz == "Local" {
		errs.Add("time_zone", "%q is not a time zone name such as Europe/Paris", tz)
	}
	if hours < 0 || hours > 744 {
		errs.Add("hours", "must be between 0 and 744")
	}
}

// SaveProfile writes a volunteer's own profile; the vetting state is kept
// (SetVetting changes it).
func SaveProfile(ctx context.Context, tx *db.Tx, p *Profile) error {
	p.Skills, p.Languages = normaliseList(p.Skills), normaliseList(p.Languages)
	p.TimeZone, p.Employer = strings.TrimSpace(p.TimeZone), strings.TrimSpace(p.Employer)
	if p.TimeZone == "" {
		p.TimeZone = "UTC"
	}
	var errs validate.Errors
	check(&errs, p.Skills, p.Languages, p.TimeZone, p.HoursPerMonth)
	errs.Length("employer", p.Employer, 200)
	if err := errs.Err(); err != nil {
		return err
	}
	skills, _ := json.Marshal(p.Skills)
	langs, _ := json.Marshal(p.Languages)
	res, err := tx.Exec(ctx, `UPDATE volunteer_profiles SET skills = ?, languages = ?, time_zone = ?, hours_per_month = ?, employer = ?, updated_at = ?
		WHERE user_id = ?`, string(skills), string(langs), p.TimeZone, p.HoursPerMonth, p.Employer, tx.Stamp(), p.UserID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		_, err = tx.Exec(ctx, `INSERT INTO volunteer_profiles (user_id, skills, languages, time_zone, hours_per_month, employer, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, p.UserID, string(skills), string(langs), p.TimeZone, p.HoursPerMonth, p.Employer, tx.Stamp())
		if err != nil {
			return err
		}
	}
	return account.Audit(ctx, tx, tx.Author.Who, "volunteer.profile", p.UserID, "", "")
}

// SetVetting records a case worker's or admin's vetting of a volunteer.
func SetVetting(ctx context.Context, tx *db.Tx, userID, state string) error {
	if err := Vetting.Check(state); err != nil {
		return validate.Errors{{Field: "vetting", Message: err.Error()}}
	}
	res, err := tx.Exec(ctx, `UPDATE volunteer_profiles SET vetting = ?, vetted_by = ?, vetted_at = ? WHERE user_id = ?`,
		state, tx.Author.Who, tx.Stamp(), userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("volunteer %s has no profile: %w", userID, db.ErrNotFound)
	}
	return account.Audit(ctx, tx, tx.Author.Who, "volunteer.vetting", userID, "", state)
}

const profileColumns = `p.user_id, u.email, u.team_id, p.skills, p.languages, p.time_zone, p.hours_per_month, p.employer, p.vetting, p.vetted_by`

func scanProfile(row interface{ Scan(...any) error }) (*Profile, error) {
	var p Profile
	var skills, langs string
	if err := row.Scan(&p.UserID, &p.Email, &p.TeamID, &skills, &langs, &p.TimeZone, &p.HoursPerMonth, &p.Employer, &p.Vetting, &p.VettedBy); err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(skills), &p.Skills)
	_ = json.Unmarshal([]byte(langs), &p.Languages)
	return &p, nil
}

// GetProfile returns a volunteer's profile; an empty pending one when
// they wrote none yet; db.ErrNotFound for a user who is no volunteer.
func GetProfile(ctx context.Context, q db.Querier, userID string) (*Profile, error) {
	p, err := scanProfile(q.QueryRow(ctx, `SELECT `+profileColumns+` FROM volunteer_profiles p JOIN users u ON u.id = p.user_id WHERE p.user_id = ?`, userID))
	if !errors.Is(err, sql.ErrNoRows) {
		return p, err
	}
	var email, team, role string
	err = q.QueryRow(ctx, `SELECT email, team_id, role FROM users WHERE id = ?`, userID).Scan(&email, &team, &role)
	if errors.Is(err, sql.ErrNoRows) || role != "volunteer" {
		return nil, fmt.Errorf("volunteer %s: %w", userID, db.ErrNotFound)
	}
	return &Profile{UserID: userID, Email: email, TeamID: team, Skills: []string{}, Languages: []string{}, TimeZone: "UTC", Vetting: "pending"}, err
}

// ProfileRecord is what access decides on a volunteer's profile.
func ProfileRecord(ctx context.Context, q db.Querier, userID string) (access.Record, error) {
	rec := access.Record{Kind: access.Volunteer, ID: userID}
	var role string
	err := q.QueryRow(ctx, `SELECT team_id, role FROM users WHERE id = ?`, userID).Scan(&rec.Marking.Owner, &role)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && role != "volunteer") {
		return rec, fmt.Errorf("volunteer %s: %w", userID, db.ErrNotFound)
	}
	return rec, err
}

// Profiles returns the profiles of the team's volunteers, by email.
func Profiles(ctx context.Context, q db.Querier, teamID string) ([]Profile, error) {
	users, err := account.TeamUsers(ctx, q, teamID)
	if err != nil {
		return nil, err
	}
	var out []Profile
	for _, u := range users {
		if u.Role != "volunteer" {
			continue
		}
		p, err := GetProfile(ctx, q, u.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, nil
}

// Task is work a case worker opens on a case for volunteers.
type Task struct {
	ID        string   `json:"id"`
	CaseID    string   `json:"case_id"`
	Helped    string   `json:"helped"`
	Title     string   `json:"title"`
	Skills    []string `json:"skills"`
	Languages []string `json:"languages"`
	TimeZone  string   `json:"time_zone"`
	Hours     float64  `json:"hours"`
	Status    string   `json:"status"`
	Assigned  []string `json:"assigned"`
	Logged    float64  `json:"hours_logged"`
	Created   string   `json:"created"`
}

// Keys gives the key of a case, to seal and open a task's title.
type Keys interface {
	Get(caseID string) (keys.Key, error)
}

// CreateTask opens a task on case t.CaseID for the organisation helped
// (a tracker organisation the case is about, else the case itself).
func CreateTask(ctx context.Context, tx *db.Tx, ring Keys, t *Task) error {
	t.Title, t.TimeZone = strings.TrimSpace(t.Title), strings.TrimSpace(t.TimeZone)
	t.Skills, t.Languages = normaliseList(t.Skills), normaliseList(t.Languages)
	if t.TimeZone == "" {
		t.TimeZone = "UTC"
	}
	var errs validate.Errors
	if t.Title == "" {
		errs.Add("title", "required")
	}
	errs.Length("title", t.Title, 500)
	check(&errs, t.Skills, t.Languages, t.TimeZone, t.Hours)
	if err := errs.Err(); err != nil {
		return err
	}
	if t.Helped == "" {
		t.Helped = t.CaseID
	}
	key, err := ring.Get(t.CaseID)
	if err != nil {
		return err
	}
	t.ID, t.Status, t.Created = trace.NewID("vtask"), "open", tx.Stamp()
	title, err := key.Seal("volunteer_tasks.title:"+t.ID, []byte(t.Title))
	if err != nil {
		return err
	}
	skills, _ := json.Marshal(t.Skills)
	langs, _ := json.Marshal(t.Languages)
	_, err = tx.Exec(ctx, `INSERT INTO volunteer_tasks (id, case_id, helped, title_sealed, skills, languages, time_zone, hours, status, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)`, t.ID, t.CaseID, t.Helped, title, string(skills), string(langs), t.TimeZone, t.Hours,
		tx.Author.Who, t.Created)
	if err != nil {
		return err
	}
	return account.Audit(ctx, tx, tx.Author.Who, "volunteer.task", t.CaseID, "", t.ID)
}

// TaskRecord is what access decides on task id: its case's team and the
// volunteers assigned to it.
func TaskRecord(ctx context.Context, q db.Querier, id string) (access.Record, error) {
	rec := access.Record{Kind: access.VolunteerTask, ID: id}
	err := q.QueryRow(ctx, `SELECT c.owner_team FROM volunteer_tasks t JOIN cases c ON c.id = t.case_id WHERE t.id = ?`, id).Scan(&rec.Marking.Owner)
	if errors.Is(err, sql.ErrNoRows) {
		return rec, fmt.Errorf("task %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return rec, err
	}
	rec.Assigned, err = db.Column[string](ctx, q, `SELECT user_id FROM volunteer_assignments WHERE task_id = ? ORDER BY user_id`, id)
	return rec, err
}

// CheckTask decides action on task id; access.ErrHidden for a missing one.
func CheckTask(ctx context.Context, q db.Querier, v access.Viewer, action access.Action, id string) error {
	rec, err := TaskRecord(ctx, q, id)
	if errors.Is(err, db.ErrNotFound) {
		return access.ErrHidden
	}
	if err != nil {
		return err
	}
	return access.Decide(v, action, rec)
}

const taskColumns = `t.id, t.case_id, t.helped, t.title_sealed, t.skills, t.languages, t.time_zone, t.hours, t.status, t.created_at,
	COALESCE((SELECT SUM(h.hours) FROM volunteer_hours h WHERE h.task_id = t.id), 0)`

func tasks(ctx context.Context, q db.Querier, ring Keys, where string, args ...any) ([]Task, error) {
	rows, err := q.Query(ctx, `SELECT `+taskColumns+` FROM volunteer_tasks t WHERE `+where+` ORDER BY t.created_at, t.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	var out []Task
	var sealed []string
	for rows.Next() {
		var t Task
		var title, skills, langs string
		if err := rows.Scan(&t.ID, &t.CaseID, &t.Helped, &title, &skills, &langs, &t.TimeZone, &t.Hours, &t.Status, &t.Created, &t.Logged); err != nil {
			rows.Close()
			return nil, err
		}
		_ = json.Unmarshal([]byte(skills), &t.Skills)
		_ = json.Unmarshal([]byte(langs), &t.Languages)
		out, sealed = append(out, t), append(sealed, title)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if sealed[i] == "" {
			out[i].Title = "(erased with its case)"
			continue
		}
		key, err := ring.Get(out[i].CaseID)
		if err != nil {
			return nil, err
		}
		title, err := key.Open("volunteer_tasks.title:"+out[i].ID, sealed[i])
		if err != nil {
			return nil, err
		}
		out[i].Title = string(title)
	}
	for i := range out {
		var err error
		if out[i].Assigned, err = db.Column[string](ctx, q, `SELECT user_id FROM volunteer_assignments WHERE task_id = ? ORDER BY user_id`, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CaseTasks returns the volunteer tasks of a case.
func CaseTasks(ctx context.Context, q db.Querier, ring Keys, caseID string) ([]Task, error) {
	return tasks(ctx, q, ring, `t.case_id = ?`, caseID)
}

// AssignedTasks returns the tasks assigned to a volunteer: all they see.
func AssignedTasks(ctx context.Context, q db.Querier, ring Keys, userID string) ([]Task, error) {
	return tasks(ctx, q, ring, `EXISTS (SELECT 1 FROM volunteer_assignments a WHERE a.task_id = t.id AND a.user_id = ?)`, userID)
}

// GetTask returns task id.
func GetTask(ctx context.Context, q db.Querier, ring Keys, id string) (*Task, error) {
	out, err := tasks(ctx, q, ring, `t.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("task %s: %w", id, db.ErrNotFound)
	}
	return &out[0], nil
}
