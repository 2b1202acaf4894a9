package misp

import (
	"strings"

	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// incidentOf returns the incident an event describes, and false when the
// event is a threat report with no victim: no "victim" object and no
// target sector or country tag.
func incidentOf(e event, uuid, tlp string, doc *interchange.Document) (trace.Incident, bool) {
	in := trace.Incident{ID: "incident--" + uuid, Title: e.Info, Determination: "suspected", TLP: tlp}
	in.Disclosed, _ = trace.ParseDate(e.Date)
	victim := false
	for _, t := range e.Tag {
		if v, ok := tagValue(t.Name, "misp-galaxy:country="); ok {
			if c, found := vocab.CountryByName(v); found {
				in.Countries = append(in.Countries, c.Code)
				victim = true
			}
		}
		if _, ok := tagValue(t.Name, "misp-galaxy:sector="); ok {
			victim = true
		}
		if v, ok := tagValue(t.Name, "misp-galaxy:target-information="); ok && v != "" {
			victim = true
		}
		in.AttackTypes = append(in.AttackTypes, attackTypesOfTag(t.Name)...)
	}
	for i, o := range e.Object {
		if o.Name != "victim" {
			continue
		}
		victim = true
		org := victimOrganisation(o.Attribute, uuid, i, tagSectors(e.Tag))
		if org.Name != "" {
			doc.Organisations = append(doc.Organisations, org)
			in.Victims = append(in.Victims, trace.Victim{OrganisationID: org.ID, Role: "victim"})
			if org.Country != "" {
				in.Countries = append(in.Countries, org.Country)
			}
		}
	}
	if !victim {
		return in, false
	}
	if len(in.AttackTypes) == 0 {
		in.AttackTypes = []string{vocab.GuessAttackType(e.Info)}
	}
	return in, true
}

func tagValue(name, prefix string) (string, bool) {
	v, ok := strings.CutPrefix(name, prefix)
	return strings.Trim(v, `"`), ok
}

func tagSectors(tags []tag) []string {
	var out []string
	for _, t := range tags {
		if v, ok := tagValue(t.Name, "misp-galaxy:sector="); ok {
			out = append(out, v)
		}
	}
	return out
}

// attackTypesOfTag reads the attack type taxonomies MISP communities use.
func attackTypesOfTag(name string) []string {
	lower := strings.ToLower(name)
	for _, prefix := range []string{"ecsirt:", "circl:incident-classification", "malware_classification:", "rsit:"} {
		if strings.HasPrefix(lower, prefix) {
			if t := vocab.GuessAttackType(lower); t != "other" {
				return []string{t}
			}
		}
	}
	return nil
}

// victimOrganisation reads a MISP victim object: name, sectors, regions.
func victimOrganisation(attrs []attribute, uuid string, i int, sectors []string) trace.Organisation {
	org := trace.Organisation{Kind: "other"}
	for _, a := range attrs {
		switch a.ObjectRelation {
		case "name":
			org.Name = a.Value
		case "sectors":
			sectors = append(sectors, a.Value)
		case "regions":
			if c, ok := vocab.CountryByName(a.Value); ok && org.Country == "" {
				org.Country = c.Code
			}
		case "classification":
			if strings.Contains(strings.ToLower(a.Value), "ngo") {
				org.Kind = "ngo"
			}
		case "description":
			org.Description = a.Value
		}
	}
	for _, s := range sectors {
		if canon, ok := vocab.CanonicalSector(s); ok && org.Sector == "" {
			org.Sector = canon
			if canon == "Health" {
				org.Kind, org.Healthcare = "healthcare-provider", true
			}
			if canon == "NGO" {
				org.Kind = "ngo"
			}
		}
	}
	org.ID = trace.DerivedID("identity", "misp-victim|"+trace.NameKey(org.Name)+"|"+org.Country)
	return org
}
