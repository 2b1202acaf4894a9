package interchange

import (
	"context"
	"errors"
	"fmt"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/validate"
)

// Progress is told how many more records were written; nil for none.
type Progress func(n int)

// Len is the number of records in doc.
func (doc *Document) Len() int {
	return len(doc.Organisations) + len(doc.Sources) + len(doc.Actors) + len(doc.Campaigns) + len(doc.Incidents) +
		len(doc.Attributions) + len(doc.Harms) + len(doc.Objects)
}

// Write saves every record of doc in tx, referenced records first. An
// invalid record stops the write with an error naming file, record and
// field; the caller's transaction then rolls everything back.
func Write(ctx context.Context, tx *db.Tx, file string, doc *Document, sum *Summary, progress Progress) error {
	steps := []struct {
		kind string
		n    int
		save func(i int) (id string, outcome revision.Outcome, err error)
	}{
		{"organisations", len(doc.Organisations), func(i int) (string, revision.Outcome, error) {
			r := &doc.Organisations[i]
			ch, err := trace.SaveOrganisation(ctx, tx, r)
			return r.ID, ch, err
		}},
		{"sources", len(doc.Sources), func(i int) (string, revision.Outcome, error) {
			r := &doc.Sources[i]
			ch, err := trace.SaveSource(ctx, tx, r)
			return r.ID, ch, err
		}},
		{"actors", len(doc.Actors), func(i int) (string, revision.Outcome, error) {
			r := &doc.Actors[i]
			ch, err := trace.SaveActor(ctx, tx, r)
			return r.ID, ch, err
		}},
		{"campaigns", len(doc.Campaigns), func(i int) (string, revision.Outcome, error) {
			r := &doc.Campaigns[i]
			ch, err := trace.SaveCampaign(ctx, tx, r)
			return r.ID, ch, err
		}},
		{"incidents", len(doc.Incidents), func(i int) (string, revision.Outcome, error) {
			r := &doc.Incidents[i]
			id, ch, err := saveIncident(ctx, tx, r, sum, doc.Guard)
			if err == nil && id != r.ID {
				doc.redirect(r.ID, id)
			}
			return r.ID, ch, err
		}},
		{"attributions", len(doc.Attributions), func(i int) (string, revision.Outcome, error) {
			r := &doc.Attributions[i]
			if err := doc.mayAttach(ctx, tx, r.IncidentID); err != nil {
				return r.ID, revision.Unchanged, err
			}
			ch, err := trace.SaveAttribution(ctx, tx, r)
			return r.ID, ch, err
		}},
		{"harms", len(doc.Harms), func(i int) (string, revision.Outcome, error) {
			r := &doc.Harms[i]
			if err := doc.mayAttach(ctx, tx, r.IncidentID); err != nil {
				return r.ID, revision.Unchanged, err
			}
			ch, err := harm.Save(ctx, tx, r)
			return r.ID, ch, err
		}},
		{"stix objects", len(doc.Objects), func(i int) (string, revision.Outcome, error) {
			r := &doc.Objects[i]
			ch, err := saveObject(ctx, tx, r)
			return r.ID, ch, err
		}},
	}
	for _, step := range steps {
		for i := 0; i < step.n; i++ {
			id, outcome, err := step.save(i)
			if err != nil {
				return &validate.RecordError{File: file, Record: recordName(step.kind, i, id), Err: err}
			}
			sum.count(step.kind, outcome)
			if progress != nil {
				progress(1)
			}
		}
	}
	return nil
}

// mayAttach refuses a harm or an attribution of an incident that the
// guard keeps out of reach.
func (doc *Document) mayAttach(ctx context.Context, tx *db.Tx, incidentID string) error {
	if doc.Guard == nil {
		return nil
	}
	return report.MayAttach(ctx, tx, doc.Guard.Viewer, incidentID)
}

// redirect points the document's harms and attributions of incident from
// to the stored incident it was merged into.
func (doc *Document) redirect(from, to string) {
	for i := range doc.Harms {
		if doc.Harms[i].IncidentID == from {
			doc.Harms[i].IncidentID = to
		}
	}
	for i := range doc.Attributions {
		if doc.Attributions[i].IncidentID == from {
			doc.Attributions[i].IncidentID = to
		}
	}
}

func recordName(kind string, i int, id string) string {
	if id == "" {
		return fmt.Sprintf("%s[%d]", kind, i)
	}
	return fmt.Sprintf("%s[%d] (%s)", kind, i, id)
}

// ErrNoRecords is returned for input that holds nothing to import.
var ErrNoRecords = errors.New("no records found")
