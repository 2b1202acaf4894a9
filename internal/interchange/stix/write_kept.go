package stix

import (
	"fmt"
	"sort"
	"strings"

	"github.com/harmtrace/harmtrace/internal/trace"
)

// keptObjects gives back the objects kept at import. A modelled object is
// written through its record, so an edited record wins over the original
// and a deleted or hidden one is not written; the original's other
// properties are kept. Unmodelled objects are written as they came,
// upgraded to STIX 2.1.
func (wr *writer) keptObjects() {
	for id, k := range wr.kept {
		modelled, _ := k["x_harmtrace_modelled"].(bool)
		typ, _ := k["type"].(string)
		switch {
		case typ == "relationship" && modelled && wr.out[id] == nil:
			wr.keptLink(k)
		case modelled:
			if gen, ok := wr.out[id]; ok {
				faithful(k, gen)
				wr.out[id] = merge(k, gen)
			}
		default:
			wr.out[id] = wr.upgrade(k)
		}
	}
}

// sameLink lists, for a relationship type the reader accepts, the type
// harmtrace writes for the same link (an incident related-to a campaign is
// written associated-with): the kept original is given back either way.
var sameLink = map[string][]string{"related-to": {"associated-with"}, "impacts": {"targets"}, "located-at": {"targets"}}

// linkKey names a link by its ends; a location end is named by its country
// so that a kept location and a written one compare equal.
func (wr *writer) linkKey(source, typ, target string) string {
	if k, ok := wr.kept[target]; ok && k["type"] == "location" {
		if c, _ := k["country"].(string); c != "" {
			target = wr.location(strings.ToUpper(c))
		}
	}
	return source + "|" + typ + "|" + target
}

func (wr *writer) keptLink(k obj) {
	src, _ := k["source_ref"].(string)
	dst, _ := k["target_ref"].(string)
	typ, _ := k["relationship_type"].(string)
	key := wr.linkKey(src, typ, dst)
	for _, alt := range sameLink[typ] {
		if !wr.links[key] {
			key = wr.linkKey(src, alt, dst)
		}
	}
	if !wr.links[key] {
		return // the link was removed since the import
	}
	for id, o := range wr.out {
		if o["x_harmtrace_link"] == key {
			if role, ok := o["x_harmtrace_role"]; ok {
				k["x_harmtrace_role"] = role
			}
			if refs, ok := o["object_marking_refs"]; ok {
				k["object_marking_refs"] = refs
			} else {
				delete(k, "object_marking_refs")
			}
			delete(wr.out, id)
		}
	}
	wr.out[k["id"].(string)] = wr.upgrade(k)
}

// merge lays the written object over the kept one: written properties win,
// extensions are merged one level deep, and the kept incident's
// investigation status (which harmtrace does not track) survives.
func merge(kept, written obj) obj {
	out := obj{}
	for k, v := range kept {
		out[k] = v
	}
	for k, v := range written {
		out[k] = v
	}
	keptExt, _ := kept["extensions"].(map[string]any)
	writtenExt, _ := written["extensions"].(obj)
	if keptExt != nil && writtenExt != nil {
		ext := obj{}
		for k, v := range keptExt {
			// Keys STIX 2.1 does not allow (the Incident Core Extension
			// draft's bare category blocks) are written anew, nested.
			if strings.HasPrefix(k, "extension-definition--") || strings.HasSuffix(k, "-ext") {
				ext[k] = v
			}
		}
		for k, v := range writtenExt {
			if k == ExtIncidentCore {
				if old, ok := keptExt[k].(map[string]any); ok {
					core := obj{}
					for ck, cv := range old {
						if ck != "impact_refs" { // the impacts written, if any, are the record's
							core[ck] = cv
						}
					}
					for ck, cv := range v.(obj) {
						if ck == "investigation_status" && old[ck] != nil {
							continue
						}
						core[ck] = cv
					}
					v = core
				}
			}
			ext[k] = v
		}
		out["extensions"] = ext
	}
	out["spec_version"] = "2.1"
	return out
}

