package casefile

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/keys"
	"github.com/harmtrace/harmtrace/internal/outbox"
	"github.com/harmtrace/harmtrace/internal/trace"
)

func random(b []byte) { _, _ = rand.Read(b) }

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

// event adds a line to the case's timeline.
func event(ctx context.Context, tx *db.Tx, caseID, actor, what string) error {
	_, err := tx.Exec(ctx, `INSERT INTO case_events (id, case_id, at, actor, what) VALUES (?, ?, ?, ?, ?)`,
		trace.NewID("event"), caseID, tx.Stamp(), actor, what)
	if err == nil {
		_, err = tx.Exec(ctx, `UPDATE cases SET updated_at = ? WHERE id = ?`, tx.Stamp(), caseID)
	}
	return err
}

// Event is a line of the timeline.
type Event struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	What  string    `json:"what"`
}

// Events is the case's timeline, oldest first.
func Events(ctx context.Context, q db.Querier, caseID string) ([]Event, error) {
	rows, err := q.Query(ctx, `SELECT at, actor, what FROM case_events WHERE case_id = ? ORDER BY at, id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at string
		if err := rows.Scan(&at, &e.Actor, &e.What); err != nil {
			return nil, err
		}
		e.At, _ = parseTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *Store) key(id string) (keys.Key, error) { return s.Keys.Get(id) }

// Triage is a case's severity and priority.
type Triage struct {
	Severity string `json:"severity"`
	Priority string `json:"priority"`
	Why      string `json:"why,omitempty"`
}

// Severities and priorities, the gravest first.
var (
	Severities = []string{"critical", "high", "medium", "low"}
	Priorities = []string{"P1", "P2", "P3", "P4"}
)

// Suggest proposes a triage from what the reporter said: a threat to
// someone's safety is critical; abuse aimed at a person (stalkerware,
// intimate images), harm still going on to a vulnerable group or to
// services people depend on is high; stolen personal data is medium.
// The case worker decides.
func Suggest(r *Report) Triage {
	has := func(list []string, v ...string) bool {
		for _, x := range v {
			if slices.Contains(list, x) {
				return true
			}
		}
		return false
	}
	ongoing := r.Ongoing == "yes"
	switch {
	case has(r.Affected, "safety"):
		return Triage{"critical", "P1", "someone's physical safety is at risk"}
	case has(r.AttackTypes, "stalkerware", "intimate-image-abuse"):
		return Triage{"high", "P1", "abuse aimed at a person"}
	case ongoing && (len(r.HarmedGroups) > 0 || has(r.Affected, "services")):
		return Triage{"high", "P2", "still going on, and it harms services or a vulnerable group"}
	case has(r.AttackTypes, "ransomware", "wiper") && has(r.Affected, "services"):
		return Triage{"high", "P2", "services people depend on are down"}
	case has(r.Affected, "data", "money") || has(r.AttackTypes, "data-breach", "hack-and-leak", "account-takeover"):
		return Triage{"medium", "P3", "personal data or money is at stake"}
	}
	return Triage{"low", "P4", "no ongoing harm to people was reported"}
}

// SetTriage records the case worker's triage.
func SetTriage(ctx context.Context, tx *db.Tx, caseID, actor string, t Triage) error {
	if !slices.Contains(Severities, t.Severity) || !slices.Contains(Priorities, t.Priority) {
		return fmt.Errorf("triage: severity must be one of %v and priority one of %v", Severities, Priorities)
	}
	if _, err := tx.Exec(ctx, `UPDATE cases SET severity = ?, priority = ? WHERE id = ?`, t.Severity, t.Priority, caseID); err != nil {
		return err
	}
	if err := responded(ctx, tx, caseID); err != nil {
		return err
	}
	if err := promote(ctx, tx, caseID, actor, "received", "triaged"); err != nil {
		return err
	}
	return event(ctx, tx, caseID, actor, "triaged: "+t.Severity+", "+t.Priority)
}

// promote moves a case from status from to status to, when it is at from.
func promote(ctx context.Context, tx *db.Tx, caseID, actor, from, to string) error {
	res, err := tx.Exec(ctx, `UPDATE cases SET status = ? WHERE id = ? AND status = ?`, to, caseID, from)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return event(ctx, tx, caseID, actor, "status: "+to)
	}
	return nil
}

// responded records the first response to a case, once.
func responded(ctx context.Context, tx *db.Tx, caseID string) error {
	_, err := tx.Exec(ctx, `UPDATE cases SET first_response_at = ? WHERE id = ? AND first_response_at = ''`, tx.Stamp(), caseID)
	return err
}

// Outcomes of a closed case.
var Outcomes = []string{"recovered", "referred", "no-response", "not-cyber", "duplicate", "other"}

// SetStatus moves a case; a closed case needs an outcome.
func SetStatus(ctx context.Context, tx *db.Tx, caseID, actor, status, outcome string) error {
	if !slices.Contains([]string{"received", "triaged", "in-progress", "waiting", "closed"}, status) {
		return fmt.Errorf("status must be received, triaged, in-progress, waiting or closed")
	}
	if status == "closed" && !slices.Contains(Outcomes, outcome) {
		return fmt.Errorf("a closed case needs an outcome: one of %v", Outcomes)
	}
	if status != "closed" {
		outcome = ""
	}
	closed := ""
	if status == "closed" {
		closed = tx.Stamp()
	}
	res, err := tx.Exec(ctx, `UPDATE cases SET status = ?, outcome = ?, closed_at = ? WHERE id = ? AND erased_at = ''`, status, outcome, closed, caseID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoCase
	}
	what := "status: " + status
	if outcome != "" {
		what += " (" + outcome + ")"
	}
	return event(ctx, tx, caseID, actor, what)
}

// Helpers are the roles a case is assigned to (internal/access/cases.go
// lets no other role reach a case).
var Helpers = []string{"admin", "case-worker", "volunteer"}

// Assign replaces who works on the case: users of the owner team.
// Taking a case makes it the team's.
func Assign(ctx context.Context, tx *db.Tx, caseID, actor, teamID string, userIDs []string) error {
	if _, err := tx.Exec(ctx, `UPDATE cases SET owner_team = ? WHERE id = ? AND owner_team = ''`, teamID, caseID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM case_assignments WHERE case_id = ?`, caseID); err != nil {
		return err
	}
	for _, u := range userIDs {
		var team, role string
		err := tx.QueryRow(ctx, `SELECT team_id, role FROM users WHERE id = ?`, u).Scan(&team, &role)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && team != teamID) {
			return fmt.Errorf("assign: %s is no user of the team", u)
		}
		if err == nil && !slices.Contains(Helpers, role) {
			return fmt.Errorf("assign: a %s does not work on cases: assign case workers, admins or volunteers", role)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO case_assignments (case_id, user_id) VALUES (?, ?)`, caseID, u); err != nil {
			return err
		}
	}
	return event(ctx, tx, caseID, actor, fmt.Sprintf("assigned to %d helper(s)", len(userIDs)))
}

// Task is a step of the work on a case.
type Task struct {
	ID     string `json:"id"`
	StepID string `json:"step_id,omitempty"`
	Title  string `json:"title"`
	Done   bool   `json:"done"`
	DoneBy string `json:"done_by,omitempty"`
}

func addTask(ctx context.Context, tx *db.Tx, key keys.Key, caseID string, position int, stepID, title string) error {
	id := trace.NewID("task")
	sealed, err := key.Seal("case_tasks.title:"+id, []byte(title))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO case_tasks (id, case_id, position, step_id, title_sealed, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		id, caseID, position, stepID, sealed, tx.Stamp())
	return err
}

// AddTask adds a task at the end of the case's list.
func (s *Store) AddTask(ctx context.Context, tx *db.Tx, caseID, actor, title string) error {
	key, err := s.key(caseID)
	if err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM case_tasks WHERE case_id = ?`, caseID).Scan(&n); err != nil {
		return err
	}
	if err := addTask(ctx, tx, key, caseID, n, "", title); err != nil {
		return err
	}
	return event(ctx, tx, caseID, actor, "task added")
}

