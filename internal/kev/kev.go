// Package kev is CISA's catalog of Known Exploited Vulnerabilities (CC0,
// NOTICE.md): the version that ships inside the binary, the refresh from
// the catalog's own JSON (harmtrace import --format kev FILE), and the
// normalised vendor and product names that inventories are matched on.
package kev

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
)

//go:embed data/known_exploited_vulnerabilities.json.gz
var bundled []byte

// Catalog is the catalog as CISA publishes it.
type Catalog struct {
	Title           string          `json:"title"`
	Version         string          `json:"catalogVersion"`
	Released        string          `json:"dateReleased"`
	Count           int             `json:"count"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
}

// Vulnerability is one entry of the catalog.
type Vulnerability struct {
	CVE                string   `json:"cveID"`
	Vendor             string   `json:"vendorProject"`
	Product            string   `json:"product"`
	Name               string   `json:"vulnerabilityName"`
	DateAdded          string   `json:"dateAdded"`
	ShortDescription   string   `json:"shortDescription"`
	RequiredAction     string   `json:"requiredAction"`
	DueDate            string   `json:"dueDate"`
	KnownRansomwareUse string   `json:"knownRansomwareCampaignUse"`
	Notes              string   `json:"notes"`
	CWEs               []string `json:"cwes"`
}

// Ransomware reports whether the entry's use in ransomware campaigns is
// known.
func (v Vulnerability) Ransomware() bool { return v.KnownRansomwareUse == "Known" }

var (
	cvePattern  = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)
	datePattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// Detect reports whether data looks like the catalog.
func Detect(data []byte) bool {
	head := data[:min(len(data), 4096)]
	return bytes.Contains(head, []byte(`"catalogVersion"`)) && bytes.Contains(data[:min(len(data), 1<<16)], []byte(`"cveID"`))
}

// Parse reads and checks a catalog: a version, a release date, and every
// entry with a CVE id, a vendor, a product and its dates. The catalog's
// count must be its number of entries.
func Parse(data []byte) (*Catalog, error) {
	var c Catalog
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("KEV catalog: %w", err)
	}
	if c.Version == "" {
		return nil, errors.New("KEV catalog: no catalogVersion")
	}
	if _, err := time.Parse(time.RFC3339, c.Released); err != nil {
		return nil, fmt.Errorf("KEV catalog: dateReleased %q is no date-time", c.Released)
	}
	if c.Count != len(c.Vulnerabilities) {
		return nil, fmt.Errorf("KEV catalog %s: count says %d, the file lists %d", c.Version, c.Count, len(c.Vulnerabilities))
	}
	seen := map[string]bool{}
	for i := range c.Vulnerabilities {
		v := &c.Vulnerabilities[i]
		v.Vendor, v.Product = strings.TrimSpace(v.Vendor), strings.TrimSpace(v.Product)
		switch {
		case !cvePattern.MatchString(v.CVE):
			return nil, fmt.Errorf("KEV catalog, entry %d: cveID %q is no CVE id", i+1, v.CVE)
		case seen[v.CVE]:
			return nil, fmt.Errorf("KEV catalog: %s is listed twice", v.CVE)
		case v.Vendor == "" || v.Product == "":
			return nil, fmt.Errorf("KEV catalog, %s: no vendorProject or product", v.CVE)
		case !datePattern.MatchString(v.DateAdded) || !datePattern.MatchString(v.DueDate):
			return nil, fmt.Errorf("KEV catalog, %s: dateAdded and dueDate must be YYYY-MM-DD", v.CVE)
		}
		seen[v.CVE] = true
	}
	return &c, nil
}

// Bundled is the catalog that ships with harmtrace.
func Bundled() (*Catalog, error) {
	zr, err := gzip.NewReader(bytes.NewReader(bundled))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Info is a catalog version the store has loaded.
type Info struct {
	Version  string `json:"version"`
	Released string `json:"released"`
	Entries  int    `json:"entries"`
	Source   string `json:"source"`
	Imported string `json:"imported"`
}

// Result is what loading a catalog changed.
type Result struct {
	Version string
	// Added are the CVE ids the store did not have; Updated those whose
	// entry changed.
	Added, Updated []string
	Unchanged      int
	// Known is true when this version was loaded before (nothing to do).
	Known bool
}

// Save loads catalog c into the store: new entries are added (with the
// version that first listed them), changed ones updated, and the version
// recorded with its release date. A version loaded before changes nothing.
func Save(ctx context.Context, tx *db.Tx, c *Catalog, source string) (*Result, error) {
	res := &Result{Version: c.Version}
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM kev_catalogs WHERE version = ?`, c.Version).Scan(&n); err != nil {
		return nil, fmt.Errorf("save KEV catalog: %w", err)
	}
	if n > 0 {
		res.Known = true
		return res, nil
	}
	stored, err := storedEntries(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, v := range c.Vulnerabilities {
		vk := VendorKey(v.Vendor)
		row := []any{v.Vendor, v.Product, vk, ProductKey(vk, v.Product), v.Name, v.ShortDescription, v.RequiredAction,
			v.DueDate, v.DateAdded, v.KnownRansomwareUse, v.Notes, encodeCWEs(v.CWEs)}
		old, exists := stored[v.CVE]
		switch {
		case !exists:
			_, err = tx.Exec(ctx, `INSERT INTO kev_entries (vendor, product, vendor_key, product_key, name, short_description,
				required_action, due_date, date_added, known_ransomware_use, notes, cwes, cve, catalog_version)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(row, v.CVE, c.Version)...)
			res.Added = append(res.Added, v.CVE)
		case old != fingerprint(row):
			_, err = tx.Exec(ctx, `UPDATE kev_entries SET vendor = ?, product = ?, vendor_key = ?, product_key = ?, name = ?,
				short_description = ?, required_action = ?, due_date = ?, date_added = ?, known_ransomware_use = ?, notes = ?, cwes = ?
				WHERE cve = ?`, append(row, v.CVE)...)
			res.Updated = append(res.Updated, v.CVE)
		default:
			res.Unchanged++
		}
		if err != nil {
			return nil, fmt.Errorf("save KEV entry %s: %w", v.CVE, err)
		}
	}
	_, err = tx.Exec(ctx, `INSERT INTO kev_catalogs (version, released, entries, source, imported_at) VALUES (?, ?, ?, ?, ?)`,
		c.Version, c.Released, len(c.Vulnerabilities), source, tx.Stamp())
	if err != nil {
		return nil, fmt.Errorf("save KEV catalog: %w", err)
	}
	return res, nil
}

func encodeCWEs(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// fingerprint joins an entry's stored columns, to tell a changed entry.
func fingerprint(row []any) string {
	parts := make([]string, len(row))
	for i, v := range row {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, "\x1f")
}

func storedEntries(ctx context.Context, q db.Querier) (map[string]string, error) {
	rows, err := q.Query(ctx, `SELECT cve, vendor, product, vendor_key, product_key, name, short_description, required_action,
		due_date, date_added, known_ransomware_use, notes, cwes FROM kev_entries`)
	if err != nil {
		return nil, fmt.Errorf("read KEV entries: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var cve string
		cols := make([]string, 12)
		ptrs := []any{&cve}
		for i := range cols {
			ptrs = append(ptrs, &cols[i])
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]any, len(cols))
		for i, c := range cols {
			row[i] = c
		}
		out[cve] = fingerprint(row)
	}
	return out, rows.Err()
}

// Current is the newest catalog version loaded (by release date);
// db.ErrNotFound when none is.
func Current(ctx context.Context, q db.Querier) (*Info, error) {
	var i Info
	err := q.QueryRow(ctx, `SELECT version, released, entries, source, imported_at FROM kev_catalogs
		ORDER BY released DESC, version DESC LIMIT 1`).Scan(&i.Version, &i.Released, &i.Entries, &i.Source, &i.Imported)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("KEV catalog: %w", db.ErrNotFound)
	}
	return &i, err
}

// EnsureBundled loads the bundled catalog into a store that has none.
func EnsureBundled(ctx context.Context, store *db.DB) error {
	if _, err := Current(ctx, store); !errors.Is(err, db.ErrNotFound) {
		return err
	}
	c, err := Bundled()
	if err != nil {
		return err
	}
	return store.Write(ctx, db.Author{Who: "harmtrace", Why: "bundled KEV catalog " + c.Version}, func(tx *db.Tx) error {
		_, err := Save(ctx, tx, c, "bundled")
		return err
	})
}
