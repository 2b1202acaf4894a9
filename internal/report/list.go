package report

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// Row is one incident in a list.
type Row struct {
	ID            string
	Title         string
	Date          string
	Determination string
	TLP           string
	AttackTypes   []string
	// Victims are the names of the victims that count in the incident's
	// figures (disclosed.go) and that the viewer may read; Undisclosed
	// counts the others.
	Victims     []string
	Undisclosed int
	Countries   []string
}

// ListIncidents returns one page of the incidents the filter selects, the
// most recent first, and how many there are in all.
func ListIncidents(ctx context.Context, q db.Querier, f Filter, limit, offset int) ([]Row, int, error) {
	if err := f.Validate(); err != nil {
		return nil, 0, err
	}
	where, args := f.where(q.Dialect())
	var total int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM incidents i WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("list incidents: %w", err)
	}
	rows, err := q.Query(ctx, `SELECT i.id, i.title, `+incidentDate+`, i.determination, i.tlp FROM incidents i WHERE `+where+`
		ORDER BY `+incidentDate+` DESC, i.id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list incidents: %w", err)
	}
	var out []Row
	for rows.Next() {
		var r Row
		if err := rows.Scan(&r.ID, &r.Title, &r.Date, &r.Determination, &r.TLP); err != nil {
			rows.Close()
			return nil, 0, err
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if err := pageDetails(ctx, q, f.Viewer, out); err != nil {
		return nil, 0, fmt.Errorf("list incidents: %w", err)
	}
	return out, total, nil
}

// pageDetails reads the rows' attack types, victims and countries, with
// one query for the whole page each.
func pageDetails(ctx context.Context, q db.Querier, v *access.Viewer, page []Row) error {
	ids := make([]string, len(page))
	for i, r := range page {
		ids[i] = r.ID
	}
	attacks, err := db.ListsIn[string](ctx, q, `SELECT incident_id, attack_type FROM incident_attack_types WHERE incident_id IN (%s)
		ORDER BY incident_id, attack_type`, ids)
	if err != nil {
		return err
	}
	all, err := db.ListsIn[int](ctx, q, `SELECT incident_id, COUNT(*) FROM incident_victims WHERE incident_id IN (%s)
		GROUP BY incident_id`, ids)
	if err != nil {
		return err
	}
	names, err := victimNames(ctx, q, v, ids)
	if err != nil {
		return err
	}
	countries, err := db.ListsIn[string](ctx, q, `SELECT DISTINCT incident_id, country FROM (`+CountriesQuery("%s")+`) c
		ORDER BY incident_id, country`, ids)
	if err != nil {
		return err
	}
	for i := range page {
		r := &page[i]
		r.AttackTypes, r.Victims, r.Countries = attacks[r.ID], names[r.ID], countries[r.ID]
		if n := all[r.ID]; len(n) > 0 {
			r.Undisclosed = n[0] - len(r.Victims)
		}
	}
	return nil
}

// victimNames lists, per incident, the names of its victims that count
// in its figures and that the viewer may read. Who may read is decided in
// Go (access.Viewer.Reads, the rule Condition writes in SQL): given the
// condition on the organisations, SQLite starts from their marking's index
// and reads every victim of the store.
func victimNames(ctx context.Context, q db.Querier, v *access.Viewer, ids []string) (map[string][]string, error) {
	type victim struct {
		incident, name string
		marking        *access.Marking
	}
	var all []victim
	marks := map[string]*access.Marking{}
	err := db.EachIn(ctx, q, `SELECT v.incident_id, o.id, o.name, o.tlp, o.owner_team FROM `+victims+`
		WHERE v.incident_id IN (%s) AND `+disclosedVictim+` ORDER BY v.incident_id, o.name`, ids, func(rows *sql.Rows) error {
		var x victim
		var org string
		m := &access.Marking{}
		if err := rows.Scan(&x.incident, &org, &x.name, &m.TLP, &m.Owner); err != nil {
			return err
		}
		if marks[org] == nil {
			marks[org] = m
		}
		x.marking = marks[org]
		all = append(all, x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := trace.LoadSharesOf(ctx, q, marks); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, x := range all {
		if v == nil || v.Reads(*x.marking) {
			out[x.incident] = append(out[x.incident], x.name)
		}
	}
	return out, nil
}

// IncidentIDs returns the ids of every incident the filter selects.
func IncidentIDs(ctx context.Context, q db.Querier, f Filter) ([]string, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	where, args := f.where(q.Dialect())
	return db.Column[string](ctx, q, `SELECT i.id FROM incidents i WHERE `+where+` ORDER BY i.id`, args...)
}

// Describe names the filter in words, for page titles and captions.
func (f Filter) Describe() string {
	var parts []string
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+" "+v)
		}
	}
	add("sector", f.Sector)
	add("country", f.Country)
	add("attack type", f.AttackType)
	add("actor", f.Actor)
	add("campaign", f.Campaign)
	add("determination", f.Determination)
	add("since", f.Since)
	add("until", f.Until)
	if f.Query != "" {
		parts = append(parts, fmt.Sprintf("matching %q", f.Query))
	}
	return strings.Join(parts, ", ")
}

// Visible reports whether the viewer may see the incident with id; a
// missing incident and a hidden one both answer false.
func Visible(ctx context.Context, q db.Querier, v access.Viewer, id string) (bool, error) {
	cond, args := v.Condition("i")
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM incidents i WHERE i.id = ? AND `+cond, append([]any{id}, args...)...).Scan(&n)
	return n > 0, err
}
