// Package harm measures what an incident did to people and organisations:
// one Harm is one figure (a range, or unknown) of one indicator, with its
// certainty and sources. docs/harm-method.md explains how figures are
// counted.
package harm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/validate"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// Harm is one measured harm of an incident, optionally to one victim.
type Harm struct {
	ID             string `json:"id"`
	IncidentID     string `json:"incident_id"`
	OrganisationID string `json:"organisation_id,omitempty"`
	Category       string `json:"category"`
	Indicator      string `json:"indicator"`
	// Min and Max bound the figure; equal when exact, both nil when unknown,
	// Max nil alone for "at least Min".
	Min         *int64   `json:"min"`
	Max         *int64   `json:"max"`
	Unit        string   `json:"unit"`
	DataTypes   []string `json:"data_types,omitempty"`
	Certainty   string   `json:"certainty"`
	Description string   `json:"description,omitempty"`
	SourceIDs   []string `json:"source_ids"`
	access.Marking
	Created time.Time `json:"created,omitzero"`
	Updated time.Time `json:"updated,omitzero"`
}

// Exact returns a pointer to n, for building exact figures.
func Exact(n int64) *int64 { return &n }

// Known reports whether the harm has a figure at all.
func (h *Harm) Known() bool { return h.Min != nil || h.Max != nil }

// Normalise fills the indicator's unit and category when they are not
// given, and sorts lists.
func (h *Harm) Normalise() {
	h.Indicator = strings.TrimSpace(h.Indicator)
	if ind, ok := vocab.LookupIndicator(h.Indicator); ok {
		if h.Unit == "" && ind.Unit != "" && ind.Unit != "*" {
			h.Unit = ind.Unit
		}
		if h.Category == "" && vocab.HarmCategories.Has(ind.Category) {
			h.Category = ind.Category
		}
	}
	if h.Certainty == "" {
		h.Certainty = "reported"
	}
	h.DataTypes = sortedSet(h.DataTypes)
	h.SourceIDs = sortedSet(h.SourceIDs)
	h.Marking.Normalise(trace.DefaultTLP)
	h.Description = strings.TrimSpace(h.Description)
}

