// Package alert raises an alert wherever an organisation's inventory
// (internal/inventory) lists a product of the Known Exploited
// Vulnerabilities catalog (internal/kev): once per organisation and CVE,
// so a new catalog version raises only the new matches. An alert is
// acknowledged, fixed or dismissed with a reason, each step kept in its
// history. Lists put known ransomware use first, then the oldest due date.
package alert

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/inventory"
	"github.com/harmtrace/harmtrace/internal/outbox"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/validate"
)

// States of an alert: raised open; a decision moves it to another.
var States = []string{"open", "acknowledged", "fixed", "dismissed"}

// Alert is one catalog entry that an organisation's inventory matches.
type Alert struct {
	ID               string `json:"id"`
	OrganisationID   string `json:"organisation_id"`
	Organisation     string `json:"organisation"`
	CVE              string `json:"cve"`
	Vendor           string `json:"vendor"`
	Product          string `json:"product"`
	Name             string `json:"name"`
	ShortDescription string `json:"short_description"`
	RequiredAction   string `json:"required_action"`
	DueDate          string `json:"due_date"`
	DateAdded        string `json:"date_added"`
	Ransomware       bool   `json:"known_ransomware_use"`
	Notes            string `json:"notes,omitempty"`
	State            string `json:"state"`
	// ItemID is the inventory item that matched; CatalogVersion the
	// catalog version that raised the alert.
	ItemID         string `json:"item_id"`
	CatalogVersion string `json:"catalog_version"`
	Created        string `json:"created"`
	Updated        string `json:"updated"`
}

