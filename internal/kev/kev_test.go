package kev_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/kev"
)

// TestBundledCatalog checks the catalog that ships: its version, and that
// its count is its number of entries (Parse refuses a file where they
// differ).
func TestBundledCatalog(t *testing.T) {
	c, err := kev.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != "2025.08.25" || c.Count != len(c.Vulnerabilities) || c.Count != 1404 {
		t.Fatalf("bundled catalog %s with %d entries (count %d)", c.Version, len(c.Vulnerabilities), c.Count)
	}
	ransomware := 0
	for _, v := range c.Vulnerabilities {
		if v.Ransomware() {
			ransomware++
		}
	}
	t.Logf("KEV %s: %d entries, %d with known ransomware use", c.Version, len(c.Vulnerabilities), ransomware)
}

func TestParseRefuses(t *testing.T) {
	good := `{"catalogVersion": "1", "dateReleased": "2025-01-01T00:00:00Z", "count": 1, "vulnerabilities": [
		{"cveID": "CVE-2025-0001", "vendorProject": "V", "product": "P", "dateAdded": "2025-01-01", "dueDate": "2025-01-22"}]}`
	if _, err := kev.Parse([]byte(good)); err != nil {
		t.Fatalf("good catalog: %v", err)
	}
	for name, bad := range map[string]string{
		"count":   `{"catalogVersion": "1", "dateReleased": "2025-01-01T00:00:00Z", "count": 2, "vulnerabilities": []}`,
		"version": `{"dateReleased": "2025-01-01T00:00:00Z", "count": 0, "vulnerabilities": []}`,
		"cve": `{"catalogVersion": "1", "dateReleased": "2025-01-01T00:00:00Z", "count": 1, "vulnerabilities": [
			{"cveID": "CVE-1", "vendorProject": "V", "product": "P", "dateAdded": "2025-01-01", "dueDate": "2025-01-22"}]}`,
		"date": `{"catalogVersion": "1", "dateReleased": "2025-01-01T00:00:00Z", "count": 1, "vulnerabilities": [
			{"cveID": "CVE-2025-0001", "vendorProject": "V", "product": "P", "dateAdded": "1/1/2025", "dueDate": "2025-01-22"}]}`,
		"not json": `{"catalogVersion": `,
	} {
		if _, err := kev.Parse([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestNames(t *testing.T) {
	for _, tt := range []struct{ vendor, product, vk, pk string }{
		{"Microsoft", "Exchange Server", "microsoft", "exchangeserver"},
		{"Microsoft Corporation", "Microsoft Exchange Server 2019", "microsoft", "exchangeserver"},
		{"MS", "exchange", "microsoft", "exchangeserver"},
		{"msft", "MS Exchange", "microsoft", "exchangeserver"},
		{"D-Link", "DIR-859 Router", "dlink", "dir859router"},
		{"dlink", "dir 859 router", "dlink", "dir859router"},
		{"Apache Software Foundation", "Struts 2", "apache", "struts2"},
		{"Hewlett Packard (HP)", "Data Protector", "hewlettpackard", "dataprotector"},
		{"HPE", "data-protector", "hewlettpackard", "dataprotector"},
		{"Fortinet, Inc.", "FortiOS", "fortinet", "fortios"},
		{"Zoho Corp", "ManageEngine", "zoho", "manageengine"},
	} {
		vk := kev.VendorKey(tt.vendor)
		if pk := kev.ProductKey(vk, tt.product); vk != tt.vk || pk != tt.pk {
			t.Errorf("%q %q: %q %q, want %q %q", tt.vendor, tt.product, vk, pk, tt.vk, tt.pk)
		}
	}
}

func TestParseCPE(t *testing.T) {
	for _, tt := range []struct {
		in              string
		vendor, product string
		ok              bool
	}{
		{"cpe:2.3:a:microsoft:exchange_server:2019:cumulative_update_12:*:*:*:*:*:*", "microsoft", "exchange server", true},
		{"cpe:/a:apache:http_server:2.4.49", "apache", "http server", true},
		{`cpe:2.3:a:vendor\:x:prod:1:*:*:*:*:*:*:*`, "vendor:x", "prod", true},
		{"cpe:2.3:a:*:*:*", "", "", false},
		{"microsoft exchange", "", "", false},
	} {
		c, ok := kev.ParseCPE(tt.in)
		if ok != tt.ok || (ok && (c.Vendor != tt.vendor || c.Product != tt.product)) {
			t.Errorf("%q: %+v %v", tt.in, c, ok)
		}
	}
}

// TestSaveVersions loads the bundled catalog, then a newer version with
// one entry more and one changed: the version and date are recorded, only
// the new and changed entries are written, and a version loaded twice
// changes nothing.
func TestSaveVersions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		if err := kev.EnsureBundled(ctx, store); err != nil {
			t.Fatal(err)
		}
		cur, err := kev.Current(ctx, store)
		if err != nil || cur.Version != "2025.08.25" || cur.Entries != 1404 || cur.Source != "bundled" {
			t.Fatalf("current: %+v %v", cur, err)
		}
		next := Next(t)
		var res *kev.Result
		err = store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
			res, err = kev.Save(ctx, tx, next, "next.json")
			return err
		})
		if err != nil || len(res.Added) != 1 || len(res.Updated) != 1 || res.Unchanged != 1403 {
			t.Fatalf("next: %+v %v", res, err)
		}
		if cur, _ := kev.Current(ctx, store); cur.Version != "2025.09.01" || cur.Released != next.Released {
			t.Fatalf("current after the refresh: %+v", cur)
		}
		err = store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
			res, err = kev.Save(ctx, tx, next, "next.json")
			return err
		})
		if err != nil || !res.Known || len(res.Added) != 0 {
			t.Fatalf("again: %+v %v", res, err)
		}
	})
}

// Next is the bundled catalog as a later version: a new Exchange Server
// entry (known ransomware use) and the first entry's notes changed.
func Next(t testing.TB) *kev.Catalog {
	t.Helper()
	c, err := kev.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(c)
	var next kev.Catalog
	_ = json.Unmarshal(data, &next)
	next.Version, next.Released = "2025.09.01", "2025-09-01T12:00:00.000Z"
	next.Vulnerabilities[0].Notes += " (updated)"
	next.Vulnerabilities = append(next.Vulnerabilities, kev.Vulnerability{CVE: "CVE-2025-99999", Vendor: "Microsoft", Product: "Exchange Server",
		Name: "Microsoft Exchange Server Test Vulnerability", DateAdded: "2025-09-01", DueDate: "2025-09-22", KnownRansomwareUse: "Known",
		ShortDescription: "A test entry.", RequiredAction: "Apply updates per vendor instructions."})
	next.Count = len(next.Vulnerabilities)
	return &next
}