func sortedSet(v []string) []string {
	var out []string
	for _, s := range v {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Validate names every field at fault.
func (h *Harm) Validate() error {
	var errs validate.Errors
	errs.Length("unit", h.Unit, validate.MaxName)
	errs.Length("description", h.Description, validate.MaxText)
	errs.Lengths("source_ids", h.SourceIDs, validate.MaxName)
	if !strings.HasPrefix(h.ID, "impact--") {
		errs.Add("id", "%q is not an id of the form impact--<uuid>", h.ID)
	}
	if h.IncidentID == "" {
		errs.Add("incident_id", "is required")
	}
	errs.Check("category", vocab.HarmCategories.Check(h.Category))
	errs.Check("indicator", vocab.IndicatorNames.Check(h.Indicator))
	if ind, ok := vocab.LookupIndicator(h.Indicator); ok {
		switch {
		case ind.Unit == "" && !isCurrency(h.Unit):
			errs.Add("unit", "%s is money: give an ISO 4217 currency code such as USD, not %q", h.Indicator, h.Unit)
		case ind.Unit != "" && ind.Unit != "*" && h.Unit != ind.Unit:
			errs.Add("unit", "%s is counted in %s, not %q", h.Indicator, ind.Unit, h.Unit)
		case ind.Unit == "*" && h.Unit == "":
			errs.Add("unit", "is required for indicator other")
		}
	}
	if h.Min != nil && *h.Min < 0 {
		errs.Add("min", "%d is negative", *h.Min)
	}
	if h.Min != nil && h.Max != nil && *h.Max < *h.Min {
		errs.Add("max", "%d is below min %d", *h.Max, *h.Min)
	}
	if h.Min == nil && h.Max != nil {
		errs.Add("min", "is required when max is given (use 0 for \"at most\")")
	}
	for i, t := range h.DataTypes {
		errs.Check(fmt.Sprintf("data_types[%d]", i), vocab.DataTypes.Check(t))
	}
	errs.Check("certainty", vocab.Certainty.Check(h.Certainty))
	if len(h.SourceIDs) == 0 {
		errs.Add("source_ids", "a harm figure cites at least one source")
	}
	errs.Check("tlp", h.Marking.Check())
	return errs.Err()
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

func (h *Harm) checkRefs(ctx context.Context, q db.Querier) error {
	var errs validate.Errors
	errs.Check("incident_id", trace.MustExist(ctx, q, "incidents", h.IncidentID))
	if h.OrganisationID != "" {
		errs.Check("organisation_id", trace.MustExist(ctx, q, "organisations", h.OrganisationID))
	}
	for i, id := range h.SourceIDs {
		errs.Check(fmt.Sprintf("source_ids[%d]", i), trace.MustExist(ctx, q, "sources", id))
	}
	return errs.Err()
}

// Save creates or updates a harm and tells what it did.
func Save(ctx context.Context, tx *db.Tx, h *Harm) (revision.Outcome, error) {
	if h.ID == "" {
		h.ID = trace.NewID("impact")
	}
	if h.TLP == "" && h.IncidentID != "" {
		// A figure given no marking of its own is marked as its incident.
		if m, err := access.Stored(ctx, tx, access.Incident, h.IncidentID); err == nil {
			h.Marking = m
		}
	}
	h.Normalise()
	if err := h.Validate(); err != nil {
		return revision.Unchanged, err
	}
	if err := h.checkRefs(ctx, tx); err != nil {
		return revision.Unchanged, err
	}
	old, err := Get(ctx, tx, h.ID)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return revision.Unchanged, err
	}
	outcome, err := revision.Record(ctx, tx, "harm", h.ID, old, h)
	if err != nil || outcome == revision.Unchanged {
		return outcome, err
	}
	tx.Touch(h.IncidentID)
	if old != nil {
		tx.Touch(old.IncidentID)
	}
	if err := put(ctx, tx, h, old != nil); err != nil {
		return revision.Unchanged, err
	}
	if old == nil || !slices.Equal(old.SharedWith, h.SharedWith) || !slices.Equal(old.Readers, h.Readers) {
		return outcome, access.SaveShares(ctx, tx, h.ID, h.Marking, old != nil)
	}
	return outcome, nil
}

func put(ctx context.Context, tx *db.Tx, h *Harm, exists bool) error {
	now := tx.Updated(exists, h.Created, h.Updated)
	var org any
	if h.OrganisationID != "" {
		org = h.OrganisationID
	}
	args := []any{h.IncidentID, org, h.Category, h.Indicator, h.Min, h.Max, h.Unit, h.Certainty, h.Description, h.TLP, h.Owner, now, h.ID}
	var err error
	if exists {
		_, err = tx.Exec(ctx, `UPDATE harms SET incident_id = ?, organisation_id = ?, category = ?, indicator = ?,
			min_value = ?, max_value = ?, unit = ?, certainty = ?, description = ?, tlp = ?, owner_team = ?, updated_at = ?
			WHERE id = ?`, args...)
	} else {
		_, err = tx.Exec(ctx, `INSERT INTO harms (incident_id, organisation_id, category, indicator, min_value,
			max_value, unit, certainty, description, tlp, owner_team, updated_at, id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(args, tx.Created(h.Created))...)
	}
	if err != nil {
		return fmt.Errorf("save harm %s: %w", h.ID, err)
	}
	if err := db.ReplaceSet(ctx, tx, exists, "harm_data_types", "harm_id", h.ID, "data_type", h.DataTypes); err != nil {
		return err
	}
	return db.ReplaceSet(ctx, tx, exists, "harm_sources", "harm_id", h.ID, "source_id", h.SourceIDs)
}

// Delete deletes a harm after recording its last state.
func Delete(ctx context.Context, tx *db.Tx, id string) error {
	old, err := Get(ctx, tx, id)
	if err != nil {
		return err
	}
	if _, err := revision.Record(ctx, tx, "harm", id, old, nil); err != nil {
		return err
	}
	tx.Touch(old.IncidentID)
	if _, err = tx.Exec(ctx, `DELETE FROM harms WHERE id = ?`, id); err != nil {
		return err
	}
	return access.DeleteShares(ctx, tx, id)
}

const columns = `id, incident_id, organisation_id, category, indicator, min_value, max_value, unit, certainty,
	description, tlp, owner_team, created_at, updated_at`

func scan(row interface{ Scan(...any) error }) (*Harm, error) {
	var h Harm
	var org sql.NullString
	var lo, hi sql.NullInt64
	var created, updated string
	err := row.Scan(&h.ID, &h.IncidentID, &org, &h.Category, &h.Indicator, &lo, &hi, &h.Unit, &h.Certainty,
		&h.Description, &h.TLP, &h.Owner, &created, &updated)
	if err != nil {
		return nil, err
	}
	h.OrganisationID = org.String
	if lo.Valid {
		h.Min = &lo.Int64
	}
	if hi.Valid {
		h.Max = &hi.Int64
	}
	h.Created, _ = time.Parse(time.RFC3339Nano, created)
	h.Updated, _ = time.Parse(time.RFC3339Nano, updated)
	return &h, nil
}

func loadLists(ctx context.Context, q db.Querier, h *Harm) error {
	var err error
	if h.DataTypes, err = db.Column[string](ctx, q, `SELECT data_type FROM harm_data_types WHERE harm_id = ? ORDER BY data_type`, h.ID); err != nil {
		return err
	}
	if h.SourceIDs, err = db.Column[string](ctx, q, `SELECT source_id FROM harm_sources WHERE harm_id = ? ORDER BY source_id`, h.ID); err != nil {
		return err
	}
	if h.TLP == "amber" || h.TLP == "red" {
		return access.LoadShares(ctx, q, h.ID, &h.Marking)
	}
	return nil
}

// Get returns the harm with id, or db.ErrNotFound.
func Get(ctx context.Context, q db.Querier, id string) (*Harm, error) {
	h, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM harms WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("harm %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return h, loadLists(ctx, q, h)
}

// OfIncident returns the harms of an incident.
func OfIncident(ctx context.Context, q db.Querier, incidentID string) ([]Harm, error) {
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM harms WHERE incident_id = ? ORDER BY indicator, id`, incidentID)
	if err != nil {
		return nil, err
	}
	var out []Harm
	for rows.Next() {
		h, err := scan(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := loadLists(ctx, q, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// OfIncidents returns the harms of the given incidents, each incident's in
// the order OfIncident gives them (the store's, so that both engines'
// collations are kept), with one query per table.
func OfIncidents(ctx context.Context, q db.Querier, incidentIDs []string) (map[string][]Harm, error) {
	var all []*Harm
	err := db.EachIn(ctx, q, `SELECT `+columns+` FROM harms WHERE incident_id IN (%s)
		ORDER BY incident_id, indicator, id`, incidentIDs, func(rows *sql.Rows) error {
		h, err := scan(rows)
		if err == nil {
			all = append(all, h)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("harms: %w", err)
	}
	ids := make([]string, len(all))
	marks := map[string]*access.Marking{}
	for i, h := range all {
		ids[i] = h.ID
		marks[h.ID] = &h.Marking
	}
	dataTypes, err := db.ListsIn[string](ctx, q, `SELECT harm_id, data_type FROM harm_data_types WHERE harm_id IN (%s) ORDER BY harm_id, data_type`, ids)
	if err != nil {
		return nil, fmt.Errorf("harms: %w", err)
	}
	sources, err := db.ListsIn[string](ctx, q, `SELECT harm_id, source_id FROM harm_sources WHERE harm_id IN (%s) ORDER BY harm_id, source_id`, ids)
	if err != nil {
		return nil, fmt.Errorf("harms: %w", err)
	}
	if err := trace.LoadSharesOf(ctx, q, marks); err != nil {
		return nil, fmt.Errorf("harms: %w", err)
	}
	out := map[string][]Harm{}
	for _, h := range all {
		h.DataTypes, h.SourceIDs = dataTypes[h.ID], sources[h.ID]
		out[h.IncidentID] = append(out[h.IncidentID], *h)
	}
	return out, nil
}