// upgrade makes a kept STIX 2.0 object valid STIX 2.1 and uses TLP 2.0
// marking ids.
func (wr *writer) upgrade(k obj) obj {
	k["spec_version"] = "2.1"
	switch k["type"] {
	case "malware":
		if k["is_family"] == nil {
			k["is_family"] = true // the 2.0 default meaning of a malware object
		}
	case "indicator":
		if k["pattern_type"] == nil {
			k["pattern_type"] = "stix" // STIX 2.0 patterns are STIX patterns
		}
		if k["valid_from"] == nil {
			k["valid_from"] = k["created"]
		}
	case "observed-data":
		wr.observables(k)
	}
	// The object's TLP is the one harmtrace settled at import (its own,
	// or stricter): it replaces whatever TLP marking the original carried,
	// so an object without one in its source is never written unmarked.
	var out []string
	if refs, ok := k["object_marking_refs"].([]any); ok {
		for _, r := range refs {
			if id, _ := r.(string); tlpIDs[id] == "" {
				out = append(out, id)
			}
		}
	}
	if t, _ := k["x_harmtrace_tlp"].(string); t != "" {
		wr.markings[t] = true
		out = append(out, tlp2IDs[t])
	}
	if len(out) > 0 {
		k["object_marking_refs"] = out
	} else {
		delete(k, "object_marking_refs")
	}
	return k
}

// observables turns the observables a STIX 2.0 observed-data embeds
// (objects, keyed "0", "1", …, referring to each other by key) into STIX
// 2.1 cyber-observable objects of their own, with ids derived from the
// observed-data's id and the key, listed in object_refs. They carry the
// observed-data's marking.
func (wr *writer) observables(od obj) {
	embedded, ok := od["objects"].(map[string]any)
	if !ok || od["object_refs"] != nil {
		return
	}
	odID, _ := od["id"].(string)
	ids := map[string]string{}
	for key, v := range embedded {
		sco, _ := v.(map[string]any)
		typ, _ := sco["type"].(string)
		if typ == "" {
			return // not an observable: leave the object as it came
		}
		ids[key] = trace.DerivedID(typ, "observed-data|"+odID+"|"+key)
	}
	var refs []string
	for key, v := range embedded {
		sco := v.(map[string]any)
		rekeyRefs(sco, ids)
		sco["id"], sco["spec_version"] = ids[key], "2.1"
		sco["x_harmtrace_tlp"] = od["x_harmtrace_tlp"]
		wr.out[ids[key]] = wr.upgrade(sco)
		refs = append(refs, ids[key])
	}
	sort.Strings(refs)
	od["object_refs"] = refs
	delete(od, "objects")
}

// rekeyRefs replaces, in an embedded observable, the keys of the
// observables it refers to (src_ref "0", contains_refs ["1"]) by their ids.
func rekeyRefs(v map[string]any, ids map[string]string) {
	for k, e := range v {
		switch e := e.(type) {
		case string:
			if id, ok := ids[e]; ok && strings.HasSuffix(k, "_ref") {
				v[k] = id
			}
		case []any:
			if strings.HasSuffix(k, "_refs") {
				for i, x := range e {
					if id, ok := ids[fmt.Sprint(x)]; ok {
						e[i] = id
					}
				}
			}
		case map[string]any:
			rekeyRefs(e, ids)
		}
	}
}

// dropDanglingRelationships removes what would point outside the bundle:
// relationships and sightings whose ends are not written (hidden by
// marking, or deleted), reports and groupings left with nothing to refer
// to, and every other reference to an object not written (a creator, a
// granular marking of a definition the bundle lacks, a custom x_…_ref).
// Dropping an object can leave another dangling, so it runs until nothing
// changes.
func (wr *writer) dropDanglingRelationships() {
	for changed := true; changed; {
		changed = false
		for id, o := range wr.out {
			if wr.dangles(o) {
				delete(wr.out, id)
				changed = true
			}
		}
	}
	for _, o := range wr.out {
		wr.granularTLP(o)
		for key, v := range o {
			if key != "extensions" && key != "object_refs" {
				o[key] = wr.pruneRefs(key, v)
			}
			if o[key] == nil {
				delete(o, key)
			}
		}
		for _, key := range []string{"x_harmtrace_modelled", "x_harmtrace_tlp", "x_harmtrace_link"} {
			delete(o, key)
		}
	}
}