// SetTaskDone marks a task of the case done or not done.
func SetTaskDone(ctx context.Context, tx *db.Tx, caseID, taskID, actor string, done bool) error {
	at, by := "", ""
	if done {
		at, by = tx.Stamp(), actor
	}
	res, err := tx.Exec(ctx, `UPDATE case_tasks SET done = ?, done_by = ?, done_at = ? WHERE id = ? AND case_id = ?`, flag(done), by, at, taskID, caseID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoCase
	}
	what := "task done"
	if !done {
		what = "task reopened"
	}
	return event(ctx, tx, caseID, actor, what)
}

// Tasks lists the case's tasks in order.
func (s *Store) Tasks(ctx context.Context, q db.Querier, caseID string) ([]Task, error) {
	key, err := s.key(caseID)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT id, step_id, title_sealed, done, done_by FROM case_tasks WHERE case_id = ? ORDER BY position, id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Task
	for rows.Next() {
		var t Task
		var sealed string
		var done int
		if err := rows.Scan(&t.ID, &t.StepID, &sealed, &done, &t.DoneBy); err != nil {
			return nil, err
		}
		title, err := key.Open("case_tasks.title:"+t.ID, sealed)
		if err != nil {
			return nil, err
		}
		t.Title, t.Done = string(title), done == 1
		out = append(out, t)
	}
	return out, rows.Err()
}

