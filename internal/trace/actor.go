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

// Actor is a threat actor: a state, a group or a person behind attacks.
type Actor struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Aliases       []string `json:"aliases,omitempty"`
	Type          string   `json:"type"`
	OriginCountry string   `json:"origin_country,omitempty"`
	Description   string   `json:"description,omitempty"`
	access.Marking
	Created time.Time `json:"created,omitzero"`
	Updated time.Time `json:"updated,omitzero"`
}

// Normalise trims text and upper-cases the country code.
func (a *Actor) Normalise() {
	a.Name = strings.TrimSpace(a.Name)
	a.Aliases = cleanList(a.Aliases)
	a.Type = strings.TrimSpace(a.Type)
	if a.Type == "" {
		a.Type = "unknown"
	}
	a.OriginCountry = strings.ToUpper(strings.TrimSpace(a.OriginCountry))
	a.Description = strings.TrimSpace(a.Description)
	a.Marking.Normalise(DefaultTLP)
}

// Validate names every field at fault.
func (a *Actor) Validate() error {
	var errs validate.Errors
	errs.Length("name", a.Name, validate.MaxName)
	errs.Lengths("aliases", a.Aliases, validate.MaxName)
	errs.Length("description", a.Description, validate.MaxText)
	errs.Check("id", checkID(a.ID, "threat-actor", "intrusion-set"))
	if a.Name == "" {
		errs.Add("name", "is required")
	}
	errs.Check("type", vocab.ActorTypes.Check(a.Type))
	errs.Check("origin_country", checkCountry(a.OriginCountry))
	checkMarking(&errs, a.Marking)
	return errs.Err()
}

var actors = saver[Actor]{kind: "actor", get: GetActor, put: putActor,
	mark: func(a *Actor) *access.Marking { return &a.Marking }}

// SaveActor creates or updates an actor and tells what it did.
func SaveActor(ctx context.Context, tx *db.Tx, a *Actor) (revision.Outcome, error) {
	if a.ID == "" {
		a.ID = NewID("threat-actor")
	}
	a.Normalise()
	if err := a.Validate(); err != nil {
		return revision.Unchanged, err
	}
	return actors.save(ctx, tx, a.ID, a)
}

