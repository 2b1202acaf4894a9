package stix

import (
	"encoding/json"
	"slices"

	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// A STIX vocabulary often maps several values to one harmtrace value
// (government-national and emergency-services are both the MISP sector
// "Government, Administration"; nation-state and spy are both a state
// actor), and harmtrace keeps one value where STIX has a list (sectors,
// threat actor types). Writing a modelled object from its record alone
// would therefore replace what its author wrote by another value that
// means the same to harmtrace. faithful keeps the kept original's
// properties wherever they still read as the record's current values; a
// record edited since the import is written from the record.

// faithful lays the kept original's properties over the written object
// where reading them gives what the record says.
func faithful(kept, written obj) {
	var o object
	raw, err := json.Marshal(kept)
	if err != nil || json.Unmarshal(raw, &o) != nil {
		return
	}
	ext, _ := written["extensions"].(obj)
	he, _ := ext[ExtHarmtrace].(obj)
	keep := func(props ...string) {
		for _, p := range props {
			if v, ok := kept[p]; ok {
				written[p] = v
			} else {
				delete(written, p)
			}
		}
	}
	if sameSources(sourcesOf(&o), he) {
		keep("external_references")
	}
	keepMarkings(kept, written)
	switch rec := he["record"].(type) {
	case trace.Organisation:
		read := identityRecord(&o)
		read.Normalise()
		if read.Kind == rec.Kind || (o.IdentityClass != "" && identityClass(rec.Kind) == identityClass(read.Kind)) {
			keep("identity_class")
		}
		if read.Sector == rec.Sector {
			keep("sectors")
		}
	case trace.Actor:
		if actorType(o.ThreatActorTypes) == rec.Type {
			keep("threat_actor_types")
		}
		read := trace.Actor{Aliases: aliasesOf(&o)}
		read.Normalise()
		if slices.Equal(read.Aliases, rec.Aliases) {
			keep("aliases")
		}
	case trace.Campaign:
		if d, err := dateOf(o.FirstSeen); err == nil && d == rec.FirstSeen {
			keep("first_seen")
		}
		if d, err := dateOf(o.LastSeen); err == nil && d == rec.LastSeen {
			keep("last_seen")
		}
	case trace.Incident:
		faithfulCore(&o, ext, rec)
	case trace.Attribution:
		if o.Confidence != nil && confidenceWords(*o.Confidence) == rec.Confidence {
			keep("confidence")
		}
		if d, err := dateOf(o.StartTime); err == nil && d != "" && d == rec.AttributedOn {
			keep("start_time")
		}
	case harm.Harm:
		// An impact's category block is written anew (nested, as the OASIS
		// schemas require); merge keeps the original's other properties.
	}
}

// keepMarkings adds the original's markings that are not TLP (a copyright
// or terms-of-use statement) to the written object's TLP marking.
func keepMarkings(kept, written obj) {
	refs, _ := kept["object_marking_refs"].([]any)
	var out []string
	for _, r := range refs {
		if id, _ := r.(string); id != "" && tlpIDs[id] == "" {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return
	}
	if tlp, ok := written["object_marking_refs"].([]string); ok {
		out = append(out, tlp...)
	}
	written["object_marking_refs"] = out
}

// faithfulCore keeps the Incident Core Extension's determination,
// incident types and order of impacts where they still read as the record.
func faithfulCore(o *object, ext obj, in trace.Incident) {
	old, err := incidentCore(o)
	written, _ := ext[ExtIncidentCore].(obj)
	if err != nil || written == nil {
		return
	}
	if d, err := determinationOf(old.Determination); err == nil && old.Determination != "" && d == in.Determination {
		written["determination"] = old.Determination
	}
	if len(old.IncidentTypes) > 0 && sameSet(attackTypesOf(o, old.IncidentTypes), in.AttackTypes) {
		written["incident_types"] = old.IncidentTypes
	}
	if refs, ok := written["impact_refs"].([]string); ok && sameSet(old.ImpactRefs, refs) {
		written["impact_refs"] = old.ImpactRefs
	}
}

// identityClass is the STIX identity class written for an organisation kind.
func identityClass(kind string) string {
	if kind == "individual" {
		return "individual"
	}
	return "organization"
}

// sameSources reports whether the sources an original names are the
// sources its record cites now.
func sameSources(list []trace.Source, he obj) bool {
	if len(list) == 0 {
		return false
	}
	cited, _ := he["sources"].([]trace.Source)
	a := make([]string, len(list))
	for i, s := range list {
		a[i] = s.ID
	}
	b := make([]string, len(cited))
	for i, s := range cited {
		b[i] = s.ID
	}
	return sameSet(a, b)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
