package stix

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

type obj = map[string]any

// writer builds a STIX 2.1 bundle from a Document.
type writer struct {
	doc      *interchange.Document
	maxTLP   string
	sources  map[string]trace.Source
	kept     map[string]obj // kept objects by id
	out      map[string]obj
	links    map[string]bool // current link relationships, "source|type|target"
	incTLP   map[string]string
	markings map[string]bool
	// places maps a country code to a kept location object of that country,
	// so links reuse it instead of writing a second location.
	places map[string]string
}

// Write writes doc as one STIX 2.1 bundle. Records become identities,
// threat actors or intrusion sets, campaigns, incidents with the Incident
// Core Extension, impacts and attributed-to relationships, each carrying
// the harmtrace extension so that nothing is lost; kept objects are given
// back, the modelled ones updated with the records' current values.
func Write(w io.Writer, doc *interchange.Document, maxTLP string) error {
	wr := &writer{doc: doc, maxTLP: maxTLP, sources: map[string]trace.Source{}, kept: map[string]obj{},
		out: map[string]obj{}, links: map[string]bool{}, incTLP: map[string]string{}, markings: map[string]bool{},
		places: map[string]string{}}
	for _, s := range doc.Sources {
		wr.sources[s.ID] = s
	}
	for _, o := range doc.Objects {
		var m obj
		if json.Unmarshal(o.Body, &m) == nil {
			m["x_harmtrace_modelled"] = o.Modelled
			m["x_harmtrace_tlp"] = o.TLP
			wr.kept[o.ID] = m
			if c, _ := m["country"].(string); o.Type == "location" && c != "" {
				if old, ok := wr.places[strings.ToUpper(c)]; !ok || o.ID < old {
					wr.places[strings.ToUpper(c)] = o.ID
				}
			}
		}
	}
	wr.records()
	wr.keptObjects()
	wr.dropDanglingRelationships()
	objects := make([]obj, 0, len(wr.out)+6)
	ids := make([]string, 0, len(wr.out))
	for id := range wr.out {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		objects = append(objects, wr.out[id])
	}
	objects = append(wr.markingDefinitions(), objects...)
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id))
	}
	bundle := obj{"type": "bundle", "id": trace.DerivedID("bundle", hex.EncodeToString(h.Sum(nil))), "objects": objects}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(bundle)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		t = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// dateStamp turns a partial date into a STIX timestamp at its first moment.
func dateStamp(d trace.Date) string {
	s := string(d)
	switch d.Precision() {
	case "year":
		s += "-01-01"
	case "month":
		s += "-01"
	case "unknown":
		return ""
	}
	return s + "T00:00:00.000Z"
}

func (wr *writer) mark(o obj, tlp string) {
	if tlp == "" {
		return
	}
	o["object_marking_refs"] = []string{tlp2IDs[tlp]}
	wr.markings[tlp] = true
}

// catalogueTLP marks what harmtrace writes of the world's common facts (a
// country's location): clear.
func (wr *writer) catalogueTLP() string { return "clear" }

// tlpOf is the marking of a written object.
func (wr *writer) tlpOf(id string) string {
	refs, _ := wr.out[id]["object_marking_refs"].([]string)
	for _, r := range refs {
		if t, ok := tlpIDs[r]; ok {
			return t
		}
	}
	return wr.catalogueTLP()
}

func (wr *writer) base(typ, id string, created, updated time.Time, record any, sourceIDs []string) obj {
	o := obj{"type": typ, "spec_version": "2.1", "id": id, "created": stamp(created), "modified": stamp(updated)}
	ext := obj{"extension_type": "property-extension", "record": record}
	var refs []obj
	var srcs []trace.Source
	for _, sid := range sourceIDs {
		s, ok := wr.sources[sid]
		if !ok {
			continue
		}
		srcs = append(srcs, s)
		name := s.Publisher
		if name == "" {
			name = "harmtrace"
		}
		ref := obj{"source_name": name, "description": s.Title, "external_id": s.ID}
		if s.URL != "" {
			ref["url"] = s.URL
		}
		refs = append(refs, ref)
	}
	if len(srcs) > 0 {
		ext["sources"] = srcs
		o["external_references"] = refs
	}
	o["extensions"] = obj{ExtHarmtrace: ext}
	return o
}

