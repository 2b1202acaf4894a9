package backup

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/alert"
	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/evidence"
	"github.com/harmtrace/harmtrace/internal/importer"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/interchange/csvmap"
	"github.com/harmtrace/harmtrace/internal/inventory"
	"github.com/harmtrace/harmtrace/internal/kev"
	"github.com/harmtrace/harmtrace/internal/keys"
	"github.com/harmtrace/harmtrace/internal/outbox"
	"github.com/harmtrace/harmtrace/internal/outbox/outboxtest"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/retarget"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/suggest"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/treaty"
	"github.com/harmtrace/harmtrace/internal/volunteer"
)

// fill puts rows in every table through the features' own code: imports of
// every format, accounts, sessions and tokens, a profile, a suggestion, a
// merged duplicate, a shared incident, a victim's case with its notes,
// messages, file, tasks and timeline, evidence in the locker of dataDir
// (whose keys ring holds), and the prevention's records.
func fill(t *testing.T, store *db.DB, ring *keys.Ring, dataDir string) filled {
	t.Helper()
	ctx := context.Background()
	files := []string{"stix/civil-society-threats.json", "stix/hospital-incident.json", "stix/attack-ics-sample.json",
		"misp/misp_event.json", "misp/threat-actor-sample.json", "veris/clinic-ransomware.json", "hhs/breach_report_sample.csv",
		"dedup/clinic-news.json"}
	sum := interchange.NewSummary()
	mapData, err := os.ReadFile("../importer/testdata/csv/attacks.mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	mapping, err := csvmap.LoadMapping(mapData, "attacks.mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	var user *account.User
	err = store.Write(ctx, db.Author{Who: "test", Why: "fill every table"}, func(tx *db.Tx) error {
		for _, f := range files {
			if err := importer.File(ctx, tx, "../importer/testdata/"+f, importer.Options{TLP: "clear"}, sum, nil); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
		}
		if err := importer.File(ctx, tx, "../importer/testdata/csv/attacks.csv", importer.Options{Format: "csv", Mapping: mapping, TLP: "green"}, sum, nil); err != nil {
			return err
		}
		var err error
		if user, _, err = account.AddUser(ctx, tx, "analyst@cert.example", "analyst", "Health CERT", "a long enough password 1"); err != nil {
			return err
		}
		if _, err := account.NewSession(ctx, tx, user, "192.0.2.1"); err != nil {
			return err
		}
		if _, err := account.NewToken(ctx, tx, user.Email, "viewer", "feed"); err != nil {
			return err
		}
		if err := account.Audit(ctx, tx, user.Email, "sign-in", "", "192.0.2.1", "é \"quoted\"\n\ttab"); err != nil {
			return err
		}
		profile, err := treaty.GetProfile(ctx, tx, "FR")
		if err != nil {
			return err
		}
		profile.RightsAssessment = "checked\u2028with a line separator and \x01 a control"
		if _, err := treaty.SaveProfile(ctx, tx, profile); err != nil {
			return err
		}
		ids, err := db.Column[string](ctx, tx, `SELECT id FROM incidents ORDER BY id LIMIT 3`)
		if err != nil {
			return err
		}
		if err := interchange.MergeIncidents(ctx, tx, ids[0], ids[1]); err != nil {
			return err
		}
		src, err := db.Column[string](ctx, tx, `SELECT id FROM sources ORDER BY id LIMIT 1`)
		if err != nil {
			return err
		}
		shared := &trace.Incident{Title: "Shared with another team", AttackTypes: []string{"phishing"}, Determination: "suspected",
			Start: "2025-03", Countries: []string{"KE"}, SourceIDs: src}
		shared.TLP, shared.Owner, shared.SharedWith, shared.Readers = "amber", user.TeamID, []string{"team--other"}, []string{"someone"}
		if _, err := trace.SaveIncident(ctx, tx, shared); err != nil {
			return err
		}
		return suggest.Create(ctx, tx, &suggest.Suggestion{RecordID: ids[2], RecordKind: "incident",
			Fields: map[string]json.RawMessage{"title": json.RawMessage(`"A better title"`)}, Reason: "typo",
			AuthorID: user.ID, Author: user.Email, AuthorTeam: user.TeamID})
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := &casefile.Store{DB: store, Keys: ring}
	_, c, err := cases.Submit(ctx, &casefile.Report{
		Organisation: &casefile.Organisation{Name: "Refuge Saint-Martin", Kind: "ngo", Country: "fr", Sector: "Social services"},
		AttackTypes:  []string{"ransomware"}, WhatHappened: "Our files are locked.", Started: "2026-11", Ongoing: "yes",
		Affected: []string{"services"}, HarmedGroups: []string{"women"}, Contact: casefile.Contact{Email: "direction@refuge.example"},
		Consent: casefile.Consent{ContactMe: true, CountGroups: true}, Language: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	err = store.Write(ctx, db.Author{Who: user.Email}, func(tx *db.Tx) error {
		helper, _, err := account.AddUser(ctx, tx, "worker@cert.example", "case-worker", "Health CERT", "a long enough password 2")
		if err != nil {
			return err
		}
		if err := casefile.Assign(ctx, tx, c.ID, user.Email, user.TeamID, []string{helper.ID}); err != nil {
			return err
		}
		if err := cases.AddTask(ctx, tx, c.ID, user.Email, "Call the refuge back"); err != nil {
			return err
		}
		if err := cases.AddNote(ctx, tx, c.ID, user.ID, "Backups exist, offline."); err != nil {
			return err
		}
		return cases.AddMessage(ctx, tx, c.ID, "reporter", "", "Here is the ransom note.", "note.txt", []byte("pay 2 BTC\x00\xff"))
	})
	if err != nil {
		t.Fatal(err)
	}
	f := filled{caseID: c.ID, content: evidenceContent(), team: user.TeamID}
	f.hook = fillPrevention(t, store, ring, user, c.ID)
	f.itemID = fillEvidence(t, store, ring, dataDir, c.ID, f.content)
	return f
}

// filled is what a test checks after the round trip: the case, and an
// evidence item of it with its content.
type filled struct {
	caseID, itemID, team string
	content              []byte
	// hook receives the team's webhook, whose secret is sealed in the
	// store with a key of the ring.
	hook *outboxtest.Receiver
}

// evidenceContent is a file larger than a chunk of the locker's
// encryption, every byte value in it.
func evidenceContent() []byte {
	b := make([]byte, 200_000)
	for i := range b {
		b[i] = byte(i * 7 % 251)
	}
	return b
}

// fillEvidence puts evidence in the locker of dataDir: a file of the case
// (and the same file again, kept once on disk), a file of an incident, a
// note handing one over, and a download, each in the custody log.
func fillEvidence(t *testing.T, store *db.DB, ring *keys.Ring, dataDir, caseID string, content []byte) (itemID string) {
	t.Helper()
	ctx := context.Background()
	locker, err := evidence.Open(store, ring, dataDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	meta := evidence.Metadata{OriginalName: "ransom-note.png", AcquiredBy: "worker@cert.example", AcquiredAt: "2026-11-03T09:00:00Z",
		Method: "copied from the refuge's file server", System: "FS01", Note: "é \"quoted\"\n"}
	it, err := locker.Add(ctx, "worker@cert.example", caseID, meta, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := locker.Add(ctx, "worker@cert.example", caseID, evidence.Metadata{OriginalName: "copy.png"}, bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	inc, err := db.Column[string](ctx, store, `SELECT id FROM incidents ORDER BY id LIMIT 1`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := locker.Add(ctx, "analyst@cert.example", inc[0], evidence.Metadata{OriginalName: "headers.eml"},
		strings.NewReader("Received: from attacker.example\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := locker.AddNote(ctx, "worker@cert.example", it.ID, "Lille cybercrime unit", "handed over on a USB key"); err != nil {
		t.Fatal(err)
	}
	rc, _, err := locker.Open(ctx, "worker@cert.example", it.ID, "download")
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(io.Discard, rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	return it.ID
}

// fillPrevention gives rows to the prevention's tables: the bundled KEV
// catalog, an organisation's inventory kept by the user's team with a
// member team, the alerts it raises and a decision, a webhook and a
// consent to email, a re-targeting warning on the case's organisation, a
// volunteer with a task of the case, an assignment and hours, and one
// pass of the outbox's worker (a webhook delivered, an email without an
// SMTP server tried). It returns the webhook's receiver.
func fillPrevention(t *testing.T, store *db.DB, ring *keys.Ring, user *account.User, caseID string) *outboxtest.Receiver {
	t.Helper()
	ctx := context.Background()
	if err := kev.EnsureBundled(ctx, store); err != nil {
		t.Fatal(err)
	}
	if _, err := outbox.Install(ctx, store, ring); err != nil {
		t.Fatal(err)
	}
	hook := outboxtest.NewReceiver(t)
	var org string
	err := store.Write(ctx, db.Author{Who: user.Email, Why: "fill the prevention's tables"}, func(tx *db.Tx) error {
		worker, err := account.UserIDs(ctx, tx, []string{"worker@cert.example"})
		if err != nil {
			return err
		}
		if err := outbox.SetConsent(ctx, tx, worker[0], true); err != nil {
			return err
		}
		if _, hook.Secret, err = outbox.AddWebhook(ctx, tx, user.TeamID, hook.URL); err != nil {
			return err
		}
		o := &trace.Organisation{Name: "Refuge Saint-Martin", Kind: "ngo", Country: "FR"}
		if _, err := trace.SaveOrganisation(ctx, tx, o); err != nil {
			return err
		}
		org = o.ID
		for _, it := range []inventory.Item{
			{OrganisationID: org, Vendor: "Microsoft Corporation", Product: "Exchange Server 2019", Version: "CU12"},
			{OrganisationID: org, CPE: "cpe:2.3:a:fortinet:fortios:7.0.1:*:*:*:*:*:*:*"},
		} {
			if _, err := inventory.Add(ctx, tx, user.TeamID, &it); err != nil {
				return err
			}
		}
		if err := inventory.AddMember(ctx, tx, org, "team--refuge"); err != nil {
			return err
		}
		raised, err := alert.Match(ctx, tx, "")
		if err != nil {
			return err
		}
		if len(raised) == 0 {
			return errors.New("the inventory raised no alert")
		}
		if err := alert.Decide(ctx, tx, raised[0].ID, "acknowledged", "the server is being patched"); err != nil {
			return err
		}
		return retarget.LinkCase(ctx, tx, caseID, org)
	})
	if err != nil {
		t.Fatal(err)
	}
	// A new attack on the case's organisation warns its workers.
	err = store.Write(ctx, db.Author{Who: user.Email}, func(tx *db.Tx) error {
		src, err := db.Column[string](ctx, tx, `SELECT id FROM sources ORDER BY id LIMIT 1`)
		if err != nil {
			return err
		}
		in := &trace.Incident{Title: "The refuge attacked again", AttackTypes: []string{"ransomware"}, Determination: "claimed",
			Start: trace.Date(time.Now().UTC().Format("2006-01-02")), Countries: []string{"FR"}, SourceIDs: src,
			Victims: []trace.Victim{{OrganisationID: org, Role: "victim"}}}
		in.TLP = "amber"
		_, err = trace.SaveIncident(ctx, tx, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = store.Write(ctx, db.Author{Who: "worker@cert.example"}, func(tx *db.Tx) error {
		v, _, err := account.AddUser(ctx, tx, "volunteer@helpers.example", "volunteer", "Health CERT", "a long enough password 3")
		if err != nil {
			return err
		}
		p := &volunteer.Profile{UserID: v.ID, Skills: []string{"email-security", "microsoft-365"}, Languages: []string{"fr", "en"},
			TimeZone: "Europe/Paris", HoursPerMonth: 12.5, Employer: "Acme"}
		if err := volunteer.SaveProfile(ctx, tx, p); err != nil {
			return err
		}
		if err := volunteer.SetVetting(ctx, tx, v.ID, "vetted"); err != nil {
			return err
		}
		task := &volunteer.Task{CaseID: caseID, Helped: org, Title: "Patch the refuge's mail server", Skills: []string{"microsoft-365"},
			Languages: []string{"fr"}, TimeZone: "Europe/Paris", Hours: 6}
		if err := volunteer.CreateTask(ctx, tx, ring, task); err != nil {
			return err
		}
		if err := volunteer.Assign(ctx, tx, task, v.ID, volunteer.DefaultHoursCap); err != nil {
			return err
		}
		return volunteer.LogHours(ctx, tx, task, v.ID, 2.5, tx.Now.Format("2006-01-02"), volunteer.DefaultHoursCap)
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &outbox.Worker{DB: store, BaseURL: "https://harmtrace.test", Backoff: func(int) time.Duration { return time.Hour }}
	if n, err := w.Once(ctx); err != nil || n == 0 {
		t.Fatalf("the outbox delivered %d: %v", n, err)
	}
	if d := hook.Deliveries(); len(d) == 0 || !d[0].Signed {
		t.Fatalf("the webhook received %+v, not a signed delivery", d)
	}
	return hook
}

// schemaTables lists the base tables as the engine's catalogue has them,
// independently of the backup's reading of the schema.
func schemaTables(t *testing.T, store *db.DB) []string {
	t.Helper()
	q := `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	if store.Dialect() == db.SQLite {
		q = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
			AND name NOT IN (SELECT name || '_' || s FROM sqlite_master, (SELECT 'data' s UNION SELECT 'idx' UNION SELECT 'content'
				UNION SELECT 'docsize' UNION SELECT 'config') WHERE sql LIKE 'CREATE VIRTUAL TABLE%')`
	}
	names, err := db.Column[string](context.Background(), store, q)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	// The tables that are not data, as docs/backup.md lists them.
	notData := []string{"schema_migrations", "store_changes", "limiter_failures"}
	return slices.DeleteFunc(names, func(n string) bool { return slices.Contains(notData, n) })
}

type picture struct {
	manifest *Manifest
	tables   map[string][]byte // each table's file
	views    map[string][]byte // reports, revisions, audit log as the features give them
}

// take backs up store and reads back what the backup and the features say.
func take(t *testing.T, store *db.DB, dataDir string) (*picture, []byte) {
	t.Helper()
	ctx := context.Background()
	var buf bytes.Buffer
	m, err := Write(ctx, store, &buf, Options{Program: "test", DataDir: dataDir})
	if err != nil {
		t.Fatalf("backup of %s: %v", store.Dialect(), err)
	}
	p := &picture{manifest: m, tables: map[string][]byte{}, views: map[string][]byte{}}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range m.Tables {
		f, err := zr.Open(e.File)
		if err != nil {
			t.Fatal(err)
		}
		p.tables[e.Name], _ = io.ReadAll(f)
		f.Close()
		var n int64
		if err := store.QueryRow(ctx, `SELECT COUNT(*) FROM `+quoteIdent(e.Name)).Scan(&n); err != nil || n != e.Rows {
			t.Errorf("%s: table %s has %d rows, its backup %d (%v)", store.Dialect(), e.Name, n, e.Rows, err)
		}
	}
	view := func(name string, v any, err error) {
		if err != nil {
			t.Fatalf("%s: %s: %v", store.Dialect(), name, err)
		}
		p.views[name], _ = json.MarshalIndent(v, "", " ")
	}
	for _, f := range []report.Filter{{}, {MaxTLP: "clear"}, {Country: "US"}, {AttackType: "ransomware", Since: "2020"}, {Query: "hospital"}} {
		r, err := report.Compute(ctx, store, f)
		view(fmt.Sprintf("report %+v", f), r, err)
		var md bytes.Buffer
		if err == nil {
			err = report.WriteMarkdown(&md, r)
		}
		view(fmt.Sprintf("report %+v as Markdown", f), md.String(), err)
	}
	ids, err := db.Column[string](ctx, store, `SELECT DISTINCT record_id FROM revisions`)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	all := map[string][]revision.Revision{}
	for _, id := range ids {
		if all[id], err = revision.List(ctx, store, id); err != nil {
			t.Fatal(err)
		}
	}
	view("revisions", all, nil)
	audit, err := account.AuditLog(ctx, store, 1_000_000)
	view("audit log", audit, err)
	return p, buf.Bytes()
}

func restoreInto(t *testing.T, store *db.DB, data []byte, force bool) error {
	t.Helper()
	return restoreFiles(t, store, data, "", force)
}

func restoreFiles(t *testing.T, store *db.DB, data []byte, dataDir string, force bool) error {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Restore(context.Background(), store, zr, RestoreOptions{Force: force, DataDir: dataDir})
	return err
}

// TestRoundTrip backs up a SQLite store holding rows in every table,
// restores it into PostgreSQL, backs that up, restores it into SQLite
// again, and finds every table the same row for row and the reports, the
// revisions and the audit log the same byte for byte; the victim's case
// reads back with the keys kept apart, and so does the evidence, whose
// files go through each data directory, with its custody log.
func TestRoundTrip(t *testing.T) {
	t.Setenv(keys.EnvKeyFile, "")
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()} // the data directory of each store
	ring, err := keys.Open(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	first := dbtest.SQLite(t)
	fix := fill(t, first, ring, dirs[0])
	schema := schemaTables(t, first)
	a, data := take(t, first, dirs[0])
	if len(a.manifest.Files) != 2 || len(a.manifest.MissingFiles) != 0 || a.manifest.FormatVersion != 2 {
		t.Fatalf("the backup holds evidence files %+v, misses %v (format version %d)", a.manifest.Files, a.manifest.MissingFiles, a.manifest.FormatVersion)
	}
	var names []string
	for _, e := range a.manifest.Tables {
		names = append(names, e.Name)
		if e.Rows == 0 {
			t.Errorf("table %s is empty: fill() must give every table rows for the round trip to test it", e.Name)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, schema) {
		t.Fatalf("the backup holds tables %v\nthe schema has %v", names, schema)
	}

	pg := dbtest.Postgres(t)
	if got := schemaTables(t, pg); !slices.Equal(got, schema) {
		t.Fatalf("PostgreSQL's schema has tables %v, SQLite's %v", got, schema)
	}
	if err := restoreFiles(t, pg, data, dirs[1], false); err != nil {
		t.Fatalf("restore into PostgreSQL: %v", err)
	}
	b, data := take(t, pg, dirs[1])
	last := dbtest.SQLite(t)
	if err := restoreFiles(t, last, data, dirs[2], false); err != nil {
		t.Fatalf("restore into SQLite: %v", err)
	}
	c, _ := take(t, last, dirs[2])
	for _, got := range []*picture{b, c} {
		same(t, got.manifest.Engine, a.tables, got.tables)
		same(t, got.manifest.Engine, a.views, got.views)
		if fmt.Sprint(got.manifest.Files) != fmt.Sprint(a.manifest.Files) {
			t.Errorf("after the round trip through %s the evidence files are %+v, not %+v", got.manifest.Engine, got.manifest.Files, a.manifest.Files)
		}
	}
	// Independently of the backup's encoding: SQLite's own rows, read
	// raw, are the same in the first store and the last.
	for _, name := range schema {
		if w, g := rawRows(t, first, name), rawRows(t, last, name); w != g {
			t.Errorf("table %s read raw differs after the round trip:\n%s", name, firstDifference([]byte(w), []byte(g)))
		}
	}
	// The keys, kept apart, are put back beside the last store.
	if err := os.CopyFS(filepath.Join(dirs[2], "keys"), os.DirFS(filepath.Join(dirs[0], "keys"))); err != nil {
		t.Fatal(err)
	}
	ring, err = keys.Open(dirs[2])
	if err != nil {
		t.Fatal(err)
	}
	cases := &casefile.Store{DB: last, Keys: ring}
	got, err := cases.Get(context.Background(), last, fix.caseID)
	if err != nil || got.Report.WhatHappened != "Our files are locked." {
		t.Errorf("the restored case: %+v, %v", got, err)
	}
	// The webhook's secret, sealed in the store, opens with the keys put
	// back: a delivery from the restored store is signed as before.
	if _, err := outbox.Install(context.Background(), last, ring); err != nil {
		t.Fatal(err)
	}
	err = last.Write(context.Background(), db.Author{Who: "after"}, func(tx *db.Tx) error {
		_, err := outbox.ToTeam(context.Background(), tx, fix.team, outbox.Message{Event: "case.message", Subject: "after the restore", Body: "x"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	before := len(fix.hook.Deliveries())
	if n, err := (&outbox.Worker{DB: last, BaseURL: "https://harmtrace.test"}).Once(context.Background()); err != nil || n == 0 {
		t.Errorf("the restored outbox delivered %d: %v", n, err)
	}
	if d := fix.hook.Deliveries(); len(d) != before+1 || !d[before].Signed {
		t.Errorf("after the restore the webhook received %d deliveries (%d before), the last signed: %v", len(d), before, len(d) > before && d[len(d)-1].Signed)
	}
	locker, err := evidence.Open(last, ring, dirs[2], 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := evidence.VerifyLog(context.Background(), last, locker.Signer.Public()); err != nil || rep.Entries == 0 {
		t.Errorf("the restored custody log: %+v, %v", rep, err)
	}
	rc, item, err := locker.Open(context.Background(), "after@cert.example", fix.itemID, "download")
	if err != nil {
		t.Fatalf("the restored evidence: %v", err)
	}
	content, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(content, fix.content) || item.Metadata.OriginalName != "ransom-note.png" {
		t.Errorf("the restored evidence reads %d bytes (%v), %+v", len(content), err, item.Metadata)
	}
	if _, err := evidence.VerifyLog(context.Background(), last, locker.Signer.Public()); err != nil {
		t.Errorf("the custody log after a download from the restored locker: %v", err)
	}
	// New rows follow the restored ones: ids of append-only tables go on.
	for _, store := range []*db.DB{pg, last} {
		err := store.Write(context.Background(), db.Author{Who: "after"}, func(tx *db.Tx) error {
			return account.Audit(context.Background(), tx, "after", "sign-in", "", "", "")
		})
		if err != nil {
			t.Errorf("%s: write after restore: %v", store.Dialect(), err)
		}
	}
}

// rawRows reads a SQLite table with SELECT * as the driver gives it.
func rawRows(t *testing.T, store *db.DB, name string) string {
	t.Helper()
	rows, err := store.Query(context.Background(), `SELECT * FROM `+quoteIdent(name))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%#v", vals))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

func same(t *testing.T, engine string, want, got map[string][]byte) {
	t.Helper()
	for name, w := range want {
		if g := got[name]; !bytes.Equal(w, g) {
			t.Errorf("after the round trip through %s, %s differs:\n%s", engine, name, firstDifference(w, g))
		}
	}
	if len(got) != len(want) {
		t.Errorf("after the round trip through %s: %d tables or views, not %d", engine, len(got), len(want))
	}
}

func firstDifference(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n want %.300s\n got  %.300s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines, not %d", len(bl), len(al))
}

// TestRestoreRefuses: a restore into a store with data is refused unless
// forced, then replaces it; a damaged backup changes nothing.
func TestRestoreRefuses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		src := dbtest.SQLite(t)
		if err := src.Write(ctx, db.Author{Who: "t"}, func(tx *db.Tx) error {
			return account.Audit(ctx, tx, "t", "sign-in", "", "", "from the backup")
		}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := Write(ctx, src, &buf, Options{}); err != nil {
			t.Fatal(err)
		}
		if err := store.Write(ctx, db.Author{Who: "t"}, func(tx *db.Tx) error {
			return account.Audit(ctx, tx, "t", "sign-in", "", "", "already there")
		}); err != nil {
			t.Fatal(err)
		}
		if err := restoreInto(t, store, buf.Bytes(), false); !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "audit_log") {
			t.Fatalf("restore into a store with data: %v", err)
		}
		damaged := damage(t, buf.Bytes(), "tables/audit_log.jsonl")
		if err := restoreInto(t, store, damaged, true); err == nil || !strings.Contains(err.Error(), "damaged") {
			t.Fatalf("restore of a damaged backup: %v", err)
		}
		details := func() []string {
			d, err := db.Column[string](ctx, store, `SELECT detail FROM audit_log ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		if d := details(); !slices.Equal(d, []string{"already there"}) {
			t.Fatalf("after a failed restore the audit log is %q", d)
		}
		if err := restoreInto(t, store, buf.Bytes(), true); err != nil {
			t.Fatalf("forced restore: %v", err)
		}
		if d := details(); !slices.Equal(d, []string{"from the backup"}) {
			t.Fatalf("after a forced restore the audit log is %q", d)
		}
		// The audit log is append-only again.
		err := store.Write(ctx, db.Author{Who: "t"}, func(tx *db.Tx) error {
			_, err := tx.Exec(ctx, `DELETE FROM audit_log`)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("deleting from the audit log after a restore: %v", err)
		}
	})
}

// damage rewrites one file of a zip with a byte changed.
func damage(t *testing.T, data []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		r, _ := f.Open()
		body, _ := io.ReadAll(r)
		r.Close()
		if f.Name == name {
			body = bytes.Replace(body, []byte("backup"), []byte("bakcup"), 1)
		}
		w, _ := zw.Create(f.Name)
		w.Write(body)
	}
	zw.Close()
	return out.Bytes()
}

// TestBackupIsASnapshot backs up while incidents are being written, each
// with its revision and audit entry in one transaction: the backup holds
// all three of each write or none.
func TestBackupIsASnapshot(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		var src []string
		err := store.Write(ctx, db.Author{Who: "t"}, func(tx *db.Tx) error {
			s := &trace.Source{URL: "https://example.org/a", Kind: "news"}
			_, err := trace.SaveSource(ctx, tx, s)
			src = []string{s.ID}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
				err := store.Write(ctx, db.Author{Who: "writer"}, func(tx *db.Tx) error {
					in := &trace.Incident{Title: fmt.Sprintf("Incident %d", i), AttackTypes: []string{"ransomware"},
						Determination: "confirmed", Start: "2024-01", TLP: "clear", SourceIDs: src}
					_, err := trace.SaveIncident(ctx, tx, in)
					return err
				})
				if err != nil {
					done <- err
					return
				}
			}
		}()
		// Back up once the writer has written an incident (a backup of
		// none proves nothing), while it goes on writing.
		for {
			var n int
			if err := store.QueryRow(ctx, `SELECT COUNT(*) FROM incidents`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		for range 3 {
			var buf bytes.Buffer
			m, err := Write(ctx, store, &buf, Options{})
			if err != nil {
				t.Fatal(err)
			}
			rows := map[string]int64{}
			for _, e := range m.Tables {
				rows[e.Name] = e.Rows
			}
			// One audit entry per write: the source's, then one per incident.
			if rows["incidents"] == 0 || rows["audit_log"] != rows["incidents"]+1 || rows["incident_search"] != rows["incidents"] {
				t.Errorf("a torn backup: %d incidents, %d audit entries, %d search rows", rows["incidents"], rows["audit_log"], rows["incident_search"])
			}
		}
		close(stop)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// TestRestoreOlderBackup restores a backup taken at an older migration: the
// rows load at that migration, then the newer migrations apply.
func TestRestoreOlderBackup(t *testing.T) {
	ctx := context.Background()
	old, err := db.Open(ctx, dbtest.SQLiteDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if _, err := old.MigrateTo(ctx, 15); err != nil {
		t.Fatal(err)
	}
	if err := old.Write(ctx, db.Author{Who: "t"}, func(tx *db.Tx) error {
		return account.Audit(ctx, tx, "t", "sign-in", "", "", "at migration 15")
	}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	m, err := Write(ctx, old, &buf, Options{})
	if err != nil || m.Migration != 15 {
		t.Fatalf("backup at migration %d: %v", m.Migration, err)
	}
	for name, dsn := range map[string]func(testing.TB) string{"sqlite": dbtest.SQLiteDSN, "postgres": dbtest.PostgresDSN} {
		t.Run(name, func(t *testing.T) {
			fresh, err := db.Open(ctx, dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			defer fresh.Close()
			if err := restoreInto(t, fresh, buf.Bytes(), false); err != nil {
				t.Fatalf("restore of a migration 15 backup: %v", err)
			}
			if v, err := fresh.Version(ctx, fresh); err != nil || v != db.Latest() {
				t.Errorf("after the restore the store is at migration %d (%v), want %d", v, err, db.Latest())
			}
			d, err := db.Column[string](ctx, fresh, `SELECT detail FROM audit_log`)
			if err != nil || !slices.Equal(d, []string{"at migration 15"}) {
				t.Errorf("audit log %q, %v", d, err)
			}
		})
	}
}

// TestRestoreEvidenceFiles: a backup's evidence file that was altered
// fails the restore, naming it, and leaves neither rows nor files; a
// different file at its place is refused unless forced; a backup taken
// without the data directory lists the files it misses.
func TestRestoreEvidenceFiles(t *testing.T) {
	t.Setenv(keys.EnvKeyFile, "")
	ctx := context.Background()
	dir := t.TempDir()
	ring, err := keys.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	src := dbtest.SQLite(t)
	_, c, err := (&casefile.Store{DB: src, Keys: ring}).Submit(ctx, &casefile.Report{AttackTypes: []string{"ransomware"}, WhatHappened: "files locked"})
	if err != nil {
		t.Fatal(err)
	}
	locker, err := evidence.Open(src, ring, dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := locker.Add(ctx, "worker@cert.example", c.ID, evidence.Metadata{OriginalName: "note.png"}, bytes.NewReader(evidenceContent())); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	m, err := Write(ctx, src, &buf, Options{DataDir: dir})
	if err != nil || len(m.Files) != 1 {
		t.Fatalf("backup: %+v %v", m, err)
	}
	file := m.Files[0]
	var without bytes.Buffer
	if m, err := Write(ctx, src, &without, Options{}); err != nil || len(m.Files) != 0 || !slices.Equal(m.MissingFiles, []string{file.Path}) || m.FormatVersion != 1 {
		t.Errorf("a backup without the data directory: %+v %v", m, err)
	}

	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		target := t.TempDir()
		where := filepath.Join(target, filepath.FromSlash(file.Path))
		altered := rewrite(t, buf.Bytes(), file.Name, func(b []byte) []byte { b[len(b)/2] ^= 1; return b })
		if err := restoreFiles(t, store, altered, target, false); err == nil || !strings.Contains(err.Error(), file.Name) || !strings.Contains(err.Error(), "damaged") {
			t.Fatalf("restore of an altered evidence file: %v", err)
		}
		if n, err := db.Column[int](ctx, store, `SELECT COUNT(*) FROM cases`); err != nil || n[0] != 0 {
			t.Errorf("after a failed restore the store holds %v cases (%v)", n, err)
		}
		if left, _ := os.ReadDir(filepath.Dir(where)); len(left) != 0 {
			t.Errorf("a failed restore left %v", left)
		}
		if err := restoreFiles(t, store, buf.Bytes(), "", false); err == nil || !strings.Contains(err.Error(), "data directory") {
			t.Errorf("restore of evidence files without a data directory: %v", err)
		}
		// A different file at its place.
		if err := os.MkdirAll(filepath.Dir(where), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(where, []byte("another"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := restoreFiles(t, store, buf.Bytes(), target, false); !errors.Is(err, ErrFileExists) || !strings.Contains(err.Error(), where) {
			t.Fatalf("restore over a different file: %v", err)
		}
		if err := restoreFiles(t, store, buf.Bytes(), target, true); err != nil {
			t.Fatalf("forced restore over a different file: %v", err)
		}
		if sum, err := fileSum(where); err != nil || sum != file.SHA256 {
			t.Errorf("after a forced restore the file's SHA-256 is %s (%v), want %s", sum, err, file.SHA256)
		}
		// The same file already there is left as it is.
		if err := restoreFiles(t, store, buf.Bytes(), target, true); err != nil {
			t.Errorf("restore with the same file there: %v", err)
		}
	})
}

// rewrite rewrites one file of a zip with change.
func rewrite(t *testing.T, data []byte, name string, change func([]byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	found := false
	for _, f := range zr.File {
		r, _ := f.Open()
		body, _ := io.ReadAll(r)
		r.Close()
		if f.Name == name {
			body, found = change(body), true
		}
		w, _ := zw.Create(f.Name)
		w.Write(body)
	}
	zw.Close()
	if !found {
		t.Fatalf("no %s in the backup", name)
	}
	return out.Bytes()
}
