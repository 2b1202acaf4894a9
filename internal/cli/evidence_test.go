package cli_test

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The locker from the command line: add two files to an incident, export,
// verify on "another machine" (no store, no data dir); a package with a
// changed byte fails with a non-zero exit naming the file; the log
// verifies.
func TestEvidenceCommands(t *testing.T) {
	eachStore(t, func(t *testing.T, store []string) {
		dir := t.TempDir()
		incident := filepath.Join(dir, "incident.json")
		if err := os.WriteFile(incident, []byte(`{"harmtrace": "1",
			"sources": [{"id": "source--00000000-0000-4000-8000-0000000000e1", "title": "Notice", "kind": "news"}],
			"incidents": [{"id": "incident--00000000-0000-4000-8000-0000000000e2", "title": "Wiper at a clinic", "attack_types": ["wiper"],
				"determination": "confirmed", "source_ids": ["source--00000000-0000-4000-8000-0000000000e1"]}]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := harmtrace(t, store, "import", incident); code != 0 {
			t.Fatal(stderr)
		}
		a, b := filepath.Join(dir, "ransom-note.txt"), filepath.Join(dir, "firewall.log")
		_ = os.WriteFile(a, []byte("YOUR FILES ARE GONE"), 0o600)
		_ = os.WriteFile(b, []byte("09:00 deny\n09:01 deny\n"), 0o600)
		code, out, stderr := harmtrace(t, store, "evidence", "add", "--incident", "incident--00000000-0000-4000-8000-0000000000e2",
			"--acquired-by", "Ana", "--method", "copied from the desktop", a, b)
		if code != 0 || strings.Count(out, "evidence--") != 2 {
			t.Fatalf("add: %d %s %s", code, out, stderr)
		}
		if code, _, stderr := harmtrace(t, store, "evidence", "add", "--incident", "incident--00000000-0000-4000-8000-00000000dead", a); code == 0 ||
			!strings.Contains(stderr, "no incident incident--00000000-0000-4000-8000-00000000dead") {
			t.Errorf("evidence of a missing incident: %d %s", code, stderr)
		}
		pkg := filepath.Join(dir, "pkg.zip")
		if code, out, stderr := harmtrace(t, store, "evidence", "export", "--incident", "incident--00000000-0000-4000-8000-0000000000e2", "--out", pkg); code != 0 ||
			!strings.Contains(out, "exported 2 files") {
			t.Fatalf("export: %d %s %s", code, out, stderr)
		}
		elsewhere := []string{"--data", t.TempDir()}
		code, out, stderr = harmtrace(t, elsewhere, "evidence", "verify", pkg)
		if code != 0 || !regexp.MustCompile(`^verified: 2 files, 3 custody entries, signed by [0-9a-f]{64}\n$`).MatchString(out) {
			t.Fatalf("verify: %d %q %s", code, out, stderr)
		}
		_, keysOut, _ := harmtrace(t, store, "keys", "show")
		fingerprint := regexp.MustCompile(`signed by ([0-9a-f]{64})`).FindStringSubmatch(out)[1]
		if !strings.Contains(keysOut, fingerprint) {
			t.Errorf("keys show does not print the signing key %s: %s", fingerprint, keysOut)
		}
		if code, _, _ := harmtrace(t, elsewhere, "evidence", "verify", "--key", strings.Repeat("a", 64), pkg); code == 0 {
			t.Error("verify passes for another trusted key")
		}
		// One changed byte.
		broken := filepath.Join(dir, "broken.zip")
		rewrite(t, pkg, broken, func(name string, data []byte) []byte {
			if strings.HasSuffix(name, "ransom-note.txt") {
				data[0] ^= 1
			}
			return data
		})
		if code, _, stderr := harmtrace(t, elsewhere, "evidence", "verify", broken); code == 0 || !strings.Contains(stderr, "files/01-ransom-note.txt was changed") {
			t.Errorf("a changed byte: %d %s", code, stderr)
		}
		if code, out, stderr := harmtrace(t, store, "evidence", "log", "--verify"); code != 0 || !strings.Contains(out, "verified: 3 custody entries") {
			t.Errorf("log: %d %s %s", code, out, stderr)
		}
	})
}

func rewrite(t *testing.T, from, to string, edit func(name string, data []byte) []byte) {
	t.Helper()
	zr, err := zip.OpenReader(from)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		var b bytes.Buffer
		_, _ = b.ReadFrom(rc)
		rc.Close()
		w, _ := zw.Create(f.Name)
		_, _ = w.Write(edit(f.Name, b.Bytes()))
	}
	_ = zw.Close()
	if err := os.WriteFile(to, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
