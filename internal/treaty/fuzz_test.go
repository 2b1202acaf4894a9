package treaty

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzCheckRequest feeds arbitrary bytes to the request check's reader
// (harmtrace check-request, POST /api/v1/check-request): a request it
// accepts is evaluated against the shipped profiles without a panic, and
// every finding cites only articles of the treaty data.
func FuzzCheckRequest(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.json")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodeRequest(bytes.NewReader(data))
		if err != nil {
			return
		}
		if _, err := Evaluate(req, seedProfile(req.RequestingState), seedProfile(req.RequestedState)); err != nil {
			t.Fatalf("a valid request fails the check: %v", err)
		}
	})
}

// FuzzProfileImport feeds arbitrary bytes to the reader of profile files
// (harmtrace profile import): profiles it accepts are valid, and a check
// between two of them runs.
func FuzzProfileImport(f *testing.F) {
	f.Add([]byte(`[{"country": "FR", "budapest": "party", "uncc": "signatory", "death_penalty": "abolished",
		"criminalises": [{"conduct": "illegal-access", "max_penalty_years": 2, "source": "Code pénal 323-1"}]}]`))
	f.Add([]byte(`[{"country": "XX", "budapest": "none", "uncc": "unknown", "death_penalty": "retained", "rights_assessment": "poor"}]`))
	f.Add([]byte(`[]`))
	request, err := os.ReadFile("testdata/hospital-preservation.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := DecodeProfiles(data)
		if err != nil || len(list) == 0 {
			return
		}
		for i := range list {
			if err := list[i].Validate(); err != nil {
				t.Fatalf("an accepted profile is not valid: %v", err)
			}
		}
		req, err := DecodeRequest(bytes.NewReader(request))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Evaluate(req, &list[0], &list[len(list)-1]); err != nil {
			t.Fatalf("a check between imported profiles fails: %v", err)
		}
	})
}