func (wr *writer) put(o obj) { wr.out[o["id"].(string)] = o }

func (wr *writer) records() {
	for _, org := range wr.doc.Organisations {
		o := wr.base("identity", org.ID, org.Created, org.Updated, org, nil)
		o["name"] = org.Name
		o["identity_class"] = "organization"
		if org.Kind == "individual" {
			o["identity_class"] = "individual"
		}
		if org.Description != "" {
			o["description"] = org.Description
		}
		if s := stixSector(org.Sector); s != "" {
			o["sectors"] = []string{s}
		}
		wr.mark(o, org.TLP)
		wr.put(o)
		if org.Country != "" {
			wr.link(org.ID, "located-at", wr.location(org.Country), "")
		}
	}
	for _, a := range wr.doc.Actors {
		typ, _, _ := strings.Cut(a.ID, "--")
		o := wr.base(typ, a.ID, a.Created, a.Updated, a, nil)
		o["name"] = a.Name
		if a.Description != "" {
			o["description"] = a.Description
		}
		if len(a.Aliases) > 0 {
			o["aliases"] = a.Aliases
		}
		if t, ok := stixActorTypes[a.Type]; ok && typ == "threat-actor" {
			o["threat_actor_types"] = []string{t}
		}
		wr.mark(o, a.TLP)
		wr.put(o)
	}
	for _, c := range wr.doc.Campaigns {
		o := wr.base("campaign", c.ID, c.Created, c.Updated, c, nil)
		o["name"] = c.Name
		if c.Description != "" {
			o["description"] = c.Description
		}
		if s := dateStamp(c.FirstSeen); s != "" {
			o["first_seen"] = s
		}
		if s := dateStamp(c.LastSeen); s != "" {
			o["last_seen"] = s
		}
		wr.mark(o, c.TLP)
		wr.put(o)
	}
	harmsOf := map[string][]string{}
	for _, h := range wr.doc.Harms {
		harmsOf[h.IncidentID] = append(harmsOf[h.IncidentID], h.ID)
	}
	for _, in := range wr.doc.Incidents {
		wr.incident(in, harmsOf[in.ID])
	}
	for _, h := range wr.doc.Harms {
		wr.impact(h)
	}
	for _, a := range wr.doc.Attributions {
		owner := a.IncidentID + a.CampaignID
		o := wr.base("relationship", a.ID, a.Created, a.Updated, a, a.SourceIDs)
		o["relationship_type"], o["source_ref"], o["target_ref"] = "attributed-to", owner, a.ActorID
		if a.Basis != "" {
			o["description"] = a.Basis
		}
		if n, ok := confidenceNumber[a.Confidence]; ok {
			o["confidence"] = n
		}
		if s := dateStamp(a.AttributedOn); s != "" {
			o["start_time"] = s
		}
		wr.mark(o, a.TLP)
		wr.put(o)
	}
}

func (wr *writer) incident(in trace.Incident, impacts []string) {
	wr.incTLP[in.ID] = in.TLP
	o := wr.base("incident", in.ID, in.Created, in.Updated, in, in.SourceIDs)
	o["name"] = in.Title
	if in.Summary != "" {
		o["description"] = in.Summary
	}
	core := obj{"extension_type": "property-extension", "determination": iceDetermination[in.Determination],
		"investigation_status": "open", "incident_types": in.AttackTypes}
	if len(impacts) > 0 {
		core["impact_refs"] = impacts
	}
	o["extensions"].(obj)[ExtIncidentCore] = core
	wr.mark(o, in.TLP)
	wr.put(o)
	for _, v := range in.Victims {
		wr.link(in.ID, "targets", v.OrganisationID, v.Role)
	}
	for _, c := range in.Countries {
		wr.link(in.ID, "targets", wr.location(c), "")
	}
	if in.CampaignID != "" {
		wr.link(in.ID, "associated-with", in.CampaignID, "")
	}
}

