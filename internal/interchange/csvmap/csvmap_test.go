package csvmap_test

import (
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/interchange/csvmap"
)

// TestEveryIncidentCitesASource: a mapping or a row that would leave an
// incident without a source is refused where it is wrong (the mapping's
// field, the row's line and column), not later by the store.
func TestEveryIncidentCitesASource(t *testing.T) {
	for _, tc := range []struct {
		name, mapping, csv string
		loadErr, readErr   string // "" when it must succeed
	}{
		{name: "dataset source", mapping: `{"source":{"title":"Sheet"},"columns":{"Victim":"organisation.name"}}`, csv: "Victim\nClinic\n"},
		{name: "URL column, every row has one", mapping: `{"columns":{"Victim":"organisation.name","Link":"source.url"}}`, csv: "Victim,Link\nClinic,https://example.org/a\n"},
		{name: "URL column and dataset source, a row without URL", mapping: `{"source":{"url":"https://example.org/sheet"},"columns":{"Victim":"organisation.name","Link":"source.url"}}`, csv: "Victim,Link\nClinic,\n"},
		{name: "neither source nor URL column", mapping: `{"columns":{"Victim":"organisation.name"}}`, csv: "Victim\nClinic\n",
			loadErr: `m.json: field "source": every incident cites a source`},
		{name: "a source with a publisher only", mapping: `{"source":{"publisher":"Network"},"columns":{"Victim":"organisation.name"}}`, csv: "Victim\nClinic\n",
			loadErr: `m.json: field "source"`},
		{name: "URL column, a row without URL and no dataset source", mapping: `{"columns":{"Victim":"organisation.name","Link":"source.url"}}`,
			csv: "Victim,Link\nClinic,https://example.org/a\nSchool,  \n", readErr: `f.csv: line 3, column 2 ("Link"): the row has no source URL`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := csvmap.LoadMapping([]byte(tc.mapping), "m.json")
			if tc.loadErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.loadErr) {
					t.Fatalf("LoadMapping: got %v, want an error containing %q", err, tc.loadErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			doc, err := csvmap.Read(strings.NewReader(tc.csv), "f.csv", m, "")
			if tc.readErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.readErr) {
					t.Fatalf("Read: got %v, want an error containing %q", err, tc.readErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range doc.Incidents {
				if len(in.SourceIDs) == 0 {
					t.Errorf("incident %s cites no source", in.ID)
				}
			}
		})
	}
}
