package importer_test

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/importer"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// fidelityFiles are STIX bundles whose objects harmtrace models, with the
// vocabularies that map many STIX values to one harmtrace value: an
// individual, government-national and several sectors, threat actors of
// several types, an Incident Core Extension "blocked" determination, a
// campaign seen at a time of day, and a STIX 2.0 extract of ATT&CK.
var fidelityFiles = []string{"testdata/stix/hospital-incident.json", "testdata/stix/civil-society-threats.json",
	"testdata/stix/attack-enterprise-2.0-sample.json"}

// ignoredOnExport are the properties an export may change: the version
// and the markings (written as TLP 2.0).
var ignoredOnExport = map[string]bool{"spec_version": true, "object_marking_refs": true,
	"granular_markings": true, "extensions": true}

// TestSTIXExportKeepsWhatItImported imports bundles, exports them, and
// expects every property of every object back as it came, modelled objects
// included: created is not the import time, a sector or a type is not
// replaced by another that maps to the same harmtrace value.
func TestSTIXExportKeepsWhatItImported(t *testing.T) {
	store := dbtest.SQLite(t)
	if _, err := importFiles(t, store, importer.Options{TLP: "clear"}, fidelityFiles...); err != nil {
		t.Fatal(err)
	}
	exported := objectsByID(t, exportSTIX(t, store, ""))
	for _, f := range fidelityFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var b struct{ Objects []map[string]any }
		if err := json.Unmarshal(data, &b); err != nil {
			t.Fatal(err)
		}
		for _, orig := range b.Objects {
			id := orig["id"].(string)
			if orig["type"] == "marking-definition" && strings.Contains(string(data), `"tlp"`) && exported[id] == nil {
				continue // TLP definitions are written anew, as TLP 2.0
			}
			got := exported[id]
			if got == nil {
				t.Errorf("%s: %s is missing from the export", f, id)
				continue
			}
			for k, want := range orig {
				if ignoredOnExport[k] || (k == "objects" && orig["type"] == "observed-data" && got["object_refs"] != nil) {
					continue // STIX 2.0 embedded observables become objects of their own
				}
				if !reflect.DeepEqual(got[k], want) {
					t.Errorf("%s: %s: %q = %v, want %v as imported", f, id, k, got[k], want)
				}
			}
			// Markings other than TLP (a copyright statement) come back too.
			for _, m := range nonTLP(orig["object_marking_refs"]) {
				if !slices.Contains(nonTLP(got["object_marking_refs"]), m) {
					t.Errorf("%s: %s: marking %s is missing from the export", f, id, m)
				}
			}
			// The Incident Core Extension's values come back too.
			wantCore := incidentCore(orig)
			gotCore := incidentCore(got)
			for k, want := range wantCore {
				if !reflect.DeepEqual(gotCore[k], want) {
					t.Errorf("%s: %s: incident core %q = %v, want %v", f, id, k, gotCore[k], want)
				}
			}
		}
	}
}

// nonTLP lists the marking references that are not TLP definitions.
func nonTLP(refs any) []string {
	list, _ := refs.([]any)
	var out []string
	for _, r := range list {
		s, _ := r.(string)
		if !tlpDefinitions[s] {
			out = append(out, s)
		}
	}
	return out
}

var tlpDefinitions = map[string]bool{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": true, "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": true,
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": true, "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": true,
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": true, "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": true,
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": true, "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": true,
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": true,
}

func incidentCore(o map[string]any) map[string]any {
	ext, _ := o["extensions"].(map[string]any)
	core, _ := ext["extension-definition--ef765651-680c-498d-9894-99799f2fa126"].(map[string]any)
	return core
}

func objectsByID(t *testing.T, bundle []byte) map[string]map[string]any {
	t.Helper()
	var b struct{ Objects []map[string]any }
	if err := json.Unmarshal(bundle, &b); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, o := range b.Objects {
		out[o["id"].(string)] = o
	}
	return out
}

