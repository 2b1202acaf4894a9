package evidence_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/evidence"
	"github.com/harmtrace/harmtrace/internal/keys"
)

func newLocker(t *testing.T, store *db.DB) (*evidence.Store, *casefile.Store, string) {
	t.Helper()
	t.Setenv(keys.EnvKeyFile, "")
	dir := t.TempDir()
	ring, err := keys.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	locker, err := evidence.Open(store, ring, dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	return locker, &casefile.Store{DB: store, Keys: ring}, dir
}

func newCase(t *testing.T, cases *casefile.Store) string {
	t.Helper()
	r := &casefile.Report{AttackTypes: []string{"ransomware"}, WhatHappened: "files locked"}
	_, c, err := cases.Submit(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// zipFiles reads a package's files.
func zipFiles(t *testing.T, pkg []byte) (map[string][]byte, []string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	files, order := map[string][]byte{}, []string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name], order = b, append(order, f.Name)
	}
	return files, order
}

func rezip(t *testing.T, files map[string][]byte, order []string) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, name := range order {
		if data, ok := files[name]; ok {
			w, _ := zw.Create(name)
			_, _ = w.Write(data)
		}
	}
	for name, data := range files { // added files
		if !contains(order, name) {
			w, _ := zw.Create(name)
			_, _ = w.Write(data)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func verify(pkg []byte) (evidence.Verified, error) {
	return evidence.Verify(bytes.NewReader(pkg), int64(len(pkg)), "")
}

// Two files added, viewed, noted and transferred, exported and verified;
// then each kind of tampering makes verification fail, naming its cause.
func TestExportAndVerify(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		locker, cases, _ := newLocker(t, store)
		caseID := newCase(t, cases)
		note := &evidence.Metadata{OriginalName: "ransom note.txt", AcquiredBy: "case worker Ana", AcquiredAt: "2026-11-30T09:12:00Z",
			Method: "copied from the infected laptop's desktop", System: "reception laptop (Windows 11)"}
		a, err := locker.Add(ctx, "ana@helpers.example", caseID, *note, strings.NewReader("YOUR FILES ARE ENCRYPTED. Pay 2 BTC."))
		if err != nil {
			t.Fatal(err)
		}
		b, err := locker.Add(ctx, "ana@helpers.example", caseID, evidence.Metadata{OriginalName: "../../etc/log.csv"}, strings.NewReader("time,event\n09:00,encrypted\n"))
		if err != nil {
			t.Fatal(err)
		}
		rc, _, err := locker.Open(ctx, "volunteer@helpers.example", a.ID, "download")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(got) != "YOUR FILES ARE ENCRYPTED. Pay 2 BTC." {
			t.Fatalf("content %q %v", got, err)
		}
		if err := locker.AddNote(ctx, "ana@helpers.example", a.ID, "", "hash read aloud to the police on the phone"); err != nil {
			t.Fatal(err)
		}
		if err := locker.AddNote(ctx, "ana@helpers.example", b.ID, "Lille cybercrime unit", "handed over on a USB key"); err != nil {
			t.Fatal(err)
		}
		// Evidence of another scope is not in this package.
		if _, err := locker.Add(ctx, "x", "incident--00000000-0000-4000-8000-000000000001", evidence.Metadata{OriginalName: "other"}, strings.NewReader("other")); err != nil {
			t.Fatal(err)
		}
		// Nothing of the content or metadata is in the store in clear.
		for _, secret := range []string{"YOUR FILES", "ransom note", "case worker Ana", "reception laptop", "read aloud", "Lille"} {
			for _, table := range []string{"evidence_items", "evidence_notes", "custody_log"} {
				var n int
				_ = store.QueryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE `+concatColumns(table)+` LIKE ?`, "%"+secret+"%").Scan(&n)
				if n > 0 {
					t.Errorf("%s holds %q", table, secret)
				}
			}
		}

		var pkg bytes.Buffer
		if _, err := locker.Export(ctx, "ana@helpers.example", caseID, &pkg); err != nil {
			t.Fatal(err)
		}
		v, err := verify(pkg.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if v.Files != 2 || v.Entries != 6 || v.Fingerprint != keys.Fingerprint(locker.Signer.Public()) {
			t.Fatalf("%+v", v)
		}
		if !strings.HasPrefix(v.String(), "verified: 2 files, 6 custody entries, signed by ") {
			t.Errorf("%s", v)
		}
		files, order := zipFiles(t, pkg.Bytes())
		if _, ok := files["files/02-.._.._etc_log.csv"]; !ok {
			t.Errorf("a path in a name is not flattened: %v", order)
		}
		commonTools(t, files)

		lines := strings.SplitAfter(strings.TrimSuffix(string(files["custody.jsonl"]), "\n"), "\n")
		otherKey := func() []byte {
			_, priv, _ := ed25519.GenerateKey(nil)
			var h evidence.Head
			_ = json.Unmarshal(files["head.json"], &h)
			h.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(priv, h.Message()))
			out, _ := json.Marshal(h)
			return out
		}
		tamper := []struct {
			name string
			edit func(f map[string][]byte)
			want string
		}{
			{"a byte of a file flipped", func(f map[string][]byte) { f["files/01-ransom_note.txt"][0] ^= 1 }, "files/01-ransom_note.txt was changed"},
			{"a file removed", func(f map[string][]byte) { delete(f, "files/02-.._.._etc_log.csv") }, "files/02-.._.._etc_log.csv is missing"},
			{"a file added", func(f map[string][]byte) { f["files/03-planted.txt"] = []byte("x") }, "files/03-planted.txt is not in the manifest"},
			{"a custody entry removed", func(f map[string][]byte) {
				f["custody.jsonl"] = []byte(lines[0] + strings.Join(lines[2:], ""))
			}, "is missing from custody.jsonl"},
			{"two custody entries swapped", func(f map[string][]byte) {
				f["custody.jsonl"] = []byte(lines[1] + lines[0] + strings.Join(lines[2:], ""))
			}, "reordered"},
			{"a custody entry edited", func(f map[string][]byte) {
				f["custody.jsonl"] = []byte(strings.Replace(string(f["custody.jsonl"]), `"volunteer@helpers.example"`, `"nobody@helpers.example"`, 1))
			}, "was edited"},
			{"the signature replaced", func(f map[string][]byte) { f["head.json"] = otherKey() }, "wrong signature"},
			{"the manifest edited", func(f map[string][]byte) {
				f["manifest.json"] = []byte(strings.Replace(string(f["manifest.json"]), "case worker Ana", "case worker Bob", 1))
			}, "manifest.json was changed"},
		}
		for _, tt := range tamper {
			t.Run(tt.name, func(t *testing.T) {
				copied := map[string][]byte{}
				for k, v := range files {
					copied[k] = append([]byte(nil), v...)
				}
				tt.edit(copied)
				_, err := verify(rezip(t, copied, order))
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("verify: %v, want %q", err, tt.want)
				}
			})
		}
		if _, err := evidence.Verify(bytes.NewReader(pkg.Bytes()), int64(pkg.Len()), strings.Repeat("0", 64)); err == nil {
			t.Error("a package passes for a key it was not signed by")
		}
		// The log itself verifies, and the export is in it.
		if rep, err := evidence.VerifyLog(ctx, store, locker.Signer.Public()); err != nil || rep.Entries != 7 {
			t.Errorf("log: %+v %v", rep, err)
		}
	})
}

func concatColumns(table string) string {
	cols := map[string]string{
		"evidence_items": "id || scope_id || sha256 || blob || metadata_sealed || metadata_sha256 || added_by",
		"evidence_notes": "id || item_id || kind || body_sealed || author",
		"custody_log":    "item_id || scope_id || action || actor || content_sha256 || detail_sha256",
	}
	return "(" + cols[table] + ")"
}

// commonTools checks the package with sha256sum and openssl, as VERIFY.txt
// tells, where the machine has them.
func commonTools(t *testing.T, files map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tool := range [][]string{
		{"sha256sum", "-c", "SHA256SUMS"},
		{"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "public_key.pem", "-rawin", "-in", "head.txt", "-sigfile", "head.sig"},
	} {
		if _, err := exec.LookPath(tool[0]); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is needed to check VERIFY.txt's commands", tool[0])
			}
			t.Logf("no %s here: VERIFY.txt's command is not checked", tool[0])
			continue
		}
		cmd := exec.Command(tool[0], tool[1:]...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v: %s", strings.Join(tool, " "), err, out)
		}
	}
	// The fingerprint VERIFY.txt gives is what openssl and sha256sum print.
	if _, err := exec.LookPath("openssl"); err == nil {
		cmd := exec.Command("sh", "-c", "openssl pkey -pubin -in public_key.pem -outform DER | sha256sum")
		cmd.Dir = dir
		out, err := cmd.Output()
		var h evidence.Head
		_ = json.Unmarshal(files["head.json"], &h)
		if err != nil || !strings.HasPrefix(string(out), h.Fingerprint) || !strings.Contains(string(files["VERIFY.txt"]), h.Fingerprint) {
			t.Errorf("fingerprint: %s %v, head says %s", out, err, h.Fingerprint)
		}
	}
}

// A custody row edited, or removed, in the database by someone who drops
// the append-only triggers is found by the log's verification.
func TestCustodyLogTampering(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		locker, _, _ := newLocker(t, store)
		scope := "incident--00000000-0000-4000-8000-0000000000aa"
		var items []*evidence.Item
		for i := range 3 {
			it, err := locker.Add(ctx, "analyst@a.example", scope, evidence.Metadata{OriginalName: "log.txt"}, strings.NewReader(strings.Repeat("x", i+1)))
			if err != nil {
				t.Fatal(err)
			}
			items = append(items, it)
		}
		earlier, _ := evidence.Heads(ctx, store)
		kept := earlier[len(earlier)-1] // a head a court was given
		if err := locker.AddNote(ctx, "analyst@a.example", items[0].ID, "", "seen by the prosecutor"); err != nil {
			t.Fatal(err)
		}
		if _, err := evidence.VerifyLog(ctx, store, locker.Signer.Public(), kept); err != nil {
			t.Fatal(err)
		}
		dropTriggers(t, store)
		exec := func(q string, args ...any) {
			t.Helper()
			if rows, err := store.Query(ctx, q, args...); err != nil {
				t.Fatal(err)
			} else {
				rows.Close()
			}
		}
		// Edited in place: its fields no longer give its leaf.
		exec(`UPDATE custody_log SET actor = 'someone else' WHERE seq = 2`)
		if _, err := evidence.VerifyLog(ctx, store, locker.Signer.Public()); err == nil || !strings.Contains(err.Error(), "entry 2 was edited") {
			t.Errorf("an edited row: %v", err)
		}
		// Edited with its leaf recomputed: the signed heads no longer match.
		entries, _ := evidence.Entries(ctx, store, "")
		leaf := entries[1].Leaf()
		exec(`UPDATE custody_log SET leaf_hash = ? WHERE seq = 2`, hexOf(leaf[:]))
		if _, err := evidence.VerifyLog(ctx, store, locker.Signer.Public()); err == nil || !strings.Contains(err.Error(), "does not match the entries") {
			t.Errorf("a re-hashed row: %v", err)
		}
		// Removed, with the heads that counted it.
		exec(`DELETE FROM custody_log WHERE seq >= 3`)
		exec(`DELETE FROM custody_heads WHERE size >= 3`)
		exec(`UPDATE custody_log SET actor = 'analyst@a.example', leaf_hash = ? WHERE seq = 2`, hexOf(leafOf(entries[1], "analyst@a.example")))
		if _, err := evidence.VerifyLog(ctx, store, locker.Signer.Public(), kept); err == nil || !strings.Contains(err.Error(), "counts 3 entries, the log has 2") {
			t.Errorf("removed rows, against the head a court kept: %v", err)
		}
	})
}

func leafOf(e evidence.Entry, actor string) []byte {
	e.Actor = actor
	h := e.Leaf()
	return h[:]
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, x := range b {
		out = append(out, digits[x>>4], digits[x&15])
	}
	return string(out)
}

func dropTriggers(t *testing.T, store *db.DB) {
	t.Helper()
	stmts := []string{`DROP TRIGGER custody_log_no_update`, `DROP TRIGGER custody_log_no_delete`, `DROP TRIGGER custody_heads_no_update`, `DROP TRIGGER custody_heads_no_delete`}
	if store.Dialect() == db.Postgres {
		stmts = []string{`DROP TRIGGER custody_log_append_only ON custody_log`, `DROP TRIGGER custody_heads_append_only ON custody_heads`}
	}
	for _, s := range stmts {
		rows, err := store.Query(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
}

// The size limit is kept while streaming, and nothing is left of a file
// refused.
func TestSizeLimit(t *testing.T) {
	store := dbtest.SQLite(t)
	t.Setenv(keys.EnvKeyFile, "")
	dir := t.TempDir()
	ring, _ := keys.Open(dir)
	locker, err := evidence.Open(store, ring, dir, 1000)
	if err != nil {
		t.Fatal(err)
	}
	scope := "incident--00000000-0000-4000-8000-0000000000bb"
	if _, err := locker.Add(context.Background(), "a", scope, evidence.Metadata{OriginalName: "big"}, bytes.NewReader(make([]byte, 1001))); err == nil {
		t.Fatal("a file over the limit was taken")
	}
	if _, err := locker.Add(context.Background(), "a", scope, evidence.Metadata{OriginalName: "fits"}, bytes.NewReader(make([]byte, 1000))); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "evidence", scope, "*"))
	if len(left) != 1 {
		t.Errorf("files left: %v", left)
	}
}
