package report

import (
	"context"
	"fmt"
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
)

// Row is one incident in a list.
type Row struct {
	ID            string
	Title         string
	Date          string
	Determination string
	TLP           string
	AttackTypes   []string
	Victims       []string
	Countries     []string
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
	for i := range out {
		id := out[i].ID
		if out[i].AttackTypes, err = db.Column[string](ctx, q, `SELECT attack_type FROM incident_attack_types WHERE incident_id = ? ORDER BY attack_type`, id); err != nil {
			return nil, 0, err
		}
		if out[i].Victims, err = db.Column[string](ctx, q, `SELECT o.name FROM incident_victims v JOIN organisations o ON o.id = v.organisation_id
			WHERE v.incident_id = ? ORDER BY o.name`, id); err != nil {
			return nil, 0, err
		}
		if out[i].Countries, err = db.Column[string](ctx, q, `SELECT country FROM (`+countriesOf("SELECT ?")+`) c ORDER BY country`, id, id); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
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
