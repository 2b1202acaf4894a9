package interchange

import (
	"context"
	"errors"
	"fmt"

	"github.com/harmtrace/harmtrace/internal/access"
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
	if err := doc.reuse(ctx, tx); err != nil {
		return &validate.RecordError{File: file, Record: "sources", Err: err}
	}
	if err := doc.Guard.prepare(ctx, tx, doc); err != nil {
		return &validate.RecordError{File: file, Record: "upload", Err: err}
	}
	steps := []struct {
		kind access.Kind
		name string
		n    int
		// mark is the record's marking, id its id, save saves it.
		mark func(i int) *access.Marking
		id   func(i int) string
		save func(i int) (id string, outcome revision.Outcome, err error)
	}{
		{access.Organisation, "organisations", len(doc.Organisations),
			func(i int) *access.Marking { return &doc.Organisations[i].Marking },
			func(i int) string { return doc.Organisations[i].ID },
			func(i int) (string, revision.Outcome, error) {
				r := &doc.Organisations[i]
				ch, err := trace.SaveOrganisation(ctx, tx, r)
				return r.ID, ch, err
			}},
		{access.Source, "sources", len(doc.Sources),
			func(i int) *access.Marking { return &doc.Sources[i].Marking },
			func(i int) string { return doc.Sources[i].ID },
			func(i int) (string, revision.Outcome, error) {
				r := &doc.Sources[i]
				ch, err := trace.SaveSource(ctx, tx, r)
				return r.ID, ch, err
			}},
		{access.Actor, "actors", len(doc.Actors),
			func(i int) *access.Marking { return &doc.Actors[i].Marking },
			func(i int) string { return doc.Actors[i].ID },
			func(i int) (string, revision.Outcome, error) {
				r := &doc.Actors[i]
				ch, err := trace.SaveActor(ctx, tx, r)
				return r.ID, ch, err
			}},
		{access.Campaign, "campaigns", len(doc.Campaigns),
			func(i int) *access.Marking { return &doc.Campaigns[i].Marking },
			func(i int) string { return doc.Campaigns[i].ID },
			func(i int) (string, revision.Outcome, error) {
				r := &doc.Campaigns[i]
				ch, err := trace.SaveCampaign(ctx, tx, r)
				return r.ID, ch, err
			}},
		{access.Incident, "incidents", len(doc.Incidents),
			func(i int) *access.Marking { return &doc.Incidents[i].Marking },
			func(i int) string { return doc.Incidents[i].ID },
			func(i int) (string, revision.Outcome, error) {
				r := &doc.Incidents[i]
				id, ch, err := saveIncident(ctx, tx, r, sum, doc.Guard)
				if err == nil && id != r.ID {
					doc.redirect(r.ID, id)
				}
				return r.ID, ch, err
			}},
		{access.Attribution, "attributions", len(doc.Attributions),
			func(i int) *access.Marking { return &doc.Attributions[i].Marking },
			func(i int) string { return doc.Attributions[i].ID },
			func(i int) (string, revision.Outcome, error) {
				r := &doc.Attributions[i]
				if err := doc.mayAttach(ctx, tx, r.IncidentID, r.CampaignID); err != nil {
					return r.ID, revision.Unchanged, err
				}
				ch, err := trace.SaveAttribution(ctx, tx, r)
				return r.ID, ch, err
			}},
		{access.Harm, "harms", len(doc.Harms),
			func(i int) *access.Marking { return &doc.Harms[i].Marking },
			func(i int) string { return doc.Harms[i].ID },
			func(i int) (string, revision.Outcome, error) {
				r := &doc.Harms[i]
				if err := doc.mayAttach(ctx, tx, r.IncidentID, ""); err != nil {
					return r.ID, revision.Unchanged, err
				}
				ch, err := harm.Save(ctx, tx, r)
				return r.ID, ch, err
			}},
		{access.Object, "stix objects", len(doc.Objects),
			func(i int) *access.Marking { return &doc.Objects[i].Marking },
			func(i int) string { return doc.Objects[i].ID },
			func(i int) (string, revision.Outcome, error) {
				r := &doc.Objects[i]
				ch, err := saveObject(ctx, tx, r)
				return r.ID, ch, err
			}},
	}
	for _, step := range steps {
		for i := 0; i < step.n; i++ {
			readOnly, err := doc.settle(ctx, tx, step.kind, step.id(i), step.mark(i))
			var id string
			var outcome revision.Outcome
			if err == nil {
				id, outcome, err = step.save(i)
			}
			if err == nil && readOnly && outcome != revision.Unchanged {
				err = errReadOnly
			}
			if err != nil {
				return &validate.RecordError{File: file, Record: doc.place(step.name, i, id, err), Err: err}
			}
			sum.count(step.name, outcome)
			if progress != nil {
				progress(1)
			}
		}
	}
	return nil
}

// mayAttach refuses a harm or an attribution of an incident or a campaign
// the uploader may not change.
func (doc *Document) mayAttach(ctx context.Context, tx *db.Tx, incidentID, campaignID string) error {
	if doc.Guard == nil {
		return nil
	}
	for _, ref := range []struct{ field, id string }{{"incident_id", incidentID}, {"campaign_id", campaignID}} {
		err := report.MayAttach(ctx, tx, doc.Guard.Viewer, ref.field, ref.id)
		var refusal *access.Refusal
		if errors.As(err, &refusal) {
			// In a file, the refusal is the uploader's to fix, next to its field.
			return validate.Errors{{Field: ref.field, Message: refusal.Reason}}
		}
		if err != nil {
			return err
		}
	}
	return nil
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
