package importer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/importer"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/interchange/csvmap"
	"github.com/harmtrace/harmtrace/internal/interchange/stix"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var ctx = context.Background()

// importFiles imports files into store in one transaction.
func importFiles(t *testing.T, store *db.DB, opts importer.Options, files ...string) (*interchange.Summary, error) {
	t.Helper()
	sum := interchange.NewSummary()
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		for _, f := range files {
			if err := importer.File(ctx, tx, f, opts, sum, nil); err != nil {
				return err
			}
		}
		return nil
	})
	return sum, err
}

// snapshot is the store's content as harmtrace JSON without timestamps,
// plus the kept STIX objects: two stores with equal snapshots are equal.
func snapshot(t *testing.T, store *db.DB) []byte {
	t.Helper()
	doc, err := interchange.Load(ctx, store, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := interchange.EncodeNative(&buf, doc); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, v := range m {
		list, _ := v.([]any)
		for _, r := range list {
			if rec, ok := r.(map[string]any); ok {
				delete(rec, "created")
				delete(rec, "updated")
			}
		}
	}
	out, _ := json.MarshalIndent(m, "", "  ")
	return append(out, '\n')
}

func mappingOf(data []byte) (*csvmap.Mapping, error) { return csvmap.LoadMapping(data, "mapping.json") }

func mapping(t *testing.T, file string) *csvmap.Mapping {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m, err := csvmap.LoadMapping(data, file)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestGolden imports each real or realistic file of testdata into a fresh
// store and compares the store with its golden file.
func TestGolden(t *testing.T) {
	tests := []struct {
		name, format string
		files        []string
		tlp          string
		mapping      string
	}{
		{"stix-hospital-incident", "stix", []string{"testdata/stix/hospital-incident.json"}, "", ""},
		{"stix-attack-ics-sample", "stix", []string{"testdata/stix/attack-ics-sample.json"}, "clear", ""},
		{"stix-oasis-examples", "stix", []string{"testdata/stix/using-marking-definitions.json", "testdata/stix/identifying-a-threat-actor-profile.json",
			"testdata/stix/sighting-of-an-indicator.json", "testdata/stix/indicator-to-campaign-relationship.json"}, "", ""},
		{"misp-events", "misp", []string{"testdata/misp/misp_event.json", "testdata/misp/existing_event.json", "testdata/misp/victim-event.json"}, "", ""},
		{"misp-galaxy", "misp-galaxy", []string{"testdata/misp/threat-actor-sample.json"}, "", ""},
		{"veris", "veris", []string{"testdata/veris/clinic-ransomware.json", "testdata/veris/ngo-inconsistent.JSON", "testdata/veris/lost-laptop.json"}, "clear", ""},
		{"hhs-ocr", "hhs-ocr", []string{"testdata/hhs/breach_report_sample.csv"}, "clear", ""},
		{"csv-mapping", "csv", []string{"testdata/csv/attacks.csv"}, "", "testdata/csv/attacks.mapping.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := dbtest.SQLite(t)
			opts := importer.Options{TLP: "amber"}
			if tt.tlp != "" {
				opts.TLP = tt.tlp
			}
			if tt.mapping != "" {
				opts.Mapping = mapping(t, tt.mapping)
			}
			for _, f := range tt.files {
				data, _ := os.ReadFile(f)
				if got := importer.Detect(data); got != tt.format && tt.format != "csv" {
					t.Errorf("Detect(%s) = %q, want %q", f, got, tt.format)
				}
			}
			if _, err := importFiles(t, store, opts, tt.files...); err != nil {
				t.Fatal(err)
			}
			got := snapshot(t, store)
			golden := filepath.Join("testdata", "golden", tt.name+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("store differs from %s; run go test -update and review the diff", golden)
			}
			// Importing the same files again changes nothing.
			sum, err := importFiles(t, store, opts, tt.files...)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Changed() {
				t.Errorf("re-import changed the store: %+v", sum.Counts)
			}
		})
	}
}

// TestBrokenInputs checks that a bad file is refused with its file, record
// and field named, and that nothing of the import is kept.
func TestBrokenInputs(t *testing.T) {
	tests := []struct {
		file    string
		format  string
		mapping string
		want    []string
	}{
		{"testdata/stix/broken-id.json", "", "", []string{"broken-id.json", "objects[0]", `field "id"`}},
		{"testdata/stix/broken-date.json", "", "", []string{"broken-date.json", "campaign--1e6a9b0e-7d5a-4b8e-9c1a-2f3b4c5d6e16", `field "first_seen"`}},
		{"testdata/stix/broken-determination.json", "", "", []string{"broken-determination.json", "incident--7b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3cfe",
			`field "extensions.extension-definition--ef765651-680c-498d-9894-99799f2fa126.determination"`, `"maybe"`}},
		{"testdata/stix/broken-latin1.json", "", "", []string{"broken-latin1.json", "line 3, column 20", "not UTF-8", "--encoding windows-1252"}},
		{"testdata/misp/broken-uuid.json", "misp", "", []string{"broken-uuid.json", `field "uuid"`}},
		{"testdata/veris/broken-date.json", "", "", []string{"broken-date.json", "3c1f0a2e-9b7d-4e6a-8f5c-1d2e3f4a5b64", `field "timeline.incident"`}},
		{"testdata/hhs/broken-count.csv", "", "", []string{"broken-count.csv", "line 3", `field "Individuals Affected"`}},
		{"testdata/csv/broken.csv", "csv", "testdata/csv/attacks.mapping.json", []string{"broken.csv", `field "country"`}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			store := dbtest.SQLite(t)
			opts := importer.Options{Format: tt.format, TLP: "amber"}
			if tt.mapping != "" {
				opts.Mapping = mapping(t, tt.mapping)
			}
			// A good file first, in the same transaction: it must be rolled back too.
			_, err := importFiles(t, store, importer.Options{TLP: "clear"}, "testdata/hhs/breach_report_sample.csv")
			if err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, store)
			sum := interchange.NewSummary()
			err = store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
				if err := importer.File(ctx, tx, "testdata/veris/clinic-ransomware.json", importer.Options{TLP: "clear"}, sum, nil); err != nil {
					return err
				}
				return importer.File(ctx, tx, tt.file, opts, sum, nil)
			})
			if err == nil {
				t.Fatal("a broken file was accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if !bytes.Equal(before, snapshot(t, store)) {
				t.Error("a failed import changed the store")
			}
		})
	}
}

