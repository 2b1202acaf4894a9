package backup

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/importer"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/seed"
	"github.com/harmtrace/harmtrace/internal/stats"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// BenchmarkBackup measures backup and restore of the bundled open data
// and of synthetic incidents (100,000 by default, HARMTRACE_BENCH_INCIDENTS
// to change), each against baselines measured in the same run: the backup
// against `harmtrace export --format harmtrace` of the same store (time and
// size), the restore against a bare copy of the same rows, table by table,
// with one prepared INSERT a row in one transaction, into an empty store of
// the same engine (HARMTRACE_BENCH_IMPORT=1 adds importing the export, the
// way to move data before backups, slow at 100,000 incidents). Run it once:
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
		into := engine.open(b)
		restoreTime := clock(func() error {
			zr, err := zip.NewReader(bytes.NewReader(backupFile.Bytes()), int64(backupFile.Len()))
			if err != nil {
				return err
			}
			_, err = Restore(ctx, into, zr, RestoreOptions{})
			return err
		})
		importExport := func() error {
			baseline := engine.open(b)
			sum := interchange.NewSummary()
			doc, err := importer.Decode(exportFile.Bytes(), "export.json", "harmtrace", importer.Options{}, sum)
			if err != nil {
				return err
			}
			return baseline.Write(ctx, db.Author{Who: "bench"}, func(tx *db.Tx) error {
				return interchange.Write(ctx, tx, "export.json", doc, sum, nil)
			})
		}
		copyTime := clock(func() error { return bareCopy(ctx, source, engine.open(b)) })
		b.ReportMetric(restoreTime, "restore-"+engine.name+"-s")
		b.ReportMetric(restoreTime/copyTime, "restore/bare-copy-"+engine.name+"-time")
		if os.Getenv("HARMTRACE_BENCH_IMPORT") == "1" {
			b.ReportMetric(restoreTime/clock(importExport), "restore/import-"+engine.name+"-time")
		}
		b.Logf("%s: restore %.2fs, bare copy %.2fs", engine.name, restoreTime, copyTime)
	}
}

