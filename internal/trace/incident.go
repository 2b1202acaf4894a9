package trace

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
	"github.com/harmtrace/harmtrace/internal/validate"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// DefaultTLP marks records that arrive without a marking. Data about
// victims is sensitive, so nothing is public until someone marks it clear.
const DefaultTLP = "amber"

// Incident is one cyberattack, counted once however many sources report it.
type Incident struct {
	ID            string   `json:"id"`
	Title         string   `json:"title"`
	Summary       string   `json:"summary,omitempty"`
	AttackTypes   []string `json:"attack_types"`
	Determination string   `json:"determination"`
	Start         Date     `json:"start,omitempty"`
	End           Date     `json:"end,omitempty"`
	Discovered    Date     `json:"discovered,omitempty"`
	Disclosed     Date     `json:"disclosed,omitempty"`
	Victims       []Victim `json:"victims,omitempty"`
	// Countries affected, ISO 3166-1 alpha-2.
	Countries  []string `json:"countries,omitempty"`
	CampaignID string   `json:"campaign_id,omitempty"`
	// Marking is who may read and write the incident (internal/access).
	access.Marking
	// UndisclosedVictims counts the victims a viewer may not see: a view
	// of the incident names them "a victim not disclosed". Never stored.
	UndisclosedVictims int `json:"undisclosed_victims,omitempty"`
	// Articles are the offence articles (7–17) of the UN Convention against
	// Cybercrime that the conduct falls under.
	Articles  []int     `json:"convention_articles,omitempty"`
	SourceIDs []string  `json:"source_ids"`
	Created   time.Time `json:"created,omitzero"`
	Updated   time.Time `json:"updated,omitzero"`
}

// Victim is an organisation's part in an incident.
type Victim struct {
	OrganisationID string `json:"organisation_id"`
	Role           string `json:"role"`
}

// Normalise trims text, sorts and deduplicates lists, and fills defaults,
// so that the same incident always compares equal.
func (in *Incident) Normalise() {
	in.Title = strings.TrimSpace(in.Title)
	in.Summary = strings.TrimSpace(in.Summary)
	in.AttackTypes = sortedSet(in.AttackTypes)
	in.Determination = strings.TrimSpace(in.Determination)
	for i := range in.Victims {
		if in.Victims[i].Role == "" {
			in.Victims[i].Role = "victim"
		}
	}
	slices.SortFunc(in.Victims, func(a, b Victim) int {
		return strings.Compare(a.OrganisationID+" "+a.Role, b.OrganisationID+" "+b.Role)
	})
	in.Victims = slices.Compact(in.Victims)
	for i, c := range in.Countries {
		in.Countries[i] = strings.ToUpper(strings.TrimSpace(c))
	}
	in.Countries = sortedSet(in.Countries)
	in.Marking.Normalise(DefaultTLP)
	in.UndisclosedVictims = 0
	slices.Sort(in.Articles)
	in.Articles = slices.Compact(in.Articles)
	in.SourceIDs = sortedSet(in.SourceIDs)
}

func sortedSet(v []string) []string {
	v = cleanList(v)
	slices.Sort(v)
	return v
}

// Validate names every field at fault; references are checked by SaveIncident.
func (in *Incident) Validate() error {
	var errs validate.Errors
	errs.Length("title", in.Title, validate.MaxName)
	errs.Length("summary", in.Summary, validate.MaxText)
	errs.Lengths("countries", in.Countries, validate.MaxName)
	errs.Lengths("source_ids", in.SourceIDs, validate.MaxName)
	errs.Check("id", checkID(in.ID, "incident"))
	if in.Title == "" {
		errs.Add("title", "is required")
	}
	if len(in.AttackTypes) == 0 {
		errs.Add("attack_types", "at least one is required (use \"other\" when unknown)")
	}
	for i, t := range in.AttackTypes {
		errs.Check(fmt.Sprintf("attack_types[%d]", i), vocab.AttackTypes.Check(t))
	}
	errs.Check("determination", vocab.Determinations.Check(in.Determination))
	errs.Check("start", in.Start.Check())
	errs.Check("end", in.End.Check())
	errs.Check("discovered", in.Discovered.Check())
	errs.Check("disclosed", in.Disclosed.Check())
	if in.Start != "" && in.End != "" && lastDay(in.End) < string(in.Start) {
		errs.Add("end", "%s is before start %s", in.End, in.Start)
	}
	for i, v := range in.Victims {
		errs.Check(fmt.Sprintf("victims[%d].role", i), vocab.VictimRoles.Check(v.Role))
	}
	for i, c := range in.Countries {
		errs.Check(fmt.Sprintf("countries[%d]", i), checkCountry(c))
	}
	checkMarking(&errs, in.Marking)
	for i, a := range in.Articles {
		if _, ok := vocab.LookupArticle(a); !ok {
			errs.Add(fmt.Sprintf("convention_articles[%d]", i), "%d is not an offence article of the UN Convention against Cybercrime (7–17)", a)
		}
	}
	if len(in.SourceIDs) == 0 {
		errs.Add("source_ids", "an incident cites at least one source")
	}
	return errs.Err()
}

