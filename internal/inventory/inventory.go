// Package inventory keeps the software each organisation runs: vendor,
// product, version and CPE, with the normalised names (internal/kev) that
// alerts are matched on. An organisation's inventory is kept by a helping
// team and read by the teams that are the organisation itself;
// internal/access decides (prevent.go), and every change is audited.
package inventory

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/kev"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/validate"
)

// Item is one piece of software an organisation runs.
type Item struct {
	ID             string `json:"id"`
	OrganisationID string `json:"organisation_id"`
	Vendor         string `json:"vendor"`
	Product        string `json:"product"`
	Version        string `json:"version,omitempty"`
	CPE            string `json:"cpe,omitempty"`
	// VendorKey and ProductKey are the names as matching compares them.
	VendorKey  string `json:"vendor_key"`
	ProductKey string `json:"product_key"`
	AddedBy    string `json:"added_by"`
	Created    string `json:"created"`
}

// Limits on what an item's fields hold.
const (
	MaxName    = 200
	MaxVersion = 100
	MaxCPE     = 500
)

// Normalise trims the fields, fills vendor and product from the CPE when
// they are missing, and computes the matching keys: from the CPE's vendor
// and product parts when there is one, else from the names.
func (it *Item) Normalise() {
	it.Vendor, it.Product = strings.TrimSpace(it.Vendor), strings.TrimSpace(it.Product)
	it.Version, it.CPE = strings.TrimSpace(it.Version), strings.TrimSpace(it.CPE)
	vendor, product := it.Vendor, it.Product
	if c, ok := kev.ParseCPE(it.CPE); ok {
		vendor, product = c.Vendor, c.Product
		if it.Vendor == "" {
			it.Vendor = c.Vendor
		}
		if it.Product == "" {
			it.Product = c.Product
		}
		if it.Version == "" {
			it.Version = c.Version
		}
	}
	it.VendorKey = kev.VendorKey(vendor)
	it.ProductKey = kev.ProductKey(it.VendorKey, product)
}

// Validate names every field at fault.
func (it *Item) Validate() error {
	var errs validate.Errors
	if it.CPE != "" {
		if _, ok := kev.ParseCPE(it.CPE); !ok {
			errs.Add("cpe", "%q is not a CPE name (cpe:2.3:a:vendor:product:… or cpe:/a:vendor:product)", it.CPE)
		}
	}
	if it.VendorKey == "" {
		errs.Add("vendor", "required (or a CPE)")
	}
	if it.ProductKey == "" {
		errs.Add("product", "required (or a CPE)")
	}
	errs.Length("vendor", it.Vendor, MaxName)
	errs.Length("product", it.Product, MaxName)
	errs.Length("version", it.Version, MaxVersion)
	errs.Length("cpe", it.CPE, MaxCPE)
	return errs.Err()
}

// ErrNoOrganisation is returned, wrapped, when a name or id names no
// organisation, or more than one.
var ErrNoOrganisation = errors.New("no such organisation")

// ResolveOrganisation finds an organisation by its id or its exact name.
func ResolveOrganisation(ctx context.Context, q db.Querier, ref string) (*trace.Organisation, error) {
	ref = strings.TrimSpace(ref)
	if strings.HasPrefix(ref, "identity--") {
		o, err := trace.GetOrganisation(ctx, q, ref)
		if errors.Is(err, db.ErrNotFound) {
			return nil, fmt.Errorf("%w: %s", ErrNoOrganisation, ref)
		}
		return o, err
	}
	ids, err := db.Column[string](ctx, q, `SELECT id FROM organisations WHERE name = ? ORDER BY id`, ref)
	if err != nil {
		return nil, err
	}
	switch len(ids) {
	case 0:
		return nil, fmt.Errorf("%w named %q (give its id or its exact name)", ErrNoOrganisation, ref)
	case 1:
		return trace.GetOrganisation(ctx, q, ids[0])
	}
	return nil, fmt.Errorf("%w: %d organisations are named %q; give the id (%s)", ErrNoOrganisation, len(ids), ref, strings.Join(ids, ", "))
}

