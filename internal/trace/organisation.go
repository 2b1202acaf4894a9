package trace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/validate"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// Organisation is a party to an incident: most often its victim.
type Organisation struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	Kind    string   `json:"kind"`
	// Sector is a value of the MISP sector galaxy; NAICS an optional code.
	Sector  string `json:"sector,omitempty"`
	NAICS   string `json:"naics,omitempty"`
	Country string `json:"country,omitempty"`
	// Flags for the vulnerable groups harmtrace reports on.
	Humanitarian bool `json:"humanitarian,omitempty"`
	Healthcare   bool `json:"healthcare,omitempty"`
	// CriticalInfrastructure names the type of critical infrastructure the
	// organisation runs (energy, water, …); empty when it runs none.
	CriticalInfrastructure string `json:"critical_infrastructure,omitempty"`
	CivilSociety           bool   `json:"civil_society,omitempty"`
	Description            string `json:"description,omitempty"`
	access.Marking
	Created time.Time `json:"created,omitzero"`
	Updated time.Time `json:"updated,omitzero"`
}

var naicsPattern = regexp.MustCompile(`^[0-9]{2,6}$`)

// Normalise trims text, spells the sector as the galaxy does and upper-cases
// the country code, so that equal records compare equal.
func (o *Organisation) Normalise() {
	o.Name = strings.TrimSpace(o.Name)
	o.Aliases = cleanList(o.Aliases)
	o.Kind = strings.TrimSpace(o.Kind)
	if s, ok := vocab.CanonicalSector(o.Sector); ok {
		o.Sector = s
	}
	o.NAICS = strings.TrimSpace(o.NAICS)
	o.Country = strings.ToUpper(strings.TrimSpace(o.Country))
	o.CriticalInfrastructure = strings.TrimSpace(o.CriticalInfrastructure)
	o.Description = strings.TrimSpace(o.Description)
	o.Marking.Normalise(DefaultTLP)
}

// Validate names every field at fault.
func (o *Organisation) Validate() error {
	var errs validate.Errors
	errs.Length("name", o.Name, validate.MaxName)
	errs.Lengths("aliases", o.Aliases, validate.MaxName)
	errs.Length("critical_infrastructure", o.CriticalInfrastructure, validate.MaxName)
	errs.Length("description", o.Description, validate.MaxText)
	errs.Check("id", checkID(o.ID, "identity"))
	if o.Name == "" {
		errs.Add("name", "is required")
	}
	errs.Check("kind", vocab.OrganisationKinds.Check(o.Kind))
	if o.Sector != "" {
		if _, ok := vocab.CanonicalSector(o.Sector); !ok {
			errs.Add("sector", "unknown sector %q (see the MISP sector galaxy)", o.Sector)
		}
	}
	if o.NAICS != "" && !naicsPattern.MatchString(o.NAICS) {
		errs.Add("naics", "%q is not a NAICS code (2 to 6 digits)", o.NAICS)
	}
	errs.Check("country", checkCountry(o.Country))
	checkMarking(&errs, o.Marking)
	return errs.Err()
}

func checkCountry(code string) error {
	if code == "" {
		return nil
	}
	if _, ok := vocab.LookupCountry(code); !ok {
		return fmt.Errorf("unknown country code %q (want ISO 3166-1 alpha-2)", code)
	}
	return nil
}

var organisations = saver[Organisation]{kind: "organisation", get: GetOrganisation, put: putOrganisation,
	mark: func(o *Organisation) *access.Marking { return &o.Marking }}

