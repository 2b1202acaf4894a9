package records

import (
	"context"
	"errors"
	"net/http"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// Stored returns the record id of form f when viewer v may see it, and
// nil when it is missing, hidden or of another kind: the three answer
// alike, so a hidden record's existence does not show.
func Stored(ctx context.Context, q db.Querier, v access.Viewer, f *Form, id string) (any, error) {
	ok, err := report.RecordVisible(ctx, q, v, id)
	if err != nil || !ok {
		return nil, err
	}
	rec, err := f.Get(ctx, q, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// ListSelection keeps a list of kind ("organisations", "sources",
// "actors", "campaigns") within the viewer's reach, as internal/access
// decides for records of that kind.
func ListSelection(kind string, v access.Viewer, sel trace.Selection) trace.Selection {
	sel.Where, sel.Args = v.ConditionOf(kindOfList[kind], "t")
	return sel
}

// kindOfList names the kind of record of each list.
var kindOfList = map[string]access.Kind{"organisations": access.Organisation, "sources": access.Source,
	"actors": access.Actor, "campaigns": access.Campaign}

// IncidentView is what the request's viewer may read of one incident (the
// incident's page and the API's GET): the incident with its harms,
// attributions, victims, sources, actors and campaign, each by its own
// marking, with references to the rest dropped and its hidden victims
// counted as undisclosed (interchange.Load's redaction, the same as every
// download's); nil when the viewer may not read the incident.
func IncidentView(r *http.Request, q db.Querier, id string) (*interchange.Document, error) {
	ok, err := access.MayRead(r.Context(), q, httpkit.Access(r), id)
	if err != nil || !ok {
		return nil, err
	}
	doc, err := interchange.LoadIncidents(r.Context(), q, httpkit.ExportScope(r), []string{id})
	if err != nil || len(doc.Incidents) == 0 {
		return nil, err
	}
	return doc, nil
}
