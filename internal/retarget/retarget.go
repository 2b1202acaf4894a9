// Package retarget warns a case worker at once when a victim is attacked
// again: when a new incident, an attacker's claim or an imported leak
// names an organisation that already has a case (open, or closed within
// the window, 12 months by default) or an earlier incident within the
// window, a warning links both records, shown in the workspace and sent
// through the outbox in the same transaction. The public dashboard shows
// only how many organisations were attacked again (Count).
package retarget

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/outbox"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// DefaultWindow is how long after a case closes, or an incident happened,
// a new attack on the same organisation warns.
const DefaultWindow = 365 * 24 * time.Hour

// Install makes every write transaction that touched incidents look for
// re-targeted organisations before it commits (window 0: DefaultWindow).
func Install(store *db.DB, window time.Duration) {
	if window <= 0 {
		window = DefaultWindow
	}
	store.BeforeCommit(func(ctx context.Context, tx *db.Tx, incidents []string) error {
		return check(ctx, tx, incidents, window)
	})
}

// Warning links a new incident to an earlier case or incident of the same
// organisation.
type Warning struct {
	ID             string `json:"id"`
	OrganisationID string `json:"organisation_id"`
	Organisation   string `json:"organisation"`
	IncidentID     string `json:"incident_id"`
	Incident       string `json:"incident"`
	// What the new record is: incident, claim (an attacker's) or leak.
	What string `json:"what"`
	// EarlierKind is case or incident; EarlierID its id.
	EarlierKind string `json:"earlier_kind"`
	EarlierID   string `json:"earlier_id"`
	CaseID      string `json:"case_id,omitempty"`
	Created     string `json:"created"`
	Seen        string `json:"seen,omitempty"`
	SeenBy      string `json:"seen_by,omitempty"`
}

// incidentDate is an incident's date as SQL: when it started, was found
// or disclosed, else when it was recorded.
const incidentDate = `COALESCE(NULLIF(i.start_date, ''), NULLIF(i.discovered_date, ''), NULLIF(i.disclosed_date, ''), SUBSTR(i.created_at, 1, 10))`

func check(ctx context.Context, tx *db.Tx, incidents []string, window time.Duration) error {
	since := tx.Now.Add(-window)
	for _, inc := range incidents {
		victims, err := db.Column[string](ctx, tx, `SELECT DISTINCT v.organisation_id FROM incident_victims v WHERE v.incident_id = ?
			AND NOT EXISTS (SELECT 1 FROM retarget_checked c WHERE c.incident_id = v.incident_id AND c.organisation_id = v.organisation_id)
			ORDER BY v.organisation_id`, inc)
		if err != nil {
			return fmt.Errorf("re-targeting: %w", err)
		}
		for _, org := range victims {
			if _, err := tx.Exec(ctx, `INSERT INTO retarget_checked (incident_id, organisation_id) VALUES (?, ?)`, inc, org); err != nil {
				return err
			}
			if err := warn(ctx, tx, inc, org, since); err != nil {
				return err
			}
		}
	}
	return nil
}

// warn raises the warnings of incident inc naming organisation org: one
// per case of org, else one for its latest earlier incident.
func warn(ctx context.Context, tx *db.Tx, inc, org string, since time.Time) error {
	cases, err := db.Column[string](ctx, tx, `SELECT c.id FROM cases c WHERE c.erased_at = '' AND c.incident_id <> ?
		AND (c.status <> 'closed' OR c.closed_at >= ?)
		AND (EXISTS (SELECT 1 FROM case_organisations co WHERE co.case_id = c.id AND co.organisation_id = ?)
		  OR EXISTS (SELECT 1 FROM incident_victims v WHERE v.incident_id = c.incident_id AND v.organisation_id = ?))
		ORDER BY c.created_at, c.id`, inc, db.Timestamp(since), org, org)
	if err != nil {
		return fmt.Errorf("re-targeting: %w", err)
	}
	what, err := kindOf(ctx, tx, inc)
	if err != nil {
		return err
	}
	for _, c := range cases {
		if err := raise(ctx, tx, Warning{OrganisationID: org, IncidentID: inc, What: what, EarlierKind: "case", EarlierID: c, CaseID: c}); err != nil {
			return err
		}
	}
	if len(cases) > 0 {
		return nil
	}
	earlier, err := db.Column[string](ctx, tx, `SELECT i.id FROM incidents i JOIN incident_victims v ON v.incident_id = i.id
		WHERE v.organisation_id = ? AND i.id <> ? AND `+incidentDate+` >= ?
		ORDER BY `+incidentDate+` DESC, i.id LIMIT 1`, org, inc, since.Format("2006-01-02"))
	if err != nil || len(earlier) == 0 {
		return err
	}
	return raise(ctx, tx, Warning{OrganisationID: org, IncidentID: inc, What: what, EarlierKind: "incident", EarlierID: earlier[0]})
}

