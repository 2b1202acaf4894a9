package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestHarmtraceExportIsLossless exports STIX data as harmtrace JSON,
// imports that file into a fresh store and expects the same STIX export:
// the kept STIX objects travel with the records.
func TestHarmtraceExportIsLossless(t *testing.T) {
	first := sqliteStore(t)
	for _, f := range []string{"../importer/testdata/stix/attack-ics-sample.json", "../importer/testdata/stix/civil-society-threats.json"} {
		if code, _, stderr := harmtrace(t, first, "import", "--tlp", "clear", f); code != 0 {
			t.Fatalf("import %s: %s", f, stderr)
		}
	}
	file := filepath.Join(t.TempDir(), "all.json")
	if code, _, stderr := harmtrace(t, first, "export", "--format", "harmtrace", "--out", file); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Objects []json.RawMessage `json:"stix_objects"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var bundle struct{ Objects []json.RawMessage }
	in, _ := os.ReadFile("../importer/testdata/stix/attack-ics-sample.json")
	if err := json.Unmarshal(in, &bundle); err != nil {
		t.Fatal(err)
	}
	if len(doc.Objects) < len(bundle.Objects)-1 { // less its TLP definition
		t.Fatalf("the harmtrace export holds %d STIX objects; the imported bundle alone had %d", len(doc.Objects), len(bundle.Objects))
	}
	second := sqliteStore(t)
	if code, _, stderr := harmtrace(t, second, "import", file); code != 0 {
		t.Fatalf("import of the harmtrace export: %s", stderr)
	}
	_, a, _ := harmtrace(t, first, "export", "--format", "stix")
	_, b, _ := harmtrace(t, second, "export", "--format", "stix")
	if a != b {
		t.Errorf("the STIX export after a harmtrace round trip differs (%d and %d bytes)", len(a), len(b))
	}
}
