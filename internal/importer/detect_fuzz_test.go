package importer_test

import (
	"os"
	"testing"

	"github.com/harmtrace/harmtrace/internal/importer"
	"github.com/harmtrace/harmtrace/internal/interchange"
)

// FuzzDetect feeds arbitrary bytes to format detection (import without
// --format, the upload form): whatever it names, that format's decoder
// returns a document or an error, never a panic.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{"testdata/stix/hospital-incident.json", "testdata/misp/misp_event.json",
		"testdata/misp/threat-actor-sample.json", "testdata/veris/clinic-ransomware.json", "testdata/hhs/breach_report_sample.csv",
		"testdata/dedup/clinic-news.json", "testdata/csv/attacks.csv"} {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		format := importer.Detect(data)
		if format == "" || format == "csv" { // CSV needs a mapping: detection never guesses one
			return
		}
		_, _ = importer.Decode(data, "fuzz", format, importer.Options{TLP: "amber"}, interchange.NewSummary())
	})
}