// Record is what access decides on an organisation's inventory: its
// owner team and member teams. An organisation without an inventory yet
// is an inventory nobody keeps.
func Record(ctx context.Context, q db.Querier, orgID string) (access.Record, error) {
	rec := access.Record{Kind: access.Inventory, ID: orgID}
	err := q.QueryRow(ctx, `SELECT owner_team FROM inventories WHERE organisation_id = ?`, orgID).Scan(&rec.Marking.Owner)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return rec, err
	}
	if rec.Members, err = Members(ctx, q, orgID); err != nil {
		return rec, err
	}
	m, err := access.Stored(ctx, q, access.Organisation, orgID)
	if err != nil {
		return rec, err
	}
	rec.Refs = []access.Marking{m}
	return rec, nil
}

// Check decides action on the inventory of organisation orgID;
// access.ErrHidden for a missing organisation.
func Check(ctx context.Context, q db.Querier, v access.Viewer, action access.Action, orgID string) error {
	rec, err := Record(ctx, q, orgID)
	if errors.Is(err, db.ErrNotFound) {
		return access.ErrHidden
	}
	if err != nil {
		return err
	}
	return access.Decide(v, action, rec)
}

// Members returns the teams that are the organisation itself.
func Members(ctx context.Context, q db.Querier, orgID string) ([]string, error) {
	return db.Column[string](ctx, q, `SELECT team_id FROM inventory_members WHERE organisation_id = ? ORDER BY team_id`, orgID)
}

// ensure creates the organisation's inventory, kept by owner, when it
// has none.
func ensure(ctx context.Context, tx *db.Tx, orgID, owner string) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM inventories WHERE organisation_id = ?`, orgID).Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO inventories (organisation_id, owner_team, created_at) VALUES (?, ?, ?)`, orgID, owner, tx.Stamp())
	return err
}

// Keep makes team the keeper of the organisation's inventory ("" for
// any helping team), creating the inventory.
func Keep(ctx context.Context, tx *db.Tx, orgID, team string) error {
	if err := ensure(ctx, tx, orgID, team); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE inventories SET owner_team = ? WHERE organisation_id = ?`, team, orgID); err != nil {
		return err
	}
	return account.Audit(ctx, tx, tx.Author.Who, "inventory.keep", orgID, "", "team "+team)
}

// AddMember makes team one of the organisation's own teams: its users
// read the inventory and its alerts.
func AddMember(ctx context.Context, tx *db.Tx, orgID, team string) error {
	if err := ensure(ctx, tx, orgID, ""); err != nil {
		return err
	}
	members, err := Members(ctx, tx, orgID)
	if err != nil || slices.Contains(members, team) {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO inventory_members (organisation_id, team_id) VALUES (?, ?)`, orgID, team); err != nil {
		return err
	}
	return account.Audit(ctx, tx, tx.Author.Who, "inventory.member", orgID, "", "team "+team)
}

