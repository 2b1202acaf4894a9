package backup

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/importer"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/seed"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// BenchmarkBackup measures backup and restore of the bundled open data
// and of synthetic incidents (100,000 by default, HARMTRACE_BENCH_INCIDENTS
// to change), each against a baseline measured in the same run: the backup
// against `harmtrace export --format harmtrace` of the same store (time
// and size), the restore against importing that export into an empty store
// of the same engine. Run it once:
//
//	go test -run '^$' -bench Backup -benchtime 1x -timeout 60m ./internal/backup
func BenchmarkBackup(b *testing.B) {
	n := 100_000
	if v := os.Getenv("HARMTRACE_BENCH_INCIDENTS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	data := map[string]func(b *testing.B, store *db.DB){
		"seed": func(b *testing.B, store *db.DB) {
			if _, err := seed.Load(context.Background(), store, nil); err != nil {
				b.Fatal(err)
			}
		},
		fmt.Sprintf("%d-incidents", n): func(b *testing.B, store *db.DB) { synthetic(b, store, n) },
	}
	for _, name := range []string{"seed", fmt.Sprintf("%d-incidents", n)} {
		b.Run(name, func(b *testing.B) {
			source := dbtest.SQLite(b)
			data[name](b, source)
			for range b.N {
				measure(b, source)
			}
		})
	}
}

func measure(b *testing.B, source *db.DB) {
	ctx := context.Background()
	b.StopTimer()
	clock := func(fn func() error) float64 {
		start := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		return time.Since(start).Seconds()
	}
	var backupFile, exportFile bytes.Buffer
	var m *Manifest
	backupTime := clock(func() (err error) { m, err = Write(ctx, source, &backupFile, Options{}); return err })
	exportTime := clock(func() error {
		doc, err := interchange.Load(ctx, source, "", nil)
		if err != nil {
			return err
		}
		return interchange.EncodeNative(&exportFile, doc)
	})
	b.ReportMetric(backupTime, "backup-s")
	b.ReportMetric(backupTime/exportTime, "backup/export-time")
	b.ReportMetric(float64(backupFile.Len())/1e6, "backup-MB")
	b.ReportMetric(float64(backupFile.Len())/float64(exportFile.Len()), "backup/export-size")
	b.ReportMetric(float64(m.Rows()), "rows")
	for _, engine := range []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"sqlite", dbtest.SQLite}, {"postgres", dbtest.Postgres}} {
		into, baseline := engine.open(b), engine.open(b)
		restoreTime := clock(func() error {
			zr, err := zip.NewReader(bytes.NewReader(backupFile.Bytes()), int64(backupFile.Len()))
			if err != nil {
				return err
			}
			_, err = Restore(ctx, into, zr, RestoreOptions{})
			return err
		})
		importTime := clock(func() error {
			sum := interchange.NewSummary()
			doc, err := importer.Decode(exportFile.Bytes(), "export.json", "harmtrace", importer.Options{}, sum)
			if err != nil {
				return err
			}
			return baseline.Write(ctx, db.Author{Who: "bench"}, func(tx *db.Tx) error {
				return interchange.Write(ctx, tx, "export.json", doc, sum, nil)
			})
		})
		b.ReportMetric(restoreTime, "restore-"+engine.name+"-s")
		b.ReportMetric(restoreTime/importTime, "restore/import-"+engine.name+"-time")
	}
}

// synthetic saves n incidents through the store's own code (validation,
// revisions, search, aggregates), a thousand per transaction, each with a
// source, a victim and a harm figure.
func synthetic(b *testing.B, store *db.DB, n int) {
	ctx := context.Background()
	for start := 0; start < n; start += 1000 {
		err := store.Write(ctx, db.Author{Who: "bench", Why: "synthetic incidents"}, func(tx *db.Tx) error {
			for i := start; i < min(n, start+1000); i++ {
				src := &trace.Source{URL: fmt.Sprintf("https://example.org/%d", i), Kind: "news"}
				if _, err := trace.SaveSource(ctx, tx, src); err != nil {
					return err
				}
				org := &trace.Organisation{Name: fmt.Sprintf("Organisation %d", i%5000), Kind: "ngo", Country: "FR"}
				if _, err := trace.SaveOrganisation(ctx, tx, org); err != nil {
					return err
				}
				in := &trace.Incident{Title: fmt.Sprintf("Incident %d", i), AttackTypes: []string{"ransomware"},
					Determination: "confirmed", Start: "2024-01-02", Countries: []string{"FR"}, SourceIDs: []string{src.ID},
					Victims: []trace.Victim{{OrganisationID: org.ID, Role: "victim"}}}
				in.TLP = "clear"
				if _, err := trace.SaveIncident(ctx, tx, in); err != nil {
					return err
				}
				h := &harm.Harm{IncidentID: in.ID, Indicator: "people-affected", Min: harm.Exact(int64(i)), Max: harm.Exact(int64(i)),
					SourceIDs: []string{src.ID}}
				if _, err := harm.Save(ctx, tx, h); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