// Match raises the alerts that the inventories match and that were never
// raised (orgID "" for every organisation), and returns them in list
// order.
func Match(ctx context.Context, tx *db.Tx, orgID string) ([]Alert, error) {
	query := `SELECT i.organisation_id, k.cve, MIN(i.id), k.catalog_version
		FROM inventory_items i JOIN kev_entries k ON k.vendor_key = i.vendor_key AND k.product_key = i.product_key
		WHERE NOT EXISTS (SELECT 1 FROM alerts a WHERE a.organisation_id = i.organisation_id AND a.cve = k.cve)`
	var args []any
	if orgID != "" {
		query += ` AND i.organisation_id = ?`
		args = append(args, orgID)
	}
	rows, err := tx.Query(ctx, query+` GROUP BY i.organisation_id, k.cve, k.catalog_version ORDER BY i.organisation_id, k.cve`, args...)
	if err != nil {
		return nil, fmt.Errorf("match inventories: %w", err)
	}
	type match struct{ org, cve, item, version string }
	var found []match
	for rows.Next() {
		var m match
		if err := rows.Scan(&m.org, &m.cve, &m.item, &m.version); err != nil {
			rows.Close()
			return nil, err
		}
		found = append(found, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var ids []string
	for _, m := range found {
		id := trace.NewID("alert")
		_, err := tx.Exec(ctx, `INSERT INTO alerts (id, organisation_id, cve, item_id, catalog_version, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'open', ?, ?)`, id, m.org, m.cve, m.item, m.version, tx.Stamp(), tx.Stamp())
		if err == nil {
			_, err = tx.Exec(ctx, `INSERT INTO alert_history (alert_id, at, actor, state, reason) VALUES (?, ?, ?, 'open', ?)`,
				id, tx.Stamp(), tx.Author.Who, "raised by catalog "+m.version)
		}
		if err != nil {
			return nil, fmt.Errorf("raise alert %s for %s: %w", m.cve, m.org, err)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	raised, err := list(ctx, tx, `a.id IN (`+db.Placeholders(len(ids))+`)`, toAny(ids))
	if err != nil {
		return nil, err
	}
	return raised, notify(ctx, tx, raised)
}

func toAny(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

// Filter chooses alerts.
type Filter struct {
	// OrganisationID, when set, keeps that organisation's alerts.
	OrganisationID string
	// States, when set, keeps alerts in these states.
	States []string
}

// List returns the alerts viewer v may read that f keeps: known
// ransomware use first, then the oldest due date.
func List(ctx context.Context, q db.Querier, v access.Viewer, f Filter) ([]Alert, error) {
	cond, args := v.InventoryCondition("inv")
	where := []string{cond}
	if f.OrganisationID != "" {
		where = append(where, "a.organisation_id = ?")
		args = append(args, f.OrganisationID)
	}
	if len(f.States) > 0 {
		where = append(where, "a.state IN ("+db.Placeholders(len(f.States))+")")
		args = append(args, toAny(f.States)...)
	}
	return list(ctx, q, strings.Join(where, " AND "), args)
}

func list(ctx context.Context, q db.Querier, where string, args []any) ([]Alert, error) {
	rows, err := q.Query(ctx, `SELECT a.id, a.organisation_id, o.name, a.cve, k.vendor, k.product, k.name, k.short_description,
		k.required_action, k.due_date, k.date_added, k.known_ransomware_use, k.notes, a.state, a.item_id, a.catalog_version,
		a.created_at, a.updated_at
		FROM alerts a JOIN kev_entries k ON k.cve = a.cve JOIN inventories inv ON inv.organisation_id = a.organisation_id
		JOIN organisations o ON o.id = a.organisation_id
		WHERE `+where+`
		ORDER BY CASE WHEN k.known_ransomware_use = 'Known' THEN 0 ELSE 1 END, k.due_date, k.date_added, a.cve, o.name, a.organisation_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var a Alert
		var ransomware string
		if err := rows.Scan(&a.ID, &a.OrganisationID, &a.Organisation, &a.CVE, &a.Vendor, &a.Product, &a.Name, &a.ShortDescription,
			&a.RequiredAction, &a.DueDate, &a.DateAdded, &ransomware, &a.Notes, &a.State, &a.ItemID, &a.CatalogVersion,
			&a.Created, &a.Updated); err != nil {
			return nil, err
		}
		a.Ransomware = ransomware == "Known"
		out = append(out, a)
	}
	return out, rows.Err()
}

// ErrNoAlert is returned, wrapped, for an alert that does not exist.
var ErrNoAlert = errors.New("no such alert")

// Get returns alert id, whoever may read it (the caller decides).
func Get(ctx context.Context, q db.Querier, id string) (*Alert, error) {
	out, err := list(ctx, q, "a.id = ?", []any{id})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("alert %s: %w", id, ErrNoAlert)
	}
	return &out[0], nil
}

// Step is one line of an alert's history.
type Step struct {
	At     string `json:"at"`
	Actor  string `json:"actor"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// History returns the alert's steps, oldest first.
func History(ctx context.Context, q db.Querier, id string) ([]Step, error) {
	rows, err := q.Query(ctx, `SELECT at, actor, state, reason FROM alert_history WHERE alert_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Step
	for rows.Next() {
		var s Step
		if err := rows.Scan(&s.At, &s.Actor, &s.State, &s.Reason); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// MaxReason is the longest reason, in characters.
const MaxReason = 2000

// Decide moves alert id to state (acknowledged, fixed, dismissed, or open
// again) for reason, kept in its history and the audit log. A reason is
// required: whoever reads the history later needs to know why.
func Decide(ctx context.Context, tx *db.Tx, id, state, reason string) error {
	reason = strings.TrimSpace(reason)
	var errs validate.Errors
	if !slices.Contains(States, state) {
		errs.Add("state", "%q is not one of %s", state, strings.Join(States, ", "))
	}
	if reason == "" {
		errs.Add("reason", "say why (it is kept in the alert's history)")
	}
	errs.Length("reason", reason, MaxReason)
	if err := errs.Err(); err != nil {
		return err
	}
	var org string
	err := tx.QueryRow(ctx, `SELECT organisation_id FROM alerts WHERE id = ?`, id).Scan(&org)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("alert %s: %w", id, ErrNoAlert)
	}
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE alerts SET state = ?, updated_at = ? WHERE id = ?`, state, tx.Stamp(), id); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO alert_history (alert_id, at, actor, state, reason) VALUES (?, ?, ?, ?, ?)`,
		id, tx.Stamp(), tx.Author.Who, state, reason); err != nil {
		return err
	}
	return account.Audit(ctx, tx, tx.Author.Who, "alert."+state, id, "", org)
}

// notify writes, in the transaction that raised them, one notification
// per organisation of the new alerts: email to the users who may read its
// inventory and consented, and to the webhooks of their teams.
func notify(ctx context.Context, tx *db.Tx, raised []Alert) error {
	byOrg := map[string][]Alert{}
	var orgs []string
	for _, a := range raised {
		if byOrg[a.OrganisationID] == nil {
			orgs = append(orgs, a.OrganisationID)
		}
		byOrg[a.OrganisationID] = append(byOrg[a.OrganisationID], a)
	}
	for _, org := range orgs {
		list := byOrg[org]
		rec, err := inventory.Record(ctx, tx, org)
		if err != nil {
			return err
		}
		teams := append([]string{rec.Marking.Owner}, rec.Members...)
		var users []string
		for _, team := range teams {
			if team == "" {
				continue
			}
			members, err := account.TeamUsers(ctx, tx, team)
			if err != nil {
				return err
			}
			for _, u := range members {
				if access.Decide(access.User(u.ID, u.TeamID, u.Role), access.Read, rec) == nil {
					users = append(users, u.ID)
				}
			}
		}
		m := outbox.Message{Event: "alert.raised", Subject: fmt.Sprintf("%d new known-exploited-vulnerability alerts for %s", len(list), list[0].Organisation),
			Body: alertText(list), Link: "/work/organisations/" + org + "/alerts", RecordID: org}
		if _, err := outbox.ToUsers(ctx, tx, users, m); err != nil {
			return err
		}
		for _, team := range slices.Compact(teams) {
			if _, err := outbox.ToTeam(ctx, tx, team, m); err != nil {
				return err
			}
		}
	}
	return nil
}

func alertText(list []Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The software of %s is listed in CISA's catalog of Known Exploited Vulnerabilities:\n\n", list[0].Organisation)
	for _, a := range list {
		r := ""
		if a.Ransomware {
			r = " — known ransomware use"
		}
		fmt.Fprintf(&b, "%s %s %s, due %s%s\n  %s\n", a.CVE, a.Vendor, a.Product, a.DueDate, r, a.RequiredAction)
	}
	return b.String()
}
