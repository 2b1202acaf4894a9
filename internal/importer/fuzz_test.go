package importer_test

import (
	"os"
	"testing"

	"github.com/harmtrace/harmtrace/internal/importer"
	"github.com/harmtrace/harmtrace/internal/interchange"
)

// fuzzFormat feeds arbitrary bytes to one importer's decoder: it must
// return a Document or an error, never panic, and a Document it returns
// must cite a source for every incident, attribution and harm.
func fuzzFormat(f *testing.F, format string, seeds ...string) {
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	opts := importer.Options{TLP: "amber"}
	if format == "csv" {
		data, _ := os.ReadFile("testdata/csv/attacks.mapping.json")
		m, err := mappingOf(data)
		if err != nil {
			f.Fatal(err)
		}
		opts.Mapping = m
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := importer.Decode(data, "fuzz", format, opts, interchange.NewSummary())
		if err != nil {
			return
		}
		for _, in := range doc.Incidents {
			if len(in.SourceIDs) == 0 && in.Title != "" {
				t.Errorf("incident %s cites no source", in.ID)
			}
		}
		for _, h := range doc.Harms {
			if len(h.SourceIDs) == 0 {
				t.Errorf("harm %s cites no source", h.ID)
			}
		}
	})
}

func FuzzSTIX(f *testing.F) {
	fuzzFormat(f, "stix", "testdata/stix/hospital-incident.json", "testdata/stix/using-marking-definitions.json")
}
func FuzzMISPEvent(f *testing.F) {
	fuzzFormat(f, "misp", "testdata/misp/victim-event.json", "testdata/misp/misp_event.json")
}
func FuzzMISPGalaxy(f *testing.F) {
	fuzzFormat(f, "misp-galaxy", "testdata/misp/threat-actor-sample.json")
}
func FuzzVERIS(f *testing.F) {
	fuzzFormat(f, "veris", "testdata/veris/clinic-ransomware.json", "testdata/veris/ngo-inconsistent.JSON")
}
func FuzzHHS(f *testing.F)       { fuzzFormat(f, "hhs-ocr", "testdata/hhs/breach_report_sample.csv") }
func FuzzCSVMap(f *testing.F)    { fuzzFormat(f, "csv", "testdata/csv/attacks.csv") }
func FuzzHarmtrace(f *testing.F) { fuzzFormat(f, "harmtrace", "testdata/dedup/clinic-news.json") }