// Note is a helper's note on a case: never shown to the reporter.
type Note struct {
	ID       string    `json:"id"`
	AuthorID string    `json:"author_id"`
	Body     string    `json:"body"`
	Created  time.Time `json:"created"`
}

// AddNote seals and adds a note.
func (s *Store) AddNote(ctx context.Context, tx *db.Tx, caseID, authorID, body string) error {
	key, err := s.key(caseID)
	if err != nil {
		return err
	}
	id := trace.NewID("note")
	sealed, err := key.Seal("case_notes.body:"+id, []byte(body))
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO case_notes (id, case_id, author_id, body_sealed, created_at) VALUES (?, ?, ?, ?, ?)`,
		id, caseID, authorID, sealed, tx.Stamp()); err != nil {
		return err
	}
	return event(ctx, tx, caseID, authorID, "note added")
}

// Notes lists the case's notes, oldest first.
func (s *Store) Notes(ctx context.Context, q db.Querier, caseID string) ([]Note, error) {
	key, err := s.key(caseID)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT id, author_id, body_sealed, created_at FROM case_notes WHERE case_id = ? ORDER BY created_at, id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Note
	for rows.Next() {
		var n Note
		var sealed, at string
		if err := rows.Scan(&n.ID, &n.AuthorID, &sealed, &at); err != nil {
			return nil, err
		}
		body, err := key.Open("case_notes.body:"+n.ID, sealed)
		if err != nil {
			return nil, err
		}
		n.Body, n.Created = string(body), must(parseTime(at))
		out = append(out, n)
	}
	return out, rows.Err()
}

func must(t time.Time, _ error) time.Time { return t }

// Message is one message between the reporter and the helpers.
type Message struct {
	ID       string    `json:"id"`
	Sender   string    `json:"sender"` // reporter or helper
	AuthorID string    `json:"author_id,omitempty"`
	Body     string    `json:"body"`
	File     *File     `json:"file,omitempty"`
	Created  time.Time `json:"created"`
}

// File is a file a reporter or a helper added, without its content.
type File struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// AddMessage seals and adds a message, with a file when content is not
// nil. A helper's message is a response; a reporter's reply to a case
// waiting for them puts it back in progress.
func (s *Store) AddMessage(ctx context.Context, tx *db.Tx, caseID, sender, authorID, body, fileName string, fileContent []byte) error {
	key, err := s.key(caseID)
	if err != nil {
		return err
	}
	id := trace.NewID("message")
	sealed, err := key.Seal("case_messages.body:"+id, []byte(body))
	if err != nil {
		return err
	}
	fileID := ""
	if fileContent != nil {
		fileID = trace.NewID("file")
		name, err := key.Seal("case_files.name:"+fileID, []byte(fileName))
		if err != nil {
			return err
		}
		data, err := key.Seal("case_files.content:"+fileID, fileContent)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO case_files (id, case_id, name_sealed, size, content_sealed, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			fileID, caseID, name, len(fileContent), data, tx.Stamp()); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO case_messages (id, case_id, sender, author_id, body_sealed, file_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, caseID, sender, authorID, sealed, fileID, tx.Stamp()); err != nil {
		return err
	}
	actor := authorID
	if sender == "reporter" {
		actor = "reporter"
		if err := promote(ctx, tx, caseID, actor, "waiting", "in-progress"); err != nil {
			return err
		}
		if err := notifyMessage(ctx, tx, caseID); err != nil {
			return err
		}
	} else if err := responded(ctx, tx, caseID); err != nil {
		return err
	}
	what := "message from the " + sender
	if fileID != "" {
		what += ", with a file"
	}
	return event(ctx, tx, caseID, actor, what)
}

// Messages lists the case's messages, oldest first.
func (s *Store) Messages(ctx context.Context, q db.Querier, caseID string) ([]Message, error) {
	key, err := s.key(caseID)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT m.id, m.sender, m.author_id, m.body_sealed, m.created_at, m.file_id, COALESCE(f.name_sealed, ''), COALESCE(f.size, 0)
		FROM case_messages m LEFT JOIN case_files f ON f.id = m.file_id WHERE m.case_id = ? ORDER BY m.created_at, m.id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var m Message
		var sealed, at, fileID, fileName string
		var size int64
		if err := rows.Scan(&m.ID, &m.Sender, &m.AuthorID, &sealed, &at, &fileID, &fileName, &size); err != nil {
			return nil, err
		}
		body, err := key.Open("case_messages.body:"+m.ID, sealed)
		if err != nil {
			return nil, err
		}
		m.Body, m.Created = string(body), must(parseTime(at))
		if fileID != "" {
			name, err := key.Open("case_files.name:"+fileID, fileName)
			if err != nil {
				return nil, err
			}
			m.File = &File{ID: fileID, Name: string(name), Size: size}
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// FileContent opens a file of the case.
func (s *Store) FileContent(ctx context.Context, q db.Querier, caseID, fileID string) (*File, []byte, error) {
	var name, data string
	var size int64
	err := q.QueryRow(ctx, `SELECT name_sealed, size, content_sealed FROM case_files WHERE id = ? AND case_id = ?`, fileID, caseID).Scan(&name, &size, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNoCase
	}
	if err != nil {
		return nil, nil, err
	}
	key, err := s.key(caseID)
	if err != nil {
		return nil, nil, err
	}
	n, err := key.Open("case_files.name:"+fileID, name)
	if err != nil {
		return nil, nil, err
	}
	content, err := key.Open("case_files.content:"+fileID, data)
	if err != nil {
		return nil, nil, err
	}
	return &File{ID: fileID, Name: string(n), Size: size}, content, nil
}

// Erase destroys a case's content: its key first, so that nothing of it
// can be opened again even where the rows survive (in a backup), then
// every row it wrote. The case stays as a status and a date, so its
// helpers see that it was withdrawn and when. why is withdrawn (the
// reporter asked) or expired (the retention limit).
func (s *Store) Erase(ctx context.Context, caseID, actor, why string) (string, error) {
	if why != "withdrawn" && why != "expired" {
		return "", fmt.Errorf("erase: why is withdrawn or expired, not %q", why)
	}
	if err := s.Keys.Erase(caseID); err != nil {
		return "", err
	}
	var at string
	err := s.DB.Write(ctx, db.Author{Who: actor, Why: "case " + why}, func(tx *db.Tx) error {
		at = tx.Stamp()
		// Only a case not erased yet: two servers sweeping for expired
		// cases at once erase each case once, with one line in its
		// timeline (the second waits for the first's row, then finds it
		// erased).
		res, err := tx.Exec(ctx, `UPDATE cases SET status = ?, outcome = '', content_sealed = '', contact_sealed = '', attack_types = '[]',
			ongoing = '', affected = '[]', harmed_groups = '[]', consent_contact = 0, consent_share = 0, consent_name = 0, consent_count = 0,
			subject = '', erased_at = ?, updated_at = ? WHERE id = ? AND erased_at = ''`, why, at, at, caseID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		for _, table := range []string{"case_tasks", "case_notes", "case_messages", "case_files", "case_events", "case_organisations", "warnings"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE case_id = ?`, caseID); err != nil {
				return err
			}
		}
		// Volunteer tasks stay for the hours logged against them (the yearly
		// cap counts them); their titles go with the key.
		if _, err := tx.Exec(ctx, `UPDATE volunteer_tasks SET title_sealed = '' WHERE case_id = ?`, caseID); err != nil {
			return err
		}
		return event(ctx, tx, caseID, actor, why+": content erased")
	})
	if err == nil && s.OnErase != nil {
		err = s.OnErase(ctx, actor, caseID)
	}
	return at, err
}