// Add saves a new item in the organisation's inventory, which owner
// (the adder's team, "" from the command line) keeps when it is new.
// An item already listed (same keys and version) is returned as it is.
func Add(ctx context.Context, tx *db.Tx, owner string, it *Item) (created bool, err error) {
	it.Normalise()
	if err := it.Validate(); err != nil {
		return false, err
	}
	if err := ensure(ctx, tx, it.OrganisationID, owner); err != nil {
		return false, fmt.Errorf("add to inventory: %w", err)
	}
	ids, err := db.Column[string](ctx, tx, `SELECT id FROM inventory_items WHERE organisation_id = ? AND vendor_key = ? AND product_key = ? AND version = ?`,
		it.OrganisationID, it.VendorKey, it.ProductKey, it.Version)
	if err != nil {
		return false, err
	}
	if len(ids) > 0 {
		it.ID = ids[0]
		return false, nil
	}
	it.ID, it.AddedBy, it.Created = trace.NewID("software"), tx.Author.Who, tx.Stamp()
	_, err = tx.Exec(ctx, `INSERT INTO inventory_items (id, organisation_id, vendor, product, version, cpe, vendor_key, product_key, added_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, it.ID, it.OrganisationID, it.Vendor, it.Product, it.Version, it.CPE, it.VendorKey, it.ProductKey,
		it.AddedBy, it.Created)
	if err != nil {
		return false, fmt.Errorf("add to inventory: %w", err)
	}
	return true, account.Audit(ctx, tx, tx.Author.Who, "inventory.add", it.OrganisationID, "", it.Vendor+" "+it.Product+" "+it.Version)
}

// Remove deletes item id of the organisation's inventory; the alerts it
// raised stay, with their history.
func Remove(ctx context.Context, tx *db.Tx, orgID, id string) error {
	res, err := tx.Exec(ctx, `DELETE FROM inventory_items WHERE id = ? AND organisation_id = ?`, id, orgID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("inventory item %s: %w", id, db.ErrNotFound)
	}
	return account.Audit(ctx, tx, tx.Author.Who, "inventory.remove", orgID, "", id)
}

// List returns the organisation's items by vendor and product.
func List(ctx context.Context, q db.Querier, orgID string) ([]Item, error) {
	rows, err := q.Query(ctx, `SELECT id, organisation_id, vendor, product, version, cpe, vendor_key, product_key, added_by, created_at
		FROM inventory_items WHERE organisation_id = ? ORDER BY vendor_key, product_key, version, id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list inventory: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.ID, &it.OrganisationID, &it.Vendor, &it.Product, &it.Version, &it.CPE, &it.VendorKey, &it.ProductKey,
			&it.AddedBy, &it.Created); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// ReadCSV reads items from CSV with a header row naming the columns
// vendor, product, version and cpe (any order, any case; version and cpe
// optional). Errors name the line.
func ReadCSV(r io.Reader, orgID string) ([]Item, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("inventory CSV: no header row: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	_, hasVendor := col["vendor"]
	_, hasProduct := col["product"]
	_, hasCPE := col["cpe"]
	if !hasCPE && (!hasVendor || !hasProduct) {
		return nil, errors.New("inventory CSV: the header must name vendor and product (or cpe)")
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	var out []Item
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("inventory CSV: %w", err)
		}
		it := Item{OrganisationID: orgID, Vendor: get(rec, "vendor"), Product: get(rec, "product"), Version: get(rec, "version"), CPE: get(rec, "cpe")}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		it.Normalise()
		if err := it.Validate(); err != nil {
			return nil, fmt.Errorf("inventory CSV, line %d: %w", line, err)
		}
		out = append(out, it)
	}
}

// Summary is an inventory as lists show it.
type Summary struct {
	OrganisationID string `json:"organisation_id"`
	Organisation   string `json:"organisation"`
	Items          int    `json:"items"`
	OpenAlerts     int    `json:"open_alerts"`
}

// Readable lists the inventories viewer v may read, by organisation name.
func Readable(ctx context.Context, q db.Querier, v access.Viewer) ([]Summary, error) {
	cond, args := v.InventoryCondition("inv")
	rows, err := q.Query(ctx, `SELECT inv.organisation_id, o.name,
		(SELECT COUNT(*) FROM inventory_items i WHERE i.organisation_id = inv.organisation_id),
		(SELECT COUNT(*) FROM alerts a WHERE a.organisation_id = inv.organisation_id AND a.state = 'open')
		FROM inventories inv JOIN organisations o ON o.id = inv.organisation_id WHERE `+cond+` ORDER BY o.name, inv.organisation_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list inventories: %w", err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var s Summary
		if err := rows.Scan(&s.OrganisationID, &s.Organisation, &s.Items, &s.OpenAlerts); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