// danglingRefs lists the references of a bundle's objects (any *_ref,
// *_refs, granular marking_ref) to objects the bundle does not hold.
func danglingRefs(bundle []byte) ([]string, error) {
	var b struct{ Objects []map[string]any }
	if err := json.Unmarshal(bundle, &b); err != nil {
		return nil, err
	}
	has := map[string]bool{}
	for _, o := range b.Objects {
		has[o["id"].(string)] = true
	}
	var out []string
	var walk func(owner string, v any)
	check := func(owner, key string, v any) {
		if s, ok := v.(string); ok && strings.Contains(s, "--") && !has[s] {
			out = append(out, owner+" "+key+" → "+s)
		}
	}
	walk = func(owner string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				switch {
				case strings.HasSuffix(k, "_ref"):
					check(owner, k, x)
				case strings.HasSuffix(k, "_refs"):
					list, _ := x.([]any)
					for _, e := range list {
						check(owner, k, e)
					}
				case k == "objects":
					// observed-data's embedded observables refer to each
					// other by key.
				case k == "extensions":
					// Extensions hold records, not STIX references, but
					// for the Incident Core Extension's impacts.
					ext, _ := x.(map[string]any)
					core, _ := ext["extension-definition--ef765651-680c-498d-9894-99799f2fa126"].(map[string]any)
					refs, _ := core["impact_refs"].([]any)
					for _, e := range refs {
						check(owner, "impact_refs", e)
					}
				default:
					walk(owner, x)
				}
			}
		case []any:
			for _, x := range v {
				walk(owner, x)
			}
		}
	}
	for _, o := range b.Objects {
		walk(o["id"].(string), o)
	}
	slices.Sort(out)
	return out, nil
}

// TestVERISKeepsCreated keeps a VERIS record's plus.created and
// plus.modified as its incident's, not the import time.
func TestVERISKeepsCreated(t *testing.T) {
	store := dbtest.SQLite(t)
	if _, err := importFiles(t, store, importer.Options{TLP: "clear"}, "testdata/veris/clinic-ransomware.json"); err != nil {
		t.Fatal(err)
	}
	in, err := trace.GetIncident(ctx, store, "incident--3c1f0a2e-9b7d-4e6a-8f5c-1d2e3f4a5b61")
	if err != nil {
		t.Fatal(err)
	}
	if got := in.Created.Format(time.RFC3339Nano); got != "2023-07-05T09:12:44.018Z" {
		t.Errorf("created = %s, want the record's plus.created", got)
	}
	if got := in.Updated.Format(time.RFC3339Nano); got != "2023-07-06T14:02:10.551Z" {
		t.Errorf("updated = %s, want the record's plus.modified", got)
	}
}

// TestClearExportNamesNoHiddenImpact marks the impacts of an incident
// amber: the clear export leaves them out, and the incident's Incident Core
// Extension no longer lists them.
func TestClearExportNamesNoHiddenImpact(t *testing.T) {
	store := dbtest.SQLite(t)
	if _, err := importFiles(t, store, importer.Options{TLP: "clear"}, "testdata/stix/hospital-incident.json"); err != nil {
		t.Fatal(err)
	}
	hidden := []string{"impact--1e6a9b0e-7d5a-4b8e-9c1a-2f3b4c5d6e07", "impact--1e6a9b0e-7d5a-4b8e-9c1a-2f3b4c5d6e08",
		"impact--1e6a9b0e-7d5a-4b8e-9c1a-2f3b4c5d6e09"}
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		for _, id := range hidden {
			h, err := harm.Get(ctx, tx, id)
			if err != nil {
				return err
			}
			h.TLP = "amber"
			if _, err = harm.Save(ctx, tx, h); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	exported := exportSTIX(t, store, "clear")
	for _, id := range hidden {
		if strings.Contains(string(exported), id) {
			t.Errorf("the clear export names the amber impact %s", id)
		}
	}
	dangling, err := danglingRefs(exported)
	if err != nil || len(dangling) > 0 {
		t.Errorf("dangling references %v (%v)", dangling, err)
	}
}