// SaveOrganisation creates or updates an organisation (a new id is given
// when ID is empty) and tells what it did.
func SaveOrganisation(ctx context.Context, tx *db.Tx, o *Organisation) (revision.Outcome, error) {
	if o.ID == "" {
		o.ID = NewID("identity")
	}
	o.Normalise()
	if err := o.Validate(); err != nil {
		return revision.Unchanged, err
	}
	outcome, err := organisations.save(ctx, tx, o.ID, o)
	if outcome == revision.Updated {
		// Its incidents' sector and country figures may change.
		ids, err := db.Column[string](ctx, tx, `SELECT incident_id FROM incident_victims WHERE organisation_id = ?`, o.ID)
		if err != nil {
			return outcome, err
		}
		tx.Touch(ids...)
	}
	return outcome, err
}

// DeleteOrganisation deletes an organisation that no incident refers to.
func DeleteOrganisation(ctx context.Context, tx *db.Tx, id string) error {
	if err := organisations.remove(ctx, tx, id, "organisations"); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM name_keys WHERE record_id = ?`, id)
	return err
}

func putOrganisation(ctx context.Context, tx *db.Tx, o *Organisation, exists bool) error {
	now := tx.Updated(exists, o.Created, o.Updated)
	args := []any{o.Name, encodeList(o.Aliases), o.Kind, o.Sector, o.NAICS, o.Country, o.Humanitarian,
		o.Healthcare, o.CriticalInfrastructure, o.CivilSociety, o.Description, o.TLP, o.Owner, now, o.ID}
	var err error
	if exists {
		_, err = tx.Exec(ctx, `UPDATE organisations SET name = ?, aliases = ?, kind = ?, sector = ?, naics = ?,
			country = ?, humanitarian = ?, healthcare = ?, critical_infrastructure = ?, civil_society = ?,
			description = ?, tlp = ?, owner_team = ?, updated_at = ? WHERE id = ?`, args...)
	} else {
		_, err = tx.Exec(ctx, `INSERT INTO organisations (name, aliases, kind, sector, naics, country,
			humanitarian, healthcare, critical_infrastructure, civil_society, description, tlp, owner_team, updated_at, id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(args, tx.Created(o.Created))...)
	}
	if err != nil {
		return err
	}
	return saveNameKeys(ctx, tx, "organisation", o.ID, append([]string{o.Name}, o.Aliases...))
}

const organisationColumns = `id, name, aliases, kind, sector, naics, country, humanitarian, healthcare,
	critical_infrastructure, civil_society, description, tlp, owner_team, created_at, updated_at`

func scanOrganisation(row interface{ Scan(...any) error }) (*Organisation, error) {
	var o Organisation
	var aliases, created, updated string
	err := row.Scan(&o.ID, &o.Name, &aliases, &o.Kind, &o.Sector, &o.NAICS, &o.Country, &o.Humanitarian,
		&o.Healthcare, &o.CriticalInfrastructure, &o.CivilSociety, &o.Description, &o.TLP, &o.Owner, &created, &updated)
	if err != nil {
		return nil, err
	}
	o.Aliases = decodeList(aliases)
	o.Created, o.Updated = parseTime(created), parseTime(updated)
	return &o, nil
}

// GetOrganisation returns the organisation with id, or db.ErrNotFound.
func GetOrganisation(ctx context.Context, q db.Querier, id string) (*Organisation, error) {
	o, err := scanOrganisation(q.QueryRow(ctx, `SELECT `+organisationColumns+` FROM organisations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("organisation %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return o, loadShares(ctx, q, id, &o.Marking)
}

// ListOrganisations returns organisations ordered by name.
func ListOrganisations(ctx context.Context, q db.Querier, limit, offset int) ([]Organisation, error) {
	rows, err := q.Query(ctx, `SELECT `+organisationColumns+` FROM organisations ORDER BY name, id LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("list organisations: %w", err)
	}
	defer rows.Close()
	var out []Organisation
	for rows.Next() {
		o, err := scanOrganisation(rows)
		if err != nil {
			return nil, fmt.Errorf("list organisations: %w", err)
		}
		if err := loadShares(ctx, q, o.ID, &o.Marking); err != nil {
			return nil, err
		}
		out = append(out, *o)
	}
	return out, rows.Err()
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
