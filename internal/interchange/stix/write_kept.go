package stix

import (
	"sort"
	"strings"
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
				wr.out[id] = merge(k, gen)
			}
		default:
			wr.out[id] = wr.upgrade(k)
		}
	}
}

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
						core[ck] = cv
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
	if k["type"] == "malware" && k["is_family"] == nil {
		k["is_family"] = true // the 2.0 default meaning of a malware object
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

// dropDanglingRelationships removes what would point outside the bundle:
// relationships to objects not written (hidden by marking, or deleted),
// references to impacts and objects not written, and creators not written.
func (wr *writer) dropDanglingRelationships() {
	for id, o := range wr.out {
		if o["type"] == "relationship" || o["type"] == "sighting" {
			src, _ := o["source_ref"].(string)
			dst, _ := o["target_ref"].(string)
			if o["type"] == "sighting" {
				src, _ = o["sighting_of_ref"].(string)
				dst = src
			}
			if wr.out[src] == nil || wr.out[dst] == nil {
				delete(wr.out, id)
				continue
			}
		}
		if by, ok := o["created_by_ref"].(string); ok && wr.out[by] == nil {
			delete(o, "created_by_ref")
		}
		if refs, ok := o["object_refs"].([]any); ok {
			var kept []any
			for _, r := range refs {
				if s, _ := r.(string); wr.out[s] != nil || isMarking(s) {
					kept = append(kept, r)
				}
			}
			if len(kept) == 0 {
				delete(wr.out, id)
				continue
			}
			o["object_refs"] = kept
		}
		for _, key := range []string{"x_harmtrace_modelled", "x_harmtrace_tlp", "x_harmtrace_link"} {
			delete(o, key)
		}
	}
}

func isMarking(id string) bool { return strings.HasPrefix(id, "marking-definition--") }

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