// TestSTIXRoundTrip imports STIX, exports it, imports the export into a
// fresh store and expects the same store, with every imported id kept.
func TestSTIXRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, first *db.DB) {
		files := []string{"testdata/stix/hospital-incident.json", "testdata/stix/attack-ics-sample.json",
			"testdata/stix/using-marking-definitions.json", "testdata/stix/sighting-of-an-indicator.json"}
		if _, err := importFiles(t, first, importer.Options{TLP: "green"}, files...); err != nil {
			t.Fatal(err)
		}
		exported := exportSTIX(t, first, "")
		path := filepath.Join(t.TempDir(), "export.json")
		if err := os.WriteFile(path, exported, 0o644); err != nil {
			t.Fatal(err)
		}
		second := dbtest.SQLite(t)
		if _, err := importFiles(t, second, importer.Options{TLP: "green"}, path); err != nil {
			t.Fatal(err)
		}
		a, b := modelled(t, first), modelled(t, second)
		if !bytes.Equal(a, b) {
			t.Fatalf("the round trip changed the records: %s", firstDiff(a, b))
		}
		for _, f := range files {
			for _, id := range stixIDs(t, f) {
				if !bytes.Contains(exported, []byte(`"`+id+`"`)) {
					t.Errorf("id %s of %s is missing from the export", id, f)
				}
			}
		}
	})
}

// modelled is the snapshot of the records alone, and of the kept objects'
// ids: the bodies of kept objects gain spec_version and TLP 2.0 ids on
// export, which is the point of the export.
func modelled(t *testing.T, store *db.DB) []byte {
	var m map[string]any
	if err := json.Unmarshal(snapshot(t, store), &m); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range m["stix_objects"].([]any) {
		ids = append(ids, o.(map[string]any)["id"].(string))
	}
	m["stix_objects"] = ids
	out, _ := json.MarshalIndent(m, "", " ")
	return out
}