func putActor(ctx context.Context, tx *db.Tx, a *Actor, exists bool) error {
	now := tx.Updated(exists, a.Created, a.Updated)
	args := []any{a.Name, encodeList(a.Aliases), a.Type, a.OriginCountry, a.Description, a.TLP, a.Owner, now, a.ID}
	var err error
	if exists {
		_, err = tx.Exec(ctx, `UPDATE actors SET name = ?, aliases = ?, type = ?, origin_country = ?,
			description = ?, tlp = ?, owner_team = ?, updated_at = ? WHERE id = ?`, args...)
	} else {
		_, err = tx.Exec(ctx, `INSERT INTO actors (name, aliases, type, origin_country, description, tlp, owner_team,
			updated_at, id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(args, tx.Created(a.Created))...)
	}
	if err != nil {
		return err
	}
	return saveNameKeys(ctx, tx, "actor", a.ID, append([]string{a.Name}, a.Aliases...))
}

const actorColumns = `id, name, aliases, type, origin_country, description, tlp, owner_team, created_at, updated_at`

func scanActor(row interface{ Scan(...any) error }) (*Actor, error) {
	var a Actor
	var aliases, created, updated string
	if err := row.Scan(&a.ID, &a.Name, &aliases, &a.Type, &a.OriginCountry, &a.Description, &a.TLP, &a.Owner, &created, &updated); err != nil {
		return nil, err
	}
	a.Aliases = decodeList(aliases)
	a.Created, a.Updated = parseTime(created), parseTime(updated)
	return &a, nil
}

// GetActor returns the actor with id, or db.ErrNotFound.
func GetActor(ctx context.Context, q db.Querier, id string) (*Actor, error) {
	a, err := scanActor(q.QueryRow(ctx, `SELECT `+actorColumns+` FROM actors WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("actor %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return a, loadShares(ctx, q, id, &a.Marking)
}

// ListActors returns actors ordered by name.
func ListActors(ctx context.Context, q db.Querier, limit, offset int) ([]Actor, error) {
	rows, err := q.Query(ctx, `SELECT `+actorColumns+` FROM actors ORDER BY name, id LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("list actors: %w", err)
	}
	defer rows.Close()
	var out []Actor
	for rows.Next() {
		a, err := scanActor(rows)
		if err != nil {
			return nil, err
		}
		if err := loadShares(ctx, q, a.ID, &a.Marking); err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// Campaign is a series of incidents run by the same actors for one aim.
type Campaign struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	FirstSeen   Date   `json:"first_seen,omitempty"`
	LastSeen    Date   `json:"last_seen,omitempty"`
	Description string `json:"description,omitempty"`
	access.Marking
	Created time.Time `json:"created,omitzero"`
	Updated time.Time `json:"updated,omitzero"`
}

// Validate names every field at fault.
func (c *Campaign) Validate() error {
	var errs validate.Errors
	errs.Length("name", c.Name, validate.MaxName)
	errs.Length("description", c.Description, validate.MaxText)
	errs.Check("id", checkID(c.ID, "campaign"))
	if c.Name == "" {
		errs.Add("name", "is required")
	}
	errs.Check("first_seen", c.FirstSeen.Check())
	errs.Check("last_seen", c.LastSeen.Check())
	if c.FirstSeen != "" && c.LastSeen != "" && c.LastSeen < c.FirstSeen {
		errs.Add("last_seen", "%s is before first_seen %s", c.LastSeen, c.FirstSeen)
	}
	checkMarking(&errs, c.Marking)
	return errs.Err()
}

var campaigns = saver[Campaign]{kind: "campaign", get: GetCampaign, put: putCampaign,
	mark: func(c *Campaign) *access.Marking { return &c.Marking }}

// SaveCampaign creates or updates a campaign and tells what it did.
func SaveCampaign(ctx context.Context, tx *db.Tx, c *Campaign) (revision.Outcome, error) {
	if c.ID == "" {
		c.ID = NewID("campaign")
	}
	c.Name = strings.TrimSpace(c.Name)
	c.Description = strings.TrimSpace(c.Description)
	c.Marking.Normalise(DefaultTLP)
	if err := c.Validate(); err != nil {
		return revision.Unchanged, err
	}
	return campaigns.save(ctx, tx, c.ID, c)
}

func putCampaign(ctx context.Context, tx *db.Tx, c *Campaign, exists bool) error {
	now := tx.Updated(exists, c.Created, c.Updated)
	args := []any{c.Name, string(c.FirstSeen), string(c.LastSeen), c.Description, c.TLP, c.Owner, now, c.ID}
	if exists {
		_, err := tx.Exec(ctx, `UPDATE campaigns SET name = ?, first_seen = ?, last_seen = ?, description = ?,
			tlp = ?, owner_team = ?, updated_at = ? WHERE id = ?`, args...)
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO campaigns (name, first_seen, last_seen, description, tlp, owner_team, updated_at, id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(args, tx.Created(c.Created))...)
	return err
}

// GetCampaign returns the campaign with id, or db.ErrNotFound.
func GetCampaign(ctx context.Context, q db.Querier, id string) (*Campaign, error) {
	c, err := scanCampaign(q.QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("campaign %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return c, loadShares(ctx, q, id, &c.Marking)
}

const campaignColumns = `id, name, first_seen, last_seen, description, tlp, owner_team, created_at, updated_at`

func scanCampaign(row interface{ Scan(...any) error }) (*Campaign, error) {
	var c Campaign
	var first, last, created, updated string
	if err := row.Scan(&c.ID, &c.Name, &first, &last, &c.Description, &c.TLP, &c.Owner, &created, &updated); err != nil {
		return nil, err
	}
	c.FirstSeen, c.LastSeen = Date(first), Date(last)
	c.Created, c.Updated = parseTime(created), parseTime(updated)
	return &c, nil
}

// FindCampaignByName returns the id of the campaign with this exact name, or "".
func FindCampaignByName(ctx context.Context, q db.Querier, name string) (string, error) {
	ids, err := db.Column[string](ctx, q, `SELECT id FROM campaigns WHERE name = ? ORDER BY id LIMIT 1`, name)
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}