// checkRefs names every reference to a record that does not exist.
func (in *Incident) checkRefs(ctx context.Context, q db.Querier) error {
	var errs validate.Errors
	for i, v := range in.Victims {
		errs.Check(fmt.Sprintf("victims[%d].organisation_id", i), MustExist(ctx, q, "organisations", v.OrganisationID))
	}
	if in.CampaignID != "" {
		errs.Check("campaign_id", MustExist(ctx, q, "campaigns", in.CampaignID))
	}
	for i, id := range in.SourceIDs {
		errs.Check(fmt.Sprintf("source_ids[%d]", i), MustExist(ctx, q, "sources", id))
	}
	return errs.Err()
}

// MustExist returns an error unless table has a row with id.
func MustExist(ctx context.Context, q db.Querier, table, id string) error {
	var n int
	if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM "+table+" WHERE id = ?", id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("no %s with id %q", strings.TrimSuffix(table, "s"), id)
	}
	return nil
}

var incidents = saver[Incident]{kind: "incident", get: GetIncident, put: putIncident,
	mark: func(in *Incident) *access.Marking { return &in.Marking }}

// SaveIncident creates or updates an incident with its victims, countries,
// attack types, articles and sources, and tells what it did.
func SaveIncident(ctx context.Context, tx *db.Tx, in *Incident) (revision.Outcome, error) {
	if in.ID == "" {
		in.ID = NewID("incident")
	}
	in.Normalise()
	if err := in.Validate(); err != nil {
		return revision.Unchanged, err
	}
	if err := in.checkRefs(ctx, tx); err != nil {
		return revision.Unchanged, err
	}
	outcome, err := incidents.save(ctx, tx, in.ID, in)
	if outcome != revision.Unchanged {
		tx.Touch(in.ID)
	}
	return outcome, err
}

// DeleteIncident deletes an incident with its harms and attributions.
func DeleteIncident(ctx context.Context, tx *db.Tx, id string) error {
	tx.Touch(id)
	if err := unindexIncident(ctx, tx, id); err != nil {
		return err
	}
	return incidents.remove(ctx, tx, id, "incidents")
}