func stixIDs(t *testing.T, file string) []string {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Objects []struct {
			ID string `json:"id"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range b.Objects {
		if !strings.HasPrefix(o.ID, "marking-definition--") {
			ids = append(ids, o.ID)
		}
	}
	return ids
}

func exportSTIX(t *testing.T, store *db.DB, tlp string) []byte {
	t.Helper()
	doc, err := interchange.Load(ctx, store, tlp, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := stix.Write(&buf, doc, tlp); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestExportTLPClearShowsOnlyClear imports a clear and an amber incident and
// checks that the published export names neither the amber incident nor
// its victim, in any format.
func TestExportTLPClearShowsOnlyClear(t *testing.T) {
	store := dbtest.SQLite(t)
	if _, err := importFiles(t, store, importer.Options{TLP: "amber"}, "testdata/veris/ngo-inconsistent.JSON"); err != nil {
		t.Fatal(err)
	}
	if _, err := importFiles(t, store, importer.Options{TLP: "clear"}, "testdata/veris/clinic-ransomware.json"); err != nil {
		t.Fatal(err)
	}
	doc, err := interchange.Load(ctx, store, "clear", nil)
	if err != nil {
		t.Fatal(err)
	}
	var csvOut, jsonOut bytes.Buffer
	if err := interchange.WriteCSV(&csvOut, doc); err != nil {
		t.Fatal(err)
	}
	if err := interchange.WriteJSONLines(&jsonOut, doc); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string][]byte{"stix": exportSTIX(t, store, "clear"), "csv": csvOut.Bytes(), "json": jsonOut.Bytes()} {
		if !bytes.Contains(out, []byte("Riverside Community Clinic")) {
			t.Errorf("%s export lacks the clear incident's victim", name)
		}
		for _, secret := range []string{"Helping Hands International", "3c1f0a2e-9b7d-4e6a-8f5c-1d2e3f4a5b62", "Donor database"} {
			if bytes.Contains(bytes.ToLower(out), bytes.ToLower([]byte(secret))) {
				t.Errorf("%s export with --tlp clear leaks %q", name, secret)
			}
		}
	}
}

// TestDeduplication imports the same attack from two datasets: the second
// is merged into the first with both sources, and the report counts the
// people once; a distant second attack on the same victim is only proposed.
func TestDeduplication(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		if _, err := importFiles(t, store, importer.Options{TLP: "clear"}, "testdata/veris/clinic-ransomware.json"); err != nil {
			t.Fatal(err)
		}
		sum, err := importFiles(t, store, importer.Options{}, "testdata/dedup/clinic-news.json")
		if err != nil {
			t.Fatal(err)
		}
		if sum.Merged != 1 || sum.PossibleDuplicates != 1 {
			t.Fatalf("merged %d, possible %d; want 1 and 1", sum.Merged, sum.PossibleDuplicates)
		}
		doc, err := interchange.Load(ctx, store, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(doc.Incidents) != 2 {
			t.Fatalf("%d incidents, want 2 (one merged, one kept apart)", len(doc.Incidents))
		}
		merged := doc.Incidents[0]
		if merged.ID != "incident--3c1f0a2e-9b7d-4e6a-8f5c-1d2e3f4a5b61" || len(merged.SourceIDs) != 3 {
			t.Errorf("merged incident = %s with sources %v; want the VERIS id with 3 sources", merged.ID, merged.SourceIDs)
		}
		pairs, err := interchange.Duplicates(ctx, store, "open")
		if err != nil || len(pairs) != 1 {
			t.Fatalf("duplicates = %v, %v", pairs, err)
		}
		// Re-importing the news changes nothing: the merged id is remembered.
		sum, err = importFiles(t, store, importer.Options{}, "testdata/dedup/clinic-news.json")
		if err != nil || sum.Changed() {
			t.Fatalf("re-import: %+v, %v", sum.Counts, err)
		}
	})
}

// firstDiff shows the first line where a and b differ, with context.
func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			from := max(0, i-3)
			return fmt.Sprintf("line %d\nbefore:\n%s\nafter:\n%s", i+1,
				strings.Join(al[from:min(len(al), i+3)], "\n"), strings.Join(bl[from:min(len(bl), i+3)], "\n"))
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(al), len(bl))
}

// TestVCDBSample imports the real VERIS Community Database records of the
// shared data folder, when it is there: three cyberattacks, one error and
// one physical theft skipped.
func TestVCDBSample(t *testing.T) {
	dir := "../../../shared/data/vcdb-sample"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s not found: it sits beside the checkout for developers and CI", dir)
	}
	store := dbtest.SQLite(t)
	files, err := importer.ExpandFolders([]string{dir})
	if err != nil || len(files) != 5 {
		t.Fatalf("files = %v, %v; want the 5 records, .json and .JSON", files, err)
	}
	sum, err := importFiles(t, store, importer.Options{TLP: "clear"}, files...)
	if err != nil {
		t.Fatal(err)
	}
	if c := sum.Counts["incidents"]; c == nil || c.Created != 3 {
		t.Errorf("incidents = %+v, want 3 created", c)
	}
	skipped := 0
	for _, n := range sum.Skipped {
		skipped += n
	}
	if skipped != 2 {
		t.Errorf("skipped = %v, want 2 (an error and a physical theft)", sum.Skipped)
	}
}