// impactCategories gives the Incident Core Extension impact category of
// each harmtrace indicator.
var impactCategories = map[string]string{
	"records-exposed": "confidentiality", "people-affected": "external", "patients-affected": "external",
	"service-disruption-days": "availability", "facilities-affected": "availability", "care-cancelled": "external",
	"care-diverted": "external", "deaths": "physical", "injuries": "physical", "ransom-demanded": "monetary",
	"ransom-paid": "monetary", "financial-loss": "monetary", "other": "external",
}

func (wr *writer) impact(h harm.Harm) {
	o := wr.base("impact", h.ID, h.Created, h.Updated, h, h.SourceIDs)
	category := impactCategories[h.Indicator]
	o["impact_category"] = category
	if h.Description != "" {
		o["description"] = h.Description
	}
	if h.OrganisationID != "" {
		o["impacted_refs"] = []string{h.OrganisationID}
	}
	block := obj{}
	switch category {
	case "confidentiality":
		if h.Min != nil && h.Max != nil && *h.Min == *h.Max {
			block["record_count"] = *h.Min
		}
		for _, t := range h.DataTypes {
			for ice, ours := range informationTypes {
				if ours == t && ice != "credentials" && ice != "payment" && ice != "credentials-admin" {
					block["information_type"] = ice
				}
			}
		}
	case "monetary":
		block["variety"] = map[string]string{"ransom-demanded": "ransom-demand", "ransom-paid": "ransom-payment"}[h.Indicator]
		if block["variety"] == "" {
			block["variety"] = "response-and-recovery"
		}
		block["currency"] = h.Unit
		if h.Min != nil {
			block["min_amount"] = *h.Min
		}
		if h.Max != nil {
			block["max_amount"] = *h.Max
		}
	case "external":
		block["impact_type"] = "public-health"
	}
	// The Incident Core Extension draft keys the category block by the
	// category's name, which the OASIS STIX 2.1 schemas do not allow as an
	// extension key; the block goes inside the impact extension instead.
	// The reader accepts both.
	ext := o["extensions"].(obj)
	ext[ExtImpact] = obj{"extension_type": "new-sdo", category: block}
	if (h.Indicator == "people-affected" || h.Indicator == "patients-affected") && h.Min != nil {
		o["impacted_entity_counts"] = obj{"individual": *h.Min}
	}
	wr.mark(o, h.TLP)
	wr.put(o)
}

func (wr *writer) location(country string) string {
	if id, ok := wr.places[country]; ok {
		return id
	}
	id := trace.DerivedID("location", "country|"+country)
	if _, ok := wr.out[id]; !ok {
		o := obj{"type": "location", "spec_version": "2.1", "id": id, "created": stamp(time.Time{}),
			"modified": stamp(time.Time{}), "country": country}
		if c, ok := vocab.LookupCountry(country); ok {
			o["name"] = c.Name
		}
		wr.mark(o, wr.catalogueTLP())
		wr.put(o)
	}
	return id
}

// link records a link relationship; it is written from the kept original
// when there is one, otherwise made anew with an id derived from its ends.
func (wr *writer) link(source, typ, target, role string) {
	key := source + "|" + typ + "|" + target
	wr.links[key] = true
	id := trace.DerivedID("relationship", key+"|"+role)
	o := obj{"type": "relationship", "spec_version": "2.1", "id": id, "created": stamp(time.Time{}),
		"modified": stamp(time.Time{}), "relationship_type": typ, "source_ref": source, "target_ref": target}
	if role != "" {
		o["x_harmtrace_role"] = role
	}
	// A link is as restricted as the stricter of its two ends.
	wr.mark(o, access.Stricter(wr.tlpOf(source), wr.tlpOf(target)))
	o["x_harmtrace_link"] = key
	wr.put(o)
}