// bareCopy copies every table of from into the empty store to, row by row
// with one prepared INSERT each, in one transaction: the least a restore
// must do.
func bareCopy(ctx context.Context, from, to *db.DB) error {
	ts, err := tables(ctx, from)
	if err != nil {
		return err
	}
	return to.Write(ctx, db.Author{Who: "bench"}, func(tx *db.Tx) error {
		if err := wipe(ctx, tx, ts); err != nil {
			return err
		}
		for _, t := range ts {
			cols := make([]string, len(t.columns))
			for i, c := range t.columns {
				cols[i] = quoteIdent(c.Name)
			}
			st, err := tx.Prepare(ctx, "INSERT INTO "+quoteIdent(t.name)+" ("+strings.Join(cols, ", ")+") VALUES ("+db.Placeholders(len(cols))+")")
			if err != nil {
				return err
			}
			rows, err := from.Query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+quoteIdent(t.name))
			if err != nil {
				return err
			}
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					rows.Close()
					return err
				}
				for i, c := range t.columns { // SQLite keeps booleans as 0 and 1
					if v, ok := vals[i].(int64); ok && c.Type == Boolean {
						vals[i] = v != 0
					}
				}
				if _, err := st.ExecContext(ctx, vals...); err != nil {
					rows.Close()
					return err
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
}

// synthetic writes n incidents with bare SQL, as the store's code would
// have saved them: each with a victim among n/10 organisations, a source
// among n/10, an attack type, a country, its search row, a harm figure,
// and a creation revision of every record (the changes as revision.Diff
// gives them); then the aggregates. Saving them through the store's code
// takes half an hour at 100,000; the rows are the same kind.
func synthetic(b *testing.B, store *db.DB, n int) {
	ctx := context.Background()
	const at = "2026-01-02T03:04:05.000000Z"
	err := store.Write(ctx, db.Author{Who: "bench", Why: "synthetic incidents"}, func(tx *db.Tx) error {
		exec := func(q string, args ...any) error { _, err := tx.Exec(ctx, q, args...); return err }
		created := func(kind, id string, rec any) error {
			fields, err := revision.Fields(rec)
			if err != nil {
				return err
			}
			changes, err := json.Marshal(revision.Diff(nil, fields))
			if err != nil {
				return err
			}
			return exec(`INSERT INTO revisions (record_kind, record_id, action, author, reason, changes, created_at)
				VALUES (?, ?, 'create', 'bench', 'synthetic incidents', ?, ?)`, kind, id, string(changes), at)
		}
		for i := range max(n/10, 1) {
			org := trace.Organisation{ID: trace.DerivedID("identity", strconv.Itoa(i)), Name: fmt.Sprintf("Organisation %d", i), Kind: "ngo",
				Sector: "Health", Country: "FR"}
			src := trace.Source{ID: trace.DerivedID("source", strconv.Itoa(i)), URL: fmt.Sprintf("https://example.org/news/%d", i), Kind: "news"}
			org.TLP, src.TLP = "clear", "clear"
			if err := exec(`INSERT INTO organisations (id, name, kind, sector, country, tlp, created_at, updated_at) VALUES (?, ?, 'ngo', 'Health', 'FR', 'clear', ?, ?)`,
				org.ID, org.Name, at, at); err != nil {
				return err
			}
			if err := exec(`INSERT INTO sources (id, url, title, kind, tlp, created_at, updated_at) VALUES (?, ?, '', 'news', 'clear', ?, ?)`,
				src.ID, src.URL, at, at); err != nil {
				return err
			}
			if err := created("organisation", org.ID, org); err != nil {
				return err
			}
			if err := created("source", src.ID, src); err != nil {
				return err
			}
		}
		for i := range n {
			org, src := trace.DerivedID("identity", strconv.Itoa(i%max(n/10, 1))), trace.DerivedID("source", strconv.Itoa(i%max(n/10, 1)))
			in := trace.Incident{ID: trace.DerivedID("incident", strconv.Itoa(i)), Title: fmt.Sprintf("Ransomware at organisation %d", i),
				Summary: "Files encrypted and a ransom note left; services down for a week.", AttackTypes: []string{"ransomware"},
				Determination: "confirmed", Start: trace.Date(fmt.Sprintf("%04d-%02d", 2010+i%16, 1+i%12)), Countries: []string{"FR"},
				Victims: []trace.Victim{{OrganisationID: org, Role: "victim"}}, SourceIDs: []string{src}}
			in.TLP = "clear"
			h := harm.Harm{ID: trace.DerivedID("impact", strconv.Itoa(i)), IncidentID: in.ID, Indicator: "people-affected",
				Min: harm.Exact(int64(i)), Max: harm.Exact(int64(i)), SourceIDs: []string{src}}
			for _, st := range []struct {
				q    string
				args []any
			}{
				{`INSERT INTO incidents (id, title, summary, determination, start_date, tlp, created_at, updated_at) VALUES (?, ?, ?, 'confirmed', ?, 'clear', ?, ?)`,
					[]any{in.ID, in.Title, in.Summary, string(in.Start), at, at}},
				{`INSERT INTO incident_attack_types (incident_id, attack_type) VALUES (?, 'ransomware')`, []any{in.ID}},
				{`INSERT INTO incident_countries (incident_id, country) VALUES (?, 'FR')`, []any{in.ID}},
				{`INSERT INTO incident_victims (incident_id, organisation_id, role) VALUES (?, ?, 'victim')`, []any{in.ID, org}},
				{`INSERT INTO incident_sources (incident_id, source_id) VALUES (?, ?)`, []any{in.ID, src}},
				{`INSERT INTO incident_search (id, body) VALUES (?, ?)`, []any{in.ID, in.Title + " " + in.Summary}},
				{`INSERT INTO harms (id, incident_id, category, indicator, min_value, max_value, unit, certainty, created_at, updated_at)
					VALUES (?, ?, 'social-societal', 'people-affected', ?, ?, 'people', 'reported', ?, ?)`, []any{h.ID, in.ID, i, i, at, at}},
				{`INSERT INTO harm_sources (harm_id, source_id) VALUES (?, ?)`, []any{h.ID, src}},
			} {
				if err := exec(st.q, st.args...); err != nil {
					return err
				}
			}
			if err := created("incident", in.ID, in); err != nil {
				return err
			}
			if err := created("harm", h.ID, h); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := stats.Rebuild(ctx, store); err != nil {
		b.Fatal(err)
	}
}
