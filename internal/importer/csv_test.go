package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/importer"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/trace"
)

func revisionCount(t *testing.T, store *db.DB) int {
	t.Helper()
	var n int
	if err := store.QueryRow(context.Background(), `SELECT COUNT(*) FROM revisions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCSVReimportWritesNoRevision imports a tracker whose rows repeat a
// victim (once with its sector, once without) twice: the second import
// changes nothing and records no revision.
func TestCSVReimportWritesNoRevision(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		opts := importer.Options{Mapping: mapping(t, "testdata/csv/tracker-a.mapping.json")}
		if _, err := importFiles(t, store, opts, "testdata/csv/tracker-a.csv"); err != nil {
			t.Fatal(err)
		}
		before := revisionCount(t, store)
		sum, err := importFiles(t, store, opts, "testdata/csv/tracker-a.csv")
		if err != nil {
			t.Fatal(err)
		}
		if sum.Changed() {
			t.Errorf("re-import changed the store: %+v", sum.Counts)
		}
		if after := revisionCount(t, store); after != before {
			t.Errorf("re-import wrote %d revisions", after-before)
		}
	})
}

// TestCSVFilesKeepTheirOwnIDs imports two trackers whose id columns share
// values: each keeps its incidents.
func TestCSVFilesKeepTheirOwnIDs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		a := importer.Options{Mapping: mapping(t, "testdata/csv/tracker-a.mapping.json")}
		b := importer.Options{Mapping: mapping(t, "testdata/csv/tracker-b.mapping.json")}
		if _, err := importFiles(t, store, a, "testdata/csv/tracker-a.csv"); err != nil {
			t.Fatal(err)
		}
		sum, err := importFiles(t, store, b, "testdata/csv/tracker-b.csv")
		if err != nil {
			t.Fatal(err)
		}
		if c := sum.Counts["incidents"]; c == nil || c.Created != 2 || c.Updated != 0 {
			t.Errorf("second tracker: incidents %+v, want 2 created and none updated", c)
		}
		ids, err := trace.IncidentIDs(ctx, store)
		if err != nil || len(ids) != 5 {
			t.Errorf("%d incidents (%v), want 5", len(ids), err)
		}
		// The same file imported for a team is that team's set of records.
		teamA := a
		teamA.Owner = "team-a"
		if sum, err = importFiles(t, store, teamA, "testdata/csv/tracker-a.csv"); err != nil {
			t.Fatal(err)
		}
		if c := sum.Counts["incidents"]; c == nil || c.Created != 3 {
			t.Errorf("tracker for a team: incidents %+v, want 3 created", c)
		}
		// It cites the team's own copy of the dataset; the actors the first
		// import left in the public catalogue are amber, which the team
		// may not read, so it gets actors of its own.
		if c := sum.Counts["sources"]; c == nil || c.Created != 1 {
			t.Errorf("tracker for a team: sources %+v, want 1 created (the team's dataset)", c)
		}
		if c := sum.Counts["actors"]; c == nil || c.Created != 2 {
			t.Errorf("tracker for a team: actors %+v, want 2 of its own", c)
		}
	})
}

// TestCSVNamesActors reads the attacker columns of a tracker as
// attributions with their basis: an actor already stored (Storm-2603 of the
// threat-actor galaxy) is found by name, another is created.
func TestCSVNamesActors(t *testing.T) {
	store := dbtest.SQLite(t)
	if _, err := importFiles(t, store, importer.Options{TLP: "clear"}, "testdata/misp/threat-actor-sample.json"); err != nil {
		t.Fatal(err)
	}
	known, err := trace.FindByName(ctx, store, "actor", "Storm-2603")
	if err != nil || len(known) != 1 {
		t.Fatalf("the galaxy sample has Storm-2603 %v (%v)", known, err)
	}
	opts := importer.Options{Mapping: mapping(t, "testdata/csv/tracker-a.mapping.json")}
	sum, err := importFiles(t, store, opts, "testdata/csv/tracker-a.csv")
	if err != nil {
		t.Fatal(err)
	}
	if c := sum.Counts["actors"]; c == nil || c.Created != 1 {
		t.Errorf("actors %+v, want 1 created (Example Extortion Group; Storm-2603 is known)", c)
	}
	doc, err := interchange.Load(ctx, store, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var basis []string
	for _, a := range doc.Attributions {
		if a.ActorID == known[0] {
			basis = append(basis, a.AttributedBy+": "+a.Basis+" ("+a.Confidence+")")
		}
	}
	want := []string{"Hope Medical Mission: Ransom note and leak site post attributed to Storm-2603 (likely)",
		"Digital Rights Helpline: Phishing kit and wallet overlap (roughly-even-chance)"}
	if strings.Join(basis, "|") != strings.Join(want, "|") && strings.Join(basis, "|") != want[1]+"|"+want[0] {
		t.Errorf("Storm-2603's attributions = %q, want %q", basis, want)
	}
}

// TestCSVErrorsNameLineAndColumn checks that a bad cell is named by file,
// line and column, whether the reader or the record's validation finds it.
func TestCSVErrorsNameLineAndColumn(t *testing.T) {
	tests := []struct {
		file, mapping string
		want          []string
	}{
		{"testdata/csv/broken.csv", "testdata/csv/attacks.mapping.json", []string{"broken.csv: line 2, column 3 (\"Country\")", `field "country"`}},
		{"testdata/csv/broken-attribution.csv", "testdata/csv/tracker-a.mapping.json",
			[]string{"broken-attribution.csv: line 2, column 11 (\"Confidence\")", `field "confidence"`, `"sure"`}},
		{"testdata/csv/latin1.csv", "testdata/csv/tracker-b.mapping.json",
			[]string{"latin1.csv: line 2, column 15", "not UTF-8", "windows-1252"}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			store := dbtest.SQLite(t)
			_, err := importFiles(t, store, importer.Options{Mapping: mapping(t, tt.mapping)}, tt.file)
			if err == nil {
				t.Fatal("a broken file was accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if ids, _ := trace.IncidentIDs(ctx, store); len(ids) != 0 {
				t.Errorf("a failed import kept %d incidents", len(ids))
			}
		})
	}
}

// TestCSVDeclaredLatin1 reads a Windows-1252 file whose mapping says so:
// the accents arrive, and the summary says the file was converted.
func TestCSVDeclaredLatin1(t *testing.T) {
	store := dbtest.SQLite(t)
	sum, err := importFiles(t, store, importer.Options{Mapping: mapping(t, "testdata/csv/latin1-declared.mapping.json")}, "testdata/csv/latin1.csv")
	if err != nil {
		t.Fatal(err)
	}
	orgs, err := trace.ListOrganisations(ctx, store, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range orgs {
		names = append(names, o.Name)
	}
	if got := strings.Join(names, "|"); got != "Médecins du Monde Grèce|Società Solidale – Onlus" {
		t.Errorf("names = %q", got)
	}
	if len(sum.Warnings) == 0 || !strings.Contains(sum.Warnings[0], "Windows-1252") {
		t.Errorf("warnings = %q, want one that says the file was converted", sum.Warnings)
	}
}

// TestFieldLimits refuses a 20 MB description, in a CSV file (named by
// line and column) and in a STIX bundle (named by object and field), and
// imports nothing of the file.
func TestFieldLimits(t *testing.T) {
	dir := t.TempDir()
	huge := strings.Repeat("The attackers left a very long note. ", 20<<20/37)
	csvFile := filepath.Join(dir, "huge.csv")
	if err := os.WriteFile(csvFile, []byte("ID,Victim,Country,Type,Notes\n1,Clean Water Alliance,NG,DDoS,ok\n2,Community Radio Kivu,CD,DDoS,"+huge+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := mappingOf([]byte(`{"id_column": "ID", "source": {"title": "t"}, "columns": {"Victim": "organisation.name",
		"Country": "organisation.country", "Type": "incident.attack_types", "Notes": "incident.summary"}, "values": {"Type": {"DDoS": "ddos"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	stixFile := filepath.Join(dir, "huge.json")
	bundle := `{"type": "bundle", "id": "bundle--7b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c99", "objects": [{"type": "threat-actor", "spec_version": "2.1",
		"id": "threat-actor--7b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c98", "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
		"name": "Verbose Group", "description": "` + huge + `"}]}`
	if err := os.WriteFile(stixFile, []byte(bundle), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		file string
		opts importer.Options
		want []string
	}{
		{csvFile, importer.Options{Mapping: m}, []string{"huge.csv: line 3, column 5 (\"Notes\")", `field "summary"`, "at most"}},
		{stixFile, importer.Options{}, []string{"huge.json", "threat-actor--7b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c98", `field "description"`, "at most"}},
	} {
		store := dbtest.SQLite(t)
		_, err := importFiles(t, store, tt.opts, tt.file)
		if err == nil {
			t.Fatalf("%s: a 20 MB description was imported", tt.file)
		}
		msg := err.Error()
		if len(msg) > 2000 {
			t.Errorf("the error repeats the value: %d bytes", len(msg))
			msg = msg[:2000]
		}
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("error %q does not name %q", msg, w)
			}
		}
		if ids, _ := trace.IncidentIDs(ctx, store); len(ids) != 0 {
			t.Errorf("%s: a failed import kept %d incidents", tt.file, len(ids))
		}
	}
}

// TestSourcesMatchedByURL imports a STIX bundle citing an advisory, then a
// CSV file citing the same advisory by another spelling of its URL (http,
// www., a trailing slash, tracking parameters, a fragment): the advisory
// stays one source, which both incidents cite.
func TestSourcesMatchedByURL(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		if _, err := importFiles(t, store, importer.Options{TLP: "clear"}, "testdata/stix/hospital-incident.json"); err != nil {
			t.Fatal(err)
		}
		advisory, err := trace.FindSourceByURL(ctx, store, "https://cert.example.org/advisories/2024-07")
		if err != nil || advisory == "" {
			t.Fatalf("the bundle's advisory is not stored: %q, %v", advisory, err)
		}
		opts := importer.Options{Mapping: mapping(t, "testdata/csv/cert-advisories.mapping.json")}
		sum, err := importFiles(t, store, opts, "testdata/csv/cert-advisories.csv")
		if err != nil {
			t.Fatal(err)
		}
		if c := sum.Counts["sources"]; c == nil || c.Created != 1 {
			t.Errorf("sources %+v, want 1 created (the CSV's own dataset), the advisory re-used", c)
		}
		doc, err := interchange.Load(ctx, store, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		citing := 0
		for _, in := range doc.Incidents {
			for _, s := range in.SourceIDs {
				if s == advisory {
					citing++
				}
			}
		}
		// Deduplication then sees two records sharing a source, which it
		// proposes as a possible duplicate rather than merging.
		if citing != 2 {
			t.Errorf("%d incidents cite the advisory, want both", citing)
		}
		if id, _ := trace.FindSourceByURL(ctx, store, "https://www.cert.example.org/advisories/2024-07/"); id != advisory {
			t.Errorf("FindSourceByURL with another spelling = %q, want %q", id, advisory)
		}
	})
}
