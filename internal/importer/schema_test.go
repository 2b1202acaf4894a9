package importer_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/importer"
)

// schemaBase is where the OASIS STIX 2.1 schemas say they live; their $refs
// are relative to it. The copies are in testdata/stix21-schemas (BSD-3).
const schemaBase = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"

func stixSchemas(t *testing.T) (*jsonschema.Compiler, map[string]string) {
	c := jsonschema.NewCompiler()
	byType := map[string]string{}
	root := "testdata/stix21-schemas"
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		url := schemaBase + filepath.ToSlash(rel)
		if err := c.AddResource(url, doc); err != nil {
			return err
		}
		dir := filepath.Dir(rel)
		if dir == "sdos" || dir == "sros" || dir == "observables" {
			byType[strings.TrimSuffix(filepath.Base(rel), ".json")] = url
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	byType["marking-definition"] = schemaBase + "common/marking-definition.json"
	byType["extension-definition"] = schemaBase + "common/extension-definition.json"
	return c, byType
}

// TestExportValidatesAgainstOASISSchemas exports real and realistic data as
// STIX 2.1 and validates the bundle and each object against the OASIS
// schemas. Object types the schemas do not define (the Incident Core
// Extension's impact, custom x- objects) are checked against the common
// core schema.
func TestExportValidatesAgainstOASISSchemas(t *testing.T) {
	store := dbtest.SQLite(t)
	files := []string{"testdata/stix/hospital-incident.json", "testdata/stix/attack-ics-sample.json",
		"testdata/stix/using-marking-definitions.json", "testdata/stix/sighting-of-an-indicator.json",
		"testdata/misp/victim-event.json", "testdata/veris/clinic-ransomware.json", "testdata/hhs/breach_report_sample.csv",
		// A STIX 2.0 bundle (indicator without pattern_type, observed-data
		// with embedded objects) and TLP 1.0 granular markings.
		"testdata/stix/attack-enterprise-2.0-sample.json", "testdata/stix/civil-society-threats.json"}
	if _, err := importFiles(t, store, importer.Options{TLP: "clear"}, files...); err != nil {
		t.Fatal(err)
	}
	c, byType := stixSchemas(t)
	bundleSchema, err := c.Compile(schemaBase + "common/bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	compiled := map[string]*jsonschema.Schema{}
	for _, tlp := range []string{"", "clear"} {
		exported := exportSTIX(t, store, tlp)
		var bundle struct {
			Type    string            `json:"type"`
			ID      string            `json:"id"`
			Objects []json.RawMessage `json:"objects"`
		}
		if err := json.Unmarshal(exported, &bundle); err != nil {
			t.Fatal(err)
		}
		dangling, err := danglingRefs(exported)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dangling {
			t.Errorf("export (tlp %q) refers to an object it does not hold: %s", tlp, d)
		}
		// bundle.json checks types it does not enumerate (incident,
		// location, impact, x-…) against a oneOf of the SDO and SCO cores,
		// which such an object can match both of; so the envelope is checked
		// with the enumerated types, and every object on its own below.
		var enumerated []json.RawMessage
		for _, raw := range bundle.Objects {
			var head struct{ Type string }
			_ = json.Unmarshal(raw, &head)
			if _, ok := byType[head.Type]; ok && head.Type != "incident" && head.Type != "location" &&
				head.Type != "note" && head.Type != "grouping" && head.Type != "opinion" && head.Type != "extension-definition" {
				enumerated = append(enumerated, raw)
			}
		}
		envelope, _ := json.Marshal(map[string]any{"type": bundle.Type, "id": bundle.ID, "objects": enumerated})
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(envelope)))
		if err != nil {
			t.Fatal(err)
		}
		if err := bundleSchema.Validate(inst); err != nil {
			t.Errorf("bundle (tlp %q) does not validate against bundle.json: %v", tlp, err)
		}
		types := map[string]int{}
		for _, raw := range bundle.Objects {
			var head struct{ Type, ID string }
			_ = json.Unmarshal(raw, &head)
			types[head.Type]++
			url, ok := byType[head.Type]
			if !ok {
				url = schemaBase + "common/core.json"
			}
			s := compiled[url]
			if s == nil {
				if s, err = c.Compile(url); err != nil {
					t.Fatal(err)
				}
				compiled[url] = s
			}
			obj, _ := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
			if err := s.Validate(obj); err != nil {
				t.Errorf("%s does not validate against %s: %v", head.ID, url[len(schemaBase):], err)
			}
		}
		for _, want := range []string{"incident", "identity", "impact", "relationship", "marking-definition"} {
			if types[want] == 0 {
				t.Errorf("export (tlp %q) has no %s object", tlp, want)
			}
		}
	}
}
