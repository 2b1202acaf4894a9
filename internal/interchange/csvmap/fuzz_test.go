package csvmap_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/harmtrace/harmtrace/internal/interchange/csvmap"
)

// FuzzMapping feeds arbitrary mapping files and CSV files to the CSV
// reader: a mapping it accepts reads any file to a document or an error,
// never a panic, and every incident it reads cites a source.
func FuzzMapping(f *testing.F) {
	for _, pair := range [][2]string{{"attacks.mapping.json", "attacks.csv"}, {"cert-advisories.mapping.json", "cert-advisories.csv"},
		{"tracker-a.mapping.json", "tracker-a.csv"}, {"latin1-declared.mapping.json", "latin1.csv"}} {
		m, err := os.ReadFile("../../importer/testdata/csv/" + pair[0])
		if err != nil {
			f.Fatal(err)
		}
		c, err := os.ReadFile("../../importer/testdata/csv/" + pair[1])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(m, c)
	}
	f.Fuzz(func(t *testing.T, mapping, data []byte) {
		m, err := csvmap.LoadMapping(mapping, "fuzz.mapping.json")
		if err != nil {
			return
		}
		doc, err := csvmap.Read(bytes.NewReader(data), "fuzz.csv", m, "")
		if err != nil {
			return
		}
		for _, in := range doc.Incidents {
			if len(in.SourceIDs) == 0 {
				t.Errorf("incident %s cites no source", in.ID)
			}
		}
	})
}