// Expire erases the cases not changed for longer than retention.
func (s *Store) Expire(ctx context.Context, now time.Time, retention time.Duration) (int, error) {
	ids, err := db.Column[string](ctx, s.DB, `SELECT id FROM cases WHERE erased_at = '' AND updated_at < ?`, db.Timestamp(now.Add(-retention)))
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if _, err := s.Erase(ctx, id, "retention", "expired"); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// Summary is a case in a list: what triage needs, nothing the reporter
// wrote.
type Summary struct {
	ID            string    `json:"id"`
	Status        string    `json:"status"`
	Severity      string    `json:"severity"`
	Priority      string    `json:"priority"`
	AttackTypes   []string  `json:"attack_types"`
	Subject       string    `json:"subject"`
	OwnerTeam     string    `json:"owner_team"`
	Created       time.Time `json:"created"`
	FirstResponse string    `json:"first_response,omitempty"`
	Overdue       bool      `json:"overdue"`
}

// List returns the cases that condition (access.Viewer.CaseCondition on
// alias c) selects, the newest first; overdue marks cases without a first
// response after firstResponse.
func List(ctx context.Context, q db.Querier, condition string, args []any, now time.Time, firstResponse time.Duration, overdueOnly bool) ([]Summary, error) {
	query := `SELECT c.id, c.status, c.severity, c.priority, c.attack_types, c.subject, c.owner_team, c.created_at, c.first_response_at
		FROM cases c WHERE ` + condition
	deadline := db.Timestamp(now.Add(-firstResponse))
	if overdueOnly {
		query += ` AND c.first_response_at = '' AND c.erased_at = '' AND c.created_at < ?`
		args = append(slices.Clone(args), deadline)
	}
	rows, err := q.Query(ctx, query+` ORDER BY c.created_at DESC, c.id LIMIT 500`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var c Summary
		var attacks, created string
		if err := rows.Scan(&c.ID, &c.Status, &c.Severity, &c.Priority, &attacks, &c.Subject, &c.OwnerTeam, &created, &c.FirstResponse); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(attacks), &c.AttackTypes)
		c.Created = must(parseTime(created))
		c.Overdue = c.FirstResponse == "" && created < deadline && !slices.Contains([]string{"withdrawn", "expired", "closed"}, c.Status)
		out = append(out, c)
	}
	return out, rows.Err()
}

