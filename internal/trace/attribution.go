package trace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/validate"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// Attribution is a dated claim, by someone, that an actor is behind an
// incident or a campaign. Conflicting attributions are all kept.
type Attribution struct {
	ID           string `json:"id"`
	IncidentID   string `json:"incident_id,omitempty"`
	CampaignID   string `json:"campaign_id,omitempty"`
	ActorID      string `json:"actor_id"`
	AttributedBy string `json:"attributed_by"`
	AttributedOn Date   `json:"attributed_on,omitempty"`
	Basis        string `json:"basis,omitempty"`
	// Confidence in estimative language (likely, very-likely, …).
	Confidence string   `json:"confidence"`
	SourceIDs  []string `json:"source_ids"`
	access.Marking
	Created time.Time `json:"created,omitzero"`
	Updated time.Time `json:"updated,omitzero"`
}

// Validate names every field at fault.
func (a *Attribution) Validate() error {
	var errs validate.Errors
	errs.Length("attributed_by", a.AttributedBy, validate.MaxName)
	errs.Length("basis", a.Basis, validate.MaxText)
	errs.Lengths("source_ids", a.SourceIDs, validate.MaxName)
	errs.Check("id", checkID(a.ID, "relationship"))
	if (a.IncidentID == "") == (a.CampaignID == "") {
		errs.Add("incident_id", "give exactly one of incident_id and campaign_id")
	}
	if a.ActorID == "" {
		errs.Add("actor_id", "is required")
	}
	if a.AttributedBy == "" {
		errs.Add("attributed_by", "is required: who made the attribution")
	}
	errs.Check("attributed_on", a.AttributedOn.Check())
	errs.Check("confidence", vocab.Confidence.Check(a.Confidence))
	if len(a.SourceIDs) == 0 {
		errs.Add("source_ids", "an attribution cites at least one source")
	}
	checkMarking(&errs, a.Marking)
	return errs.Err()
}

func (a *Attribution) checkRefs(ctx context.Context, q db.Querier) error {
	var errs validate.Errors
	if a.IncidentID != "" {
		errs.Check("incident_id", MustExist(ctx, q, "incidents", a.IncidentID))
	}
	if a.CampaignID != "" {
		errs.Check("campaign_id", MustExist(ctx, q, "campaigns", a.CampaignID))
	}
	errs.Check("actor_id", MustExist(ctx, q, "actors", a.ActorID))
	for i, id := range a.SourceIDs {
		errs.Check(fmt.Sprintf("source_ids[%d]", i), MustExist(ctx, q, "sources", id))
	}
	return errs.Err()
}

var attributions = saver[Attribution]{kind: "attribution", get: GetAttribution, put: putAttribution,
	mark: func(a *Attribution) *access.Marking { return &a.Marking }}

