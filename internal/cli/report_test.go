package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestReportOfTheBundledData is what a journalist quotes from `harmtrace
// report --format json` on the data serve loads: caveats and the method
// travel with it, the open possible duplicates are counted and disclosed,
// and the harm the HHS OCR portal does not record reads as unknown (null),
// never as 0.
func TestReportOfTheBundledData(t *testing.T) {
	eachStore(t, func(t *testing.T, store []string) {
		if code, _, stderr := harmtrace(t, store, "seed"); code != 0 {
			t.Fatalf("seed: %s", stderr)
		}
		code, out, stderr := harmtrace(t, store, "report", "--format", "json")
		if code != 0 {
			t.Fatalf("report: %s", stderr)
		}
		var r struct {
			Incidents      int             `json:"incidents"`
			DistinctMin    int             `json:"distinct_incidents_min"`
			OpenDuplicates int             `json:"open_duplicates"`
			Caveats        []string        `json:"caveats"`
			MethodURL      string          `json:"method_url"`
			Headline       string          `json:"headline"`
			Records        json.RawMessage `json:"records_exposed"`
			Disruption     json.RawMessage `json:"service_disruption_days"`
			Deaths         json.RawMessage `json:"deaths"`
			Injuries       json.RawMessage `json:"injuries"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		if r.Incidents != 1398 || r.OpenDuplicates == 0 || r.DistinctMin >= r.Incidents {
			t.Errorf("incidents %d, open duplicates %d, at least %d distinct", r.Incidents, r.OpenDuplicates, r.DistinctMin)
		}
		if r.MethodURL != "/method" || len(r.Caveats) < 3 || !strings.Contains(strings.Join(r.Caveats, " "), "possible duplicates not yet reviewed") {
			t.Errorf("method %q, caveats %q", r.MethodURL, r.Caveats)
		}
		for name, raw := range map[string]json.RawMessage{"records": r.Records, "disruption": r.Disruption, "deaths": r.Deaths, "injuries": r.Injuries} {
			if !strings.Contains(string(raw), `"min": null`) || !strings.Contains(string(raw), `"unknown_incidents": 1398`) {
				t.Errorf("%s = %s, want unknown for all 1,398 incidents", name, raw)
			}
		}
		code, text, _ := harmtrace(t, store, "report")
		if code != 0 || strings.Contains(text, "at least 0") || !strings.Contains(text, "deaths               unknown") {
			t.Errorf("text report:\n%s", text)
		}
	})
}