func putIncident(ctx context.Context, tx *db.Tx, in *Incident, exists bool) error {
	now := tx.Updated(exists, in.Created, in.Updated)
	var campaign any
	if in.CampaignID != "" {
		campaign = in.CampaignID
	}
	args := []any{in.Title, in.Summary, in.Determination, string(in.Start), string(in.End), string(in.Discovered),
		string(in.Disclosed), campaign, in.TLP, in.Owner, now, in.ID}
	var err error
	if exists {
		_, err = tx.Exec(ctx, `UPDATE incidents SET title = ?, summary = ?, determination = ?, start_date = ?,
			end_date = ?, discovered_date = ?, disclosed_date = ?, campaign_id = ?, tlp = ?, owner_team = ?, updated_at = ?
			WHERE id = ?`, args...)
	} else {
		_, err = tx.Exec(ctx, `INSERT INTO incidents (title, summary, determination, start_date, end_date,
			discovered_date, disclosed_date, campaign_id, tlp, owner_team, updated_at, id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(args, tx.Created(in.Created))...)
	}
	if err != nil {
		return err
	}
	if err := putIncidentLinks(ctx, tx, in, exists); err != nil {
		return err
	}
	return indexIncident(ctx, tx, in, exists)
}

func putIncidentLinks(ctx context.Context, tx *db.Tx, in *Incident, exists bool) error {
	if err := db.ReplaceSet(ctx, tx, exists, "incident_attack_types", "incident_id", in.ID, "attack_type", in.AttackTypes); err != nil {
		return err
	}
	if err := db.ReplaceSet(ctx, tx, exists, "incident_countries", "incident_id", in.ID, "country", in.Countries); err != nil {
		return err
	}
	if err := db.ReplaceSet(ctx, tx, exists, "incident_articles", "incident_id", in.ID, "article", in.Articles); err != nil {
		return err
	}
	if err := db.ReplaceSet(ctx, tx, exists, "incident_sources", "incident_id", in.ID, "source_id", in.SourceIDs); err != nil {
		return err
	}
	if exists {
		if _, err := tx.Exec(ctx, `DELETE FROM incident_victims WHERE incident_id = ?`, in.ID); err != nil {
			return err
		}
	}
	for _, v := range in.Victims {
		if _, err := tx.Exec(ctx, `INSERT INTO incident_victims (incident_id, organisation_id, role) VALUES (?, ?, ?)`,
			in.ID, v.OrganisationID, v.Role); err != nil {
			return err
		}
	}
	return nil
}

// GetIncident returns the incident with id and its links, or db.ErrNotFound.
func GetIncident(ctx context.Context, q db.Querier, id string) (*Incident, error) {
	in, err := scanIncident(q.QueryRow(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("incident %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get incident %s: %w", id, err)
	}
	if err := loadIncidentLinks(ctx, q, in); err != nil {
		return nil, fmt.Errorf("get incident %s: %w", id, err)
	}
	return in, nil
}

const incidentColumns = `id, title, summary, determination, start_date, end_date, discovered_date,
	disclosed_date, campaign_id, tlp, owner_team, created_at, updated_at`

func scanIncident(row interface{ Scan(...any) error }) (*Incident, error) {
	var in Incident
	var start, end, discovered, disclosed, created, updated string
	var campaign sql.NullString
	if err := row.Scan(&in.ID, &in.Title, &in.Summary, &in.Determination, &start, &end, &discovered, &disclosed,
		&campaign, &in.TLP, &in.Owner, &created, &updated); err != nil {
		return nil, err
	}
	in.Start, in.End, in.Discovered, in.Disclosed = Date(start), Date(end), Date(discovered), Date(disclosed)
	in.CampaignID = campaign.String
	in.Created, in.Updated = parseTime(created), parseTime(updated)
	return &in, nil
}

// GetIncidents returns the incidents with the given ids that exist, in
// that order, each as GetIncident gives it: a page of a list is read with
// one query per table, not one per incident.
func GetIncidents(ctx context.Context, q db.Querier, ids []string) ([]Incident, error) {
	byID := make(map[string]*Incident, len(ids))
	err := db.EachIn(ctx, q, `SELECT `+incidentColumns+` FROM incidents WHERE id IN (%s)`, ids, func(rows *sql.Rows) error {
		in, err := scanIncident(rows)
		if err == nil {
			byID[in.ID] = in
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get incidents: %w", err)
	}
	if err := loadLinksOf(ctx, q, ids, byID); err != nil {
		return nil, fmt.Errorf("get incidents: %w", err)
	}
	out := make([]Incident, 0, len(byID))
	for _, id := range ids {
		if in := byID[id]; in != nil {
			out = append(out, *in)
			delete(byID, id) // an id given twice is returned once
		}
	}
	return out, nil
}

// loadLinksOf reads the links of many incidents, as loadIncidentLinks
// does for one.
func loadLinksOf(ctx context.Context, q db.Querier, ids []string, byID map[string]*Incident) error {
	lists := []struct {
		query string
		set   func(in *Incident, v []string)
	}{
		{`SELECT incident_id, attack_type FROM incident_attack_types WHERE incident_id IN (%s) ORDER BY incident_id, attack_type`,
			func(in *Incident, v []string) { in.AttackTypes = v }},
		{`SELECT incident_id, country FROM incident_countries WHERE incident_id IN (%s) ORDER BY incident_id, country`,
			func(in *Incident, v []string) { in.Countries = v }},
		{`SELECT incident_id, source_id FROM incident_sources WHERE incident_id IN (%s) ORDER BY incident_id, source_id`,
			func(in *Incident, v []string) { in.SourceIDs = v }},
	}
	for _, l := range lists {
		got, err := db.ListsIn[string](ctx, q, l.query, ids)
		if err != nil {
			return err
		}
		for id, v := range got {
			if in := byID[id]; in != nil {
				l.set(in, v)
			}
		}
	}
	articles, err := db.ListsIn[int](ctx, q, `SELECT incident_id, article FROM incident_articles WHERE incident_id IN (%s)
		ORDER BY incident_id, article`, ids)
	if err != nil {
		return err
	}
	for id, v := range articles {
		if in := byID[id]; in != nil {
			in.Articles = v
		}
	}
	err = db.EachIn(ctx, q, `SELECT incident_id, organisation_id, role FROM incident_victims WHERE incident_id IN (%s)
		ORDER BY incident_id, organisation_id, role`, ids, func(rows *sql.Rows) error {
		var id string
		var v Victim
		if err := rows.Scan(&id, &v.OrganisationID, &v.Role); err != nil {
			return err
		}
		if in := byID[id]; in != nil {
			in.Victims = append(in.Victims, v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	marks := make(map[string]*access.Marking, len(byID))
	for id, in := range byID {
		marks[id] = &in.Marking
	}
	return LoadSharesOf(ctx, q, marks)
}

// LoadSharesOf reads the sharing lists of many records at once, as
// loadShares does for one: only amber and red records have any.
func LoadSharesOf(ctx context.Context, q db.Querier, marks map[string]*access.Marking) error {
	var ids []string
	for id, m := range marks {
		if m.TLP == "amber" || m.TLP == "red" {
			ids = append(ids, id)
			m.SharedWith, m.Readers = nil, nil
		}
	}
	slices.Sort(ids)
	return db.EachIn(ctx, q, `SELECT record_id, kind, principal FROM record_access WHERE record_id IN (%s)
		ORDER BY record_id, kind, principal`, ids, func(rows *sql.Rows) error {
		var id, kind, principal string
		if err := rows.Scan(&id, &kind, &principal); err != nil {
			return err
		}
		if kind == "team" {
			marks[id].SharedWith = append(marks[id].SharedWith, principal)
		} else {
			marks[id].Readers = append(marks[id].Readers, principal)
		}
		return nil
	})
}

func loadIncidentLinks(ctx context.Context, q db.Querier, in *Incident) error {
	var err error
	if in.AttackTypes, err = db.Column[string](ctx, q, `SELECT attack_type FROM incident_attack_types WHERE incident_id = ? ORDER BY attack_type`, in.ID); err != nil {
		return err
	}
	if in.Countries, err = db.Column[string](ctx, q, `SELECT country FROM incident_countries WHERE incident_id = ? ORDER BY country`, in.ID); err != nil {
		return err
	}
	if in.Articles, err = db.Column[int](ctx, q, `SELECT article FROM incident_articles WHERE incident_id = ? ORDER BY article`, in.ID); err != nil {
		return err
	}
	if in.SourceIDs, err = db.Column[string](ctx, q, `SELECT source_id FROM incident_sources WHERE incident_id = ? ORDER BY source_id`, in.ID); err != nil {
		return err
	}
	if err := loadShares(ctx, q, in.ID, &in.Marking); err != nil {
		return err
	}
	rows, err := q.Query(ctx, `SELECT organisation_id, role FROM incident_victims WHERE incident_id = ? ORDER BY organisation_id, role`, in.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v Victim
		if err := rows.Scan(&v.OrganisationID, &v.Role); err != nil {
			return err
		}
		in.Victims = append(in.Victims, v)
	}
	return rows.Err()
}

// IncidentIDs returns the ids of all incidents, oldest start first.
func IncidentIDs(ctx context.Context, q db.Querier) ([]string, error) {
	return db.Column[string](ctx, q, `SELECT id FROM incidents ORDER BY start_date, id`)
}
