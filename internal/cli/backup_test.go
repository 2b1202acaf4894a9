package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupAndRestoreCommands: backup names the keys it leaves out,
// restore moves a SQLite store into PostgreSQL and refuses to do it twice,
// and a backup that cannot be written leaves an earlier one whole.
func TestBackupAndRestoreCommands(t *testing.T) {
	from := sqliteStore(t)
	if code, _, stderr := harmtrace(t, from, "import", "testdata/sample.json"); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	file := filepath.Join(t.TempDir(), "backup.zip")
	code, stdout, stderr := harmtrace(t, from, "backup", "--out", file)
	if code != 0 || !strings.Contains(stdout, "not in the backup: the keys of victims' cases") ||
		!strings.Contains(stdout, filepath.Join(from[1], "keys", "cases")) {
		t.Fatalf("backup: %d %s %s", code, stdout, stderr)
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the backup file: %v %v", info, err)
	}
	to := postgresStore(t)
	if code, stdout, stderr := harmtrace(t, to, "restore", file); code != 0 || !strings.Contains(stdout, "from a sqlite backup") {
		t.Fatalf("restore: %d %s %s", code, stdout, stderr)
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