// kindOf tells an attacker's claim (determination claimed, or a source
// that is the attacker's claim) and a leak (hack-and-leak, data breach)
// from another incident.
func kindOf(ctx context.Context, tx *db.Tx, inc string) (string, error) {
	var determination string
	if err := tx.QueryRow(ctx, `SELECT determination FROM incidents WHERE id = ?`, inc).Scan(&determination); err != nil {
		return "", err
	}
	claims, err := db.Column[string](ctx, tx, `SELECT s.kind FROM incident_sources x JOIN sources s ON s.id = x.source_id
		WHERE x.incident_id = ? AND s.kind = 'attacker-claim'`, inc)
	if err != nil {
		return "", err
	}
	if determination == "claimed" || len(claims) > 0 {
		return "claim", nil
	}
	types, err := db.Column[string](ctx, tx, `SELECT attack_type FROM incident_attack_types WHERE incident_id = ?`, inc)
	if err != nil {
		return "", err
	}
	if slices.Contains(types, "hack-and-leak") || slices.Contains(types, "data-breach") {
		return "leak", nil
	}
	return "incident", nil
}

// raise saves a warning and writes its notifications: email to the case
// workers assigned to the case (else those of the case's team), or, for
// an earlier incident, to the case workers who keep the organisation's
// inventory; and to their teams' webhooks.
func raise(ctx context.Context, tx *db.Tx, w Warning) error {
	w.ID = trace.NewID("warning")
	_, err := tx.Exec(ctx, `INSERT INTO warnings (id, organisation_id, incident_id, what, earlier_kind, earlier_id, case_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, w.ID, w.OrganisationID, w.IncidentID, w.What, w.EarlierKind, w.EarlierID, w.CaseID, tx.Stamp())
	if err != nil {
		return fmt.Errorf("save warning: %w", err)
	}
	rec, err := Record(ctx, tx, w.ID)
	if err != nil {
		return err
	}
	users, teams, err := recipients(ctx, tx, w)
	if err != nil {
		return err
	}
	var allowed []string
	for _, u := range users {
		if access.Decide(access.User(u.ID, u.TeamID, u.Role), access.Read, rec) == nil {
			allowed = append(allowed, u.ID)
		}
	}
	var name string
	if err := tx.QueryRow(ctx, `SELECT name FROM organisations WHERE id = ?`, w.OrganisationID).Scan(&name); err != nil {
		return err
	}
	earlier := "an earlier incident (" + w.EarlierID + ")"
	if w.CaseID != "" {
		earlier = "case " + w.CaseID
	}
	m := outbox.Message{Event: "warning.retarget", Subject: "Attacked again: " + name,
		Body: fmt.Sprintf("A new %s (%s) names %s, which already has %s.\nBoth records are linked in the workspace.", w.What, w.IncidentID, name, earlier),
		Link: "/work/warnings#" + w.ID, RecordID: w.ID}
	if _, err := outbox.ToUsers(ctx, tx, allowed, m); err != nil {
		return err
	}
	for _, team := range teams {
		if _, err := outbox.ToTeam(ctx, tx, team, m); err != nil {
			return err
		}
	}
	return nil
}

func recipients(ctx context.Context, tx *db.Tx, w Warning) ([]account.User, []string, error) {
	var team string
	var assigned []string
	if w.CaseID != "" {
		if err := tx.QueryRow(ctx, `SELECT owner_team FROM cases WHERE id = ?`, w.CaseID).Scan(&team); err != nil {
			return nil, nil, err
		}
		var err error
		if assigned, err = db.Column[string](ctx, tx, `SELECT user_id FROM case_assignments WHERE case_id = ?`, w.CaseID); err != nil {
			return nil, nil, err
		}
	} else if ids, err := db.Column[string](ctx, tx, `SELECT owner_team FROM inventories WHERE organisation_id = ?`, w.OrganisationID); err != nil {
		return nil, nil, err
	} else if len(ids) > 0 {
		team = ids[0]
	}
	if team == "" {
		return nil, nil, nil
	}
	members, err := account.TeamUsers(ctx, tx, team)
	if err != nil {
		return nil, nil, err
	}
	var out []account.User
	for _, u := range members {
		if u.Role != "case-worker" && u.Role != "admin" {
			continue
		}
		if len(assigned) == 0 || slices.Contains(assigned, u.ID) {
			out = append(out, u)
		}
	}
	return out, []string{team}, nil
}

// Record is what access decides on warning id: the incidents it links
// and, when it names one, the case.
func Record(ctx context.Context, q db.Querier, id string) (access.Record, error) {
	rec := access.Record{Kind: access.Warning, ID: id}
	var inc, earlierKind, earlierID, caseID string
	err := q.QueryRow(ctx, `SELECT incident_id, earlier_kind, earlier_id, case_id FROM warnings WHERE id = ?`, id).
		Scan(&inc, &earlierKind, &earlierID, &caseID)
	if err != nil {
		return rec, fmt.Errorf("warning %s: %w", id, db.ErrNotFound)
	}
	for _, i := range []string{inc, earlierID} {
		if access.KindOf(i) != access.Incident {
			continue
		}
		m, err := access.Stored(ctx, q, access.Incident, i)
		if errors.Is(err, db.ErrNotFound) {
			m = access.Marking{TLP: "red"} // a deleted incident: nobody but the operator
		} else if err != nil {
			return rec, err
		}
		rec.Refs = append(rec.Refs, m)
	}
	if caseID != "" {
		c, err := access.Lookup(ctx, q, caseID)
		if err != nil {
			return rec, err
		}
		rec.Within = &c
	}
	return rec, nil
}

// List returns the newest warnings viewer v may read (at most limit).
func List(ctx context.Context, q db.Querier, v access.Viewer, limit int) ([]Warning, error) {
	if v.MayHelp() != nil {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT w.id, w.organisation_id, COALESCE(o.name, ''), w.incident_id, COALESCE(i.title, ''), w.what, w.earlier_kind,
		w.earlier_id, w.case_id, w.created_at, w.seen_at, w.seen_by
		FROM warnings w LEFT JOIN organisations o ON o.id = w.organisation_id LEFT JOIN incidents i ON i.id = w.incident_id
		ORDER BY w.created_at DESC, w.id LIMIT ?`, limit*4)
	if err != nil {
		return nil, fmt.Errorf("list warnings: %w", err)
	}
	var all []Warning
	for rows.Next() {
		var w Warning
		if err := rows.Scan(&w.ID, &w.OrganisationID, &w.Organisation, &w.IncidentID, &w.Incident, &w.What, &w.EarlierKind, &w.EarlierID,
			&w.CaseID, &w.Created, &w.Seen, &w.SeenBy); err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []Warning
	for _, w := range all {
		rec, err := Record(ctx, q, w.ID)
		if err != nil {
			return nil, err
		}
		if access.Decide(v, access.Read, rec) == nil {
			out = append(out, w)
		}
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// Seen marks warning id as seen by who.
func Seen(ctx context.Context, tx *db.Tx, id string) error {
	if _, err := tx.Exec(ctx, `UPDATE warnings SET seen_at = ?, seen_by = ? WHERE id = ? AND seen_at = ''`, tx.Stamp(), tx.Author.Who, id); err != nil {
		return err
	}
	return account.Audit(ctx, tx, tx.Author.Who, "warning.seen", id, "", "")
}

// LinkCase records that case caseID is about organisation orgID, so that
// a new attack on it warns the case's workers.
func LinkCase(ctx context.Context, tx *db.Tx, caseID, orgID string) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM case_organisations WHERE case_id = ? AND organisation_id = ?`, caseID, orgID).Scan(&n); err != nil || n > 0 {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO case_organisations (case_id, organisation_id, linked_by, linked_at) VALUES (?, ?, ?, ?)`,
		caseID, orgID, tx.Author.Who, tx.Stamp()); err != nil {
		return err
	}
	return account.Audit(ctx, tx, tx.Author.Who, "case.organisation", caseID, "", orgID)
}

// CaseOrganisations returns the organisations a case is about: linked by
// its case workers, or named by the incident made from it.
func CaseOrganisations(ctx context.Context, q db.Querier, caseID string) ([]string, error) {
	return db.Column[string](ctx, q, `SELECT organisation_id FROM case_organisations WHERE case_id = ?
		UNION SELECT v.organisation_id FROM incident_victims v JOIN cases c ON c.incident_id = v.incident_id WHERE c.id = ?
		ORDER BY 1`, caseID, caseID)
}

// Count is how many organisations, among the incidents marked clear, were
// attacked again: named by two clear incidents whose dates are at most
// window apart. Cases never count: they are never public.
func Count(ctx context.Context, q db.Querier, window time.Duration) (int, error) {
	if window <= 0 {
		window = DefaultWindow
	}
	rows, err := q.Query(ctx, `SELECT v.organisation_id, `+incidentDate+` FROM incident_victims v JOIN incidents i ON i.id = v.incident_id
		WHERE i.tlp = 'clear' AND v.role IN ('victim', 'target') ORDER BY v.organisation_id, 2`)
	if err != nil {
		return 0, fmt.Errorf("count re-targeted organisations: %w", err)
	}
	defer rows.Close()
	n, last, lastDate, counted := 0, "", time.Time{}, false
	for rows.Next() {
		var org, date string
		if err := rows.Scan(&org, &date); err != nil {
			return 0, err
		}
		d, err := parseDate(date)
		if err != nil {
			continue
		}
		if org != last {
			last, lastDate, counted = org, d, false
			continue
		}
		if !counted && d.Sub(lastDate) <= window {
			n++
			counted = true
		}
		lastDate = d
	}
	return n, rows.Err()
}

// parseDate reads a full or partial date (2024, 2024-05, 2024-05-17) as
// its first day.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch len(s) {
	case 4:
		s += "-01-01"
	case 7:
		s += "-01"
	}
	return time.Parse("2006-01-02", s[:min(10, len(s))])
}
