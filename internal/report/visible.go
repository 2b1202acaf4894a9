package report

import (
	"context"
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/validate"
)

// OrganisationCondition selects, on organisations under alias, those the
// viewer may see: an organisation named only as the victim of incidents
// the viewer may not see is hidden with them, so that even its name does
// not tell that it was attacked.
func OrganisationCondition(v access.Viewer, alias string) (string, []any) {
	cond, args := v.Condition("vi")
	return `(NOT EXISTS (SELECT 1 FROM incident_victims vv WHERE vv.organisation_id = ` + alias + `.id)
		OR EXISTS (SELECT 1 FROM incident_victims vv JOIN incidents vi ON vi.id = vv.incident_id
			WHERE vv.organisation_id = ` + alias + `.id AND ` + cond + `))`, args
}

// SourceCondition selects, on sources under alias, those the viewer may
// see: a source cited only by incidents the viewer may not see is hidden.
func SourceCondition(v access.Viewer, alias string) (string, []any) {
	cond, args := v.Condition("vi")
	return `(NOT EXISTS (SELECT 1 FROM incident_sources vs WHERE vs.source_id = ` + alias + `.id)
		OR EXISTS (SELECT 1 FROM incident_sources vs JOIN incidents vi ON vi.id = vs.incident_id
			WHERE vs.source_id = ` + alias + `.id AND ` + cond + `))`, args
}

// RecordVisible reports whether the viewer may see the record with id, of
// any kind: an incident by its marking; a harm or an attribution through
// its incident; an organisation or a source as above; actors and campaigns
// are catalogue entries anyone may see. A missing record answers false.
func RecordVisible(ctx context.Context, q db.Querier, v access.Viewer, id string) (bool, error) {
	var query string
	var args []any
	switch prefix, _, _ := strings.Cut(id, "--"); prefix {
	case "incident":
		return Visible(ctx, q, v, id)
	case "impact":
		cond, a := v.Condition("i")
		query, args = `SELECT COUNT(*) FROM harms h JOIN incidents i ON i.id = h.incident_id WHERE h.id = ? AND `+cond, a
	case "relationship":
		cond, a := v.Condition("i")
		query = `SELECT COUNT(*) FROM attributions a LEFT JOIN incidents i ON i.id = a.incident_id
			WHERE a.id = ? AND (a.incident_id IS NULL OR ` + cond + `)`
		args = a
	case "identity":
		cond, a := OrganisationCondition(v, "o")
		query, args = `SELECT COUNT(*) FROM organisations o WHERE o.id = ? AND `+cond, a
	case "source":
		cond, a := SourceCondition(v, "s")
		query, args = `SELECT COUNT(*) FROM sources s WHERE s.id = ? AND `+cond, a
	case "threat-actor", "intrusion-set":
		query = `SELECT COUNT(*) FROM actors WHERE id = ?`
	case "campaign":
		query = `SELECT COUNT(*) FROM campaigns WHERE id = ?`
	default:
		return false, nil
	}
	var n int
	err := q.QueryRow(ctx, query, append([]any{id}, args...)...).Scan(&n)
	return n > 0, err
}

// MayAttach refuses a harm or an attribution of an incident the viewer may
// not see, with the answer a missing incident gets; "" (a campaign's
// attribution) is always allowed.
func MayAttach(ctx context.Context, q db.Querier, v access.Viewer, incidentID string) error {
	if incidentID == "" {
		return nil
	}
	ok, err := Visible(ctx, q, v, incidentID)
	if err == nil && !ok {
		err = validate.Errors{{Field: "incident_id", Message: "no incident with this id"}}
	}
	return err
}