// dangles reports whether an object cannot stand without an object the
// bundle does not hold.
func (wr *writer) dangles(o obj) bool {
	switch o["type"] {
	case "relationship":
		src, _ := o["source_ref"].(string)
		dst, _ := o["target_ref"].(string)
		return !wr.holds(src) || !wr.holds(dst)
	case "sighting":
		of, _ := o["sighting_of_ref"].(string)
		return !wr.holds(of)
	}
	refs, ok := o["object_refs"].([]any)
	if !ok {
		return false
	}
	var kept []any
	for _, r := range refs {
		if s, _ := r.(string); wr.holds(s) {
			kept = append(kept, r)
		}
	}
	if len(kept) == 0 {
		return true
	}
	o["object_refs"] = kept
	return false
}

// holds reports whether the bundle holds the object id: written, or a TLP
// 2.0 definition the bundle will carry.
func (wr *writer) holds(id string) bool {
	if wr.out[id] != nil {
		return true
	}
	t, ok := tlpIDs[id]
	return ok && tlp2IDs[t] == id && wr.markings[t]
}

// pruneRefs returns v without its references to objects not written: a
// *_ref to one is dropped (nil), a *_refs list keeps the others. Nested
// properties (granular markings, kill chains, custom structures) are
// pruned the same way.
func (wr *writer) pruneRefs(key string, v any) any {
	switch v := v.(type) {
	case string:
		if strings.HasSuffix(key, "_ref") && strings.Contains(v, "--") && !wr.holds(v) {
			return nil
		}
	case []any:
		var kept []any
		for _, e := range v {
			if e = wr.pruneRefs(strings.TrimSuffix(key, "s"), e); e != nil {
				kept = append(kept, e)
			}
		}
		if len(kept) == 0 && len(v) > 0 {
			return nil
		}
		return kept
	case []string:
		var kept []any
		for _, e := range v {
			if wr.pruneRefs(strings.TrimSuffix(key, "s"), e) != nil {
				kept = append(kept, e)
			}
		}
		if len(kept) == 0 && len(v) > 0 {
			return nil
		}
		return kept
	case map[string]any:
		for k, e := range v {
			if e = wr.pruneRefs(k, e); e == nil {
				delete(v, k)
			} else {
				v[k] = e
			}
		}
		if v["selectors"] != nil && v["marking_ref"] == nil && v["lang"] == nil {
			return nil // a granular marking whose definition is not written
		}
	}
	return v
}

// granularTLP rewrites the TLP 1.0 ids of an object's granular markings
// as TLP 2.0 ids, whose definitions the bundle then carries.
func (wr *writer) granularTLP(o obj) {
	list, _ := o["granular_markings"].([]any)
	for _, g := range list {
		m, _ := g.(map[string]any)
		ref, _ := m["marking_ref"].(string)
		if t, ok := tlpIDs[ref]; ok {
			m["marking_ref"] = tlp2IDs[t]
			wr.markings[t] = true
		}
	}
}

// markingDefinitions returns the TLP 2.0 definitions the bundle uses. The
// harmtrace extension's definition is documented in docs/formats.md but not
// written into bundles: the OASIS bundle schema does not accept
// extension-definition objects.
func (wr *writer) markingDefinitions() []obj {
	var names []string
	for t := range wr.markings {
		names = append(names, t)
	}
	sort.Strings(names)
	var out []obj
	for _, t := range names {
		out = append(out, obj{"type": "marking-definition", "spec_version": "2.1", "id": tlp2IDs[t],
			"created": "2022-10-01T00:00:00.000Z", "name": "TLP:" + strings.ToUpper(t),
			"extensions": obj{ExtTLP2: obj{"extension_type": "property-extension", "tlp_2_0": t}}})
	}
	return out
}

// harmtraceIdentity is the id of the identity that defines the harmtrace
// extension, in docs/formats.md.
const harmtraceIdentity = "identity--3f6b6f1c-9a51-4c1e-8f0e-6d1a8e2b7c41"