// SaveAttribution creates or updates an attribution and reports whether
// anything changed.
func SaveAttribution(ctx context.Context, tx *db.Tx, a *Attribution) (revision.Outcome, error) {
	if a.ID == "" {
		a.ID = NewID("relationship")
	}
	a.AttributedBy = strings.TrimSpace(a.AttributedBy)
	a.Basis = strings.TrimSpace(a.Basis)
	a.SourceIDs = sortedSet(a.SourceIDs)
	if a.TLP == "" {
		// An attribution given no marking of its own is marked as what it
		// attributes.
		kind, id := access.Incident, a.IncidentID
		if id == "" {
			kind, id = access.Campaign, a.CampaignID
		}
		if m, err := access.Stored(ctx, tx, kind, id); err == nil {
			a.Marking = m
		}
	}
	a.Marking.Normalise(DefaultTLP)
	if err := a.Validate(); err != nil {
		return revision.Unchanged, err
	}
	if err := a.checkRefs(ctx, tx); err != nil {
		return revision.Unchanged, err
	}
	old, _ := GetAttribution(ctx, tx, a.ID)
	outcome, err := attributions.save(ctx, tx, a.ID, a)
	if err != nil || outcome == revision.Unchanged {
		return outcome, err
	}
	for _, at := range []*Attribution{old, a} {
		if at == nil {
			continue
		}
		tx.Touch(at.IncidentID)
		if at.CampaignID != "" {
			ids, err := db.Column[string](ctx, tx, `SELECT id FROM incidents WHERE campaign_id = ?`, at.CampaignID)
			if err != nil {
				return outcome, err
			}
			tx.Touch(ids...)
		}
	}
	return outcome, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func putAttribution(ctx context.Context, tx *db.Tx, a *Attribution, exists bool) error {
	now := tx.Updated(exists, a.Created, a.Updated)
	args := []any{nullable(a.IncidentID), nullable(a.CampaignID), a.ActorID, a.AttributedBy, string(a.AttributedOn),
		a.Basis, a.Confidence, a.TLP, a.Owner, now, a.ID}
	var err error
	if exists {
		_, err = tx.Exec(ctx, `UPDATE attributions SET incident_id = ?, campaign_id = ?, actor_id = ?,
			attributed_by = ?, attributed_on = ?, basis = ?, confidence = ?, tlp = ?, owner_team = ?, updated_at = ?
			WHERE id = ?`, args...)
	} else {
		_, err = tx.Exec(ctx, `INSERT INTO attributions (incident_id, campaign_id, actor_id, attributed_by,
			attributed_on, basis, confidence, tlp, owner_team, updated_at, id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append(args, tx.Created(a.Created))...)
	}
	if err != nil {
		return err
	}
	return db.ReplaceSet(ctx, tx, exists, "attribution_sources", "attribution_id", a.ID, "source_id", a.SourceIDs)
}

const attributionColumns = `id, incident_id, campaign_id, actor_id, attributed_by, attributed_on, basis,
	confidence, tlp, owner_team, created_at, updated_at`

func scanAttribution(row interface{ Scan(...any) error }) (*Attribution, error) {
	var a Attribution
	var incident, campaign sql.NullString
	var on, created, updated string
	err := row.Scan(&a.ID, &incident, &campaign, &a.ActorID, &a.AttributedBy, &on, &a.Basis, &a.Confidence, &a.TLP, &a.Owner, &created, &updated)
	if err != nil {
		return nil, err
	}
	a.IncidentID, a.CampaignID, a.AttributedOn = incident.String, campaign.String, Date(on)
	a.Created, a.Updated = parseTime(created), parseTime(updated)
	return &a, nil
}

// GetAttribution returns the attribution with id, or db.ErrNotFound.
func GetAttribution(ctx context.Context, q db.Querier, id string) (*Attribution, error) {
	a, err := scanAttribution(q.QueryRow(ctx, `SELECT `+attributionColumns+` FROM attributions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("attribution %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	a.SourceIDs, err = db.Column[string](ctx, q, `SELECT source_id FROM attribution_sources WHERE attribution_id = ? ORDER BY source_id`, id)
	if err != nil {
		return nil, err
	}
	return a, loadShares(ctx, q, id, &a.Marking)
}

// DeleteAttribution deletes an attribution, keeping its last version in
// the revisions.
func DeleteAttribution(ctx context.Context, tx *db.Tx, id string) error {
	old, err := GetAttribution(ctx, tx, id)
	if err != nil {
		return err
	}
	tx.Touch(old.IncidentID)
	if old.CampaignID != "" {
		ids, err := db.Column[string](ctx, tx, `SELECT id FROM incidents WHERE campaign_id = ?`, old.CampaignID)
		if err != nil {
			return err
		}
		tx.Touch(ids...)
	}
	return attributions.remove(ctx, tx, id, "attributions")
}

// AttributionsOf returns the attributions of an incident or a campaign.
func AttributionsOf(ctx context.Context, q db.Querier, recordID string) ([]Attribution, error) {
	ids, err := db.Column[string](ctx, q, `SELECT id FROM attributions WHERE incident_id = ? OR campaign_id = ?
		ORDER BY attributed_on, id`, recordID, recordID)
	if err != nil {
		return nil, err
	}
	var out []Attribution
	for _, id := range ids {
		a, err := GetAttribution(ctx, q, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, nil
}
