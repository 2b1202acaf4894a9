package cli_test

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupAndRestoreCommands: backup names the keys it leaves out,
// restore moves a SQLite store into PostgreSQL with its evidence files
// (which read back with the keys copied) and refuses to do it twice,
// and a backup that cannot be written leaves an earlier one whole.
func TestBackupAndRestoreCommands(t *testing.T) {
	from := sqliteStore(t)
	if code, _, stderr := harmtrace(t, from, "import", "testdata/sample.json"); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	const incident = "incident--1f2e3d4c-5b6a-4789-8abc-def012345601"
	note := filepath.Join(t.TempDir(), "ransom-note.txt")
	if err := os.WriteFile(note, []byte("pay 2 BTC by Friday\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := harmtrace(t, from, "evidence", "add", "--incident", incident, note); code != 0 {
		t.Fatalf("evidence add: %s", stderr)
	}
	file := filepath.Join(t.TempDir(), "backup.zip")
	code, stdout, stderr := harmtrace(t, from, "backup", "--out", file)
	if code != 0 || !strings.Contains(stdout, "not in the backup: the keys of victims' cases") ||
		!strings.Contains(stdout, filepath.Join(from[1], "keys", "cases")) || !strings.Contains(stdout, "1 evidence files") ||
		!strings.Contains(stdout, filepath.Join(from[1], "keys", "signing.key")) {
		t.Fatalf("backup: %d %s %s", code, stdout, stderr)
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the backup file: %v %v", info, err)
	}
	to := postgresStore(t)
	// The keys, kept apart, are put back beside the restored store.
	if err := os.CopyFS(filepath.Join(to[1], "keys"), os.DirFS(filepath.Join(from[1], "keys"))); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := harmtrace(t, to, "restore", file); code != 0 || !strings.Contains(stdout, "from a sqlite backup") ||
		!strings.Contains(stdout, "1 evidence files → "+filepath.Join(to[1], "evidence")) {
		t.Fatalf("restore: %d %s %s", code, stdout, stderr)
	}
	if code, stdout, stderr := harmtrace(t, to, "evidence", "log", "--verify"); code != 0 || !strings.Contains(stdout, "verified: 1 custody entries") {
		t.Errorf("the restored custody log: %d %s %s", code, stdout, stderr)
	}
	pkg := filepath.Join(t.TempDir(), "pkg.zip")
	if code, _, stderr := harmtrace(t, to, "evidence", "export", "--incident", incident, "--out", pkg); code != 0 {
		t.Fatalf("export of the restored evidence: %s", stderr)
	}
	zr, err := zip.OpenReader(pkg)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if f, err := zr.Open("files/01-ransom-note.txt"); err != nil {
		t.Errorf("the exported package: %v", err)
	} else if b, err := io.ReadAll(f); err != nil || string(b) != "pay 2 BTC by Friday\n" {
		t.Errorf("the restored evidence reads %q (%v)", b, err)
	}
	if code, _, stderr := harmtrace(t, to, "restore", file); code != 1 || !strings.Contains(stderr, "--force") {
		t.Errorf("a second restore: %d %s", code, stderr)
	}
	if code, stdout, _ := harmtrace(t, to, "show", "incident--1f2e3d4c-5b6a-4789-8abc-def012345601"); code != 0 ||
		!strings.Contains(stdout, "Ransomware at Example Clinics Network") {
		t.Errorf("the restored incident: %s", stdout)
	}
	if code, _, stderr := harmtrace(t, from, "backup"); code != 2 || !strings.Contains(stderr, "--out") {
		t.Errorf("backup without --out: %d %s", code, stderr)
	}
	// A backup into a folder that does not exist fails and leaves nothing.
	if code, _, _ := harmtrace(t, from, "backup", "--out", filepath.Join(t.TempDir(), "missing", "b.zip")); code != 1 {
		t.Errorf("backup into a missing folder: exit %d", code)
	}
}