// LinkIncident records the tracker incident made from the case.
func LinkIncident(ctx context.Context, tx *db.Tx, caseID, actor, incidentID string) error {
	if _, err := tx.Exec(ctx, `UPDATE cases SET incident_id = ? WHERE id = ?`, incidentID, caseID); err != nil {
		return err
	}
	return event(ctx, tx, caseID, actor, "incident "+incidentID+" made for the tracker")
}

// GroupCounts are the anonymous counts of harm to groups, from the cases
// whose reporters allowed counting; a count under MinCount is withheld
// (nil), so that no small number points at a person.
type GroupCounts struct {
	Cases         int            `json:"cases"`
	WomenAndGirls *int           `json:"women_and_girls"`
	LGBTQ         *int           `json:"lgbtq"`
	Minors        *int           `json:"minors"`
	HealthData    *int           `json:"health_data"`
	ByAttackType  map[string]int `json:"by_attack_type"`
}

// MinCount is the smallest count published.
const MinCount = 5

// HarmedGroups are the groups a report may count, as the form names them.
var HarmedGroups = []string{"women", "lgbtq", "minors", "health"}

// CountGroups counts the cases that were not erased.
func CountGroups(ctx context.Context, q db.Querier) (GroupCounts, error) {
	out := GroupCounts{ByAttackType: map[string]int{}}
	rows, err := q.Query(ctx, `SELECT attack_types, harmed_groups, consent_count FROM cases WHERE erased_at = ''`)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	groups := map[string]int{}
	for rows.Next() {
		var attacks, harmed string
		var consent int
		if err := rows.Scan(&attacks, &harmed, &consent); err != nil {
			return out, err
		}
		out.Cases++
		var a, g []string
		_ = json.Unmarshal([]byte(attacks), &a)
		for _, x := range a {
			out.ByAttackType[x]++
		}
		if consent == 1 {
			_ = json.Unmarshal([]byte(harmed), &g)
			for _, x := range g {
				groups[x]++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	withheld := func(n int) *int {
		if n < MinCount {
			return nil
		}
		return &n
	}
	out.WomenAndGirls, out.LGBTQ, out.Minors, out.HealthData = withheld(groups["women"]), withheld(groups["lgbtq"]), withheld(groups["minors"]), withheld(groups["health"])
	for k, n := range out.ByAttackType {
		if n < MinCount {
			delete(out.ByAttackType, k)
		}
	}
	if out.Cases < MinCount {
		out.Cases = 0
	}
	return out, nil
}

// notifyMessage tells the case's assigned helpers who consented, and
// their team's webhooks, that the reporter wrote: in the outbox, in the
// message's transaction; the notification names the case, never what the
// reporter wrote.
func notifyMessage(ctx context.Context, tx *db.Tx, caseID string) error {
	assigned, err := db.Column[string](ctx, tx, `SELECT user_id FROM case_assignments WHERE case_id = ? ORDER BY user_id`, caseID)
	if err != nil {
		return err
	}
	var team string
	if err := tx.QueryRow(ctx, `SELECT owner_team FROM cases WHERE id = ?`, caseID).Scan(&team); err != nil {
		return err
	}
	m := outbox.Message{Event: "case.message", Subject: "A new message on case " + caseID,
		Body: "The reporter of case " + caseID + " wrote a new message. Read it in the workspace.", Link: "/work/cases/" + caseID, RecordID: caseID}
	if _, err := outbox.ToUsers(ctx, tx, assigned, m); err != nil {
		return err
	}
	_, err = outbox.ToTeam(ctx, tx, team, m)
	return err
}
