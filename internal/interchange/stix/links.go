package stix

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// impactOwners maps each impact id to the incident whose Incident Core
// Extension lists it in impact_refs.
func (r *reader) impactOwners() map[string]string {
	owners := map[string]string{}
	for id := range r.incs {
		var core struct {
			ImpactRefs []string `json:"impact_refs"`
		}
		if raw, ok := r.objects[id].Extensions[ExtIncidentCore]; ok && json.Unmarshal(raw, &core) == nil {
			for _, ref := range core.ImpactRefs {
				owners[ref] = id
			}
		}
	}
	return owners
}

// informationTypes maps the Incident Core Extension's information types to
// harmtrace data types.
var informationTypes = map[string]string{
	"phi": "health", "pii": "personal", "credentials-admin": "credentials", "credentials-user": "credentials",
	"credentials": "credentials", "financial": "financial", "payment": "financial",
}

// impactBlock is the category-specific part of an impact object.
type impactBlock struct {
	RecordCount          *int64           `json:"record_count"`
	InformationType      string           `json:"information_type"`
	Variety              string           `json:"variety"`
	Currency             string           `json:"currency"`
	MinAmount            *float64         `json:"min_amount"`
	MaxAmount            *float64         `json:"max_amount"`
	ImpactedEntityCounts map[string]int64 `json:"impacted_entity_counts"`
}

func (r *reader) readImpact(o *object, incidentID string) error {
	e, err := r.ext(o)
	if err != nil {
		return err
	}
	h := harm.Harm{}
	if e != nil && len(e.Record) > 0 {
		if err := json.Unmarshal(e.Record, &h); err != nil {
			return fmt.Errorf("harmtrace extension: %w", err)
		}
	} else {
		if incidentID == "" {
			r.keep(o, false) // an impact no incident claims is kept, not counted
			return nil
		}
		ok, err := r.impactHarm(o, &h)
		if err != nil || !ok {
			r.keep(o, false)
			return err
		}
		h.IncidentID = incidentID
		if len(o.ImpactedRefs) == 1 {
			if _, known := r.orgs[o.ImpactedRefs[0]]; known {
				h.OrganisationID = o.ImpactedRefs[0]
			}
		}
	}
	h.ID = o.ID
	created(o, &h.Created, &h.Updated)
	r.mark(o, &h.Marking)
	if e == nil && len(o.ExternalReferences) == 0 {
		// An impact that cites nothing rests on its incident's sources.
		if i, ok := r.incs[h.IncidentID]; ok {
			h.SourceIDs = r.doc.Incidents[i].SourceIDs
		}
	}
	if len(h.SourceIDs) == 0 {
		h.SourceIDs = r.citations(o, e)
	}
	if i, ok := r.incs[h.IncidentID]; ok {
		for _, ref := range o.ImpactedRefs {
			if _, known := r.orgs[ref]; known {
				r.addVictim(i, ref, "victim")
			}
		}
	}
	r.doc.Harms = append(r.doc.Harms, h)
	r.keep(o, true)
	return nil
}

// impactHarm reads a standard impact object; it reports false when the
// impact says nothing harmtrace can measure.
func (r *reader) impactHarm(o *object, h *harm.Harm) (bool, error) {
	var block impactBlock
	var nested map[string]json.RawMessage
	if raw, ok := o.Extensions[ExtImpact]; ok {
		_ = json.Unmarshal(raw, &nested)
	}
	if raw, ok := nested[o.ImpactCategory]; ok {
		if err := json.Unmarshal(raw, &block); err != nil {
			return false, fmt.Errorf("field \"extensions.%s.%s\": %w", ExtImpact, o.ImpactCategory, err)
		}
	} else if raw, ok := o.Extensions[o.ImpactCategory]; ok {
		if err := json.Unmarshal(raw, &block); err != nil {
			return false, fmt.Errorf("field \"extensions.%s\": %w", o.ImpactCategory, err)
		}
	} else if err := json.Unmarshal(o.raw, &block); err != nil {
		return false, err
	}
	h.Description, h.Certainty = o.Description, "reported"
	switch {
	case o.ImpactCategory == "confidentiality":
		h.Indicator, h.Min, h.Max = "records-exposed", block.RecordCount, block.RecordCount
		if t, ok := informationTypes[block.InformationType]; ok {
			h.DataTypes = []string{t}
		}
	case o.ImpactCategory == "monetary":
		h.Indicator, h.Unit = "financial-loss", strings.ToUpper(block.Currency)
		switch block.Variety {
		case "ransom-demand":
			h.Indicator = "ransom-demanded"
		case "ransom-payment":
			h.Indicator = "ransom-paid"
		}
		h.Min, h.Max = roundAmount(block.MinAmount), roundAmount(block.MaxAmount)
		if h.Max == nil && h.Min != nil && block.MaxAmount == nil {
			h.Max = h.Min
		}
	case o.ImpactCategory == "availability":
		h.Indicator = "service-disruption-days"
		if days, ok := daysBetween(o.StartTime, o.EndTime); ok {
			h.Min, h.Max = &days, &days
		}
	case block.ImpactedEntityCounts["individual"] > 0:
		n := block.ImpactedEntityCounts["individual"]
		h.Indicator, h.Min, h.Max = "people-affected", &n, &n
	default:
		return false, nil
	}
	if o.ImpactCategory != "" && h.Category == "" {
		h.Category = o.ImpactCategory
	}
	return true, nil
}

func roundAmount(f *float64) *int64 {
	if f == nil {
		return nil
	}
	n := int64(math.Round(*f))
	return &n
}

func daysBetween(start, end string) (int64, bool) {
	s, err1 := time.Parse(time.RFC3339Nano, start)
	e, err2 := time.Parse(time.RFC3339Nano, end)
	if err1 != nil || err2 != nil || e.Before(s) {
		return 0, false
	}
	return int64(math.Ceil(e.Sub(s).Hours() / 24)), true
}

func (r *reader) addVictim(incident int, orgID, role string) {
	in := &r.doc.Incidents[incident]
	for _, v := range in.Victims {
		if v.OrganisationID == orgID && v.Role == role {
			return
		}
	}
	in.Victims = append(in.Victims, trace.Victim{OrganisationID: orgID, Role: role})
}

func (r *reader) countryOf(ref string) string {
	if o, ok := r.objects[ref]; ok && o.Type == "location" && o.Country != "" {
		return strings.ToUpper(o.Country)
	}
	return ""
}

// readRelationship turns the relationships harmtrace models into links
// and attributions; all relationships are kept verbatim too.
func (r *reader) readRelationship(o *object) error {
	src, dst := o.SourceRef, o.TargetRef
	inc, isIncident := r.incs[src]
	modelled := true
	switch {
	case o.RelationshipType == "attributed-to" && r.actors[dst] && (isIncident || r.camps[src]):
		if err := r.readAttribution(o); err != nil {
			return err
		}
	case (o.RelationshipType == "targets" || o.RelationshipType == "impacts") && isIncident && r.isOrg(dst):
		role := o.Role
		if role == "" {
			role = "victim"
		}
		r.addVictim(inc, dst, role)
		// A victim named by a restricted relationship is as restricted.
		r.mark(o, &r.doc.Organisations[r.orgs[dst]].Marking)
	case (o.RelationshipType == "targets" || o.RelationshipType == "located-at") && isIncident && r.countryOf(dst) != "":
		in := &r.doc.Incidents[inc]
		in.Countries = append(in.Countries, r.countryOf(dst))
	case o.RelationshipType == "located-at" && r.isOrg(src) && r.countryOf(dst) != "":
		org := &r.doc.Organisations[r.orgs[src]]
		if org.Country == "" {
			org.Country = r.countryOf(dst)
		}
	case (o.RelationshipType == "associated-with" || o.RelationshipType == "related-to") && isIncident && r.camps[dst]:
		r.doc.Incidents[inc].CampaignID = dst
	default:
		modelled = false
	}
	r.keep(o, modelled)
	return nil
}

func (r *reader) isOrg(id string) bool {
	_, ok := r.orgs[id]
	return ok
}

func (r *reader) readAttribution(o *object) error {
	e, err := r.ext(o)
	if err != nil {
		return err
	}
	a := trace.Attribution{}
	if e != nil && len(e.Record) > 0 {
		if err := json.Unmarshal(e.Record, &a); err != nil {
			return fmt.Errorf("harmtrace extension: %w", err)
		}
	} else {
		if _, ok := r.incs[o.SourceRef]; ok {
			a.IncidentID = o.SourceRef
		} else {
			a.CampaignID = o.SourceRef
		}
		a.ActorID, a.Basis = o.TargetRef, o.Description
		a.AttributedBy = "unknown"
		if by, ok := r.objects[o.CreatedByRef]; ok && by.Name != "" {
			a.AttributedBy = by.Name
		}
		a.Confidence = "unknown"
		if o.Confidence != nil {
			a.Confidence = confidenceWords(*o.Confidence)
		}
		when := o.StartTime
		if when == "" {
			when = o.Created
		}
		a.AttributedOn, _ = dateOf(when)
	}
	a.ID = o.ID
	created(o, &a.Created, &a.Updated)
	r.mark(o, &a.Marking)
	a.SourceIDs = r.citations(o, e)
	r.doc.Attributions = append(r.doc.Attributions, a)
	return nil
}

// finish adds the bundle as a source when some object cited nothing else,
// and names its publisher when one identity created every object.
func (r *reader) finish() {
	if !r.usedFile {
		return
	}
	creators := map[string]bool{}
	for _, o := range r.objects {
		if o.CreatedByRef != "" {
			creators[o.CreatedByRef] = true
		}
	}
	if len(creators) == 1 {
		for id := range creators {
			if by, ok := r.objects[id]; ok {
				r.bundle.Publisher = by.Name
			}
		}
	}
	r.doc.Sources = append([]trace.Source{r.bundle}, r.doc.Sources...)
}
