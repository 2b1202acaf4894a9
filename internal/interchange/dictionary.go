package interchange

import (
	"reflect"
	"strings"

	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// The data dictionary: what each column of the CSV download and each field
// of the JSON-lines download means (/download/dictionary). The CSV header
// is written from CSVColumns and the JSON fields are read from the record
// types, so a column or field added without a meaning fails
// TestDictionaryIsComplete.

// Term is one column or field and what it holds.
type Term struct {
	Name, Meaning string
}

// csvFixed are the CSV's columns before the harm figures.
var csvFixed = []Term{
	{"id", "The incident's stable id (STIX 2.1 incident--<uuid>); the same in every download and in the API."},
	{"title", "A short title of the incident."},
	{"determination", "How sure the attack is: confirmed, suspected or claimed (false positives are never published)."},
	{"attack_types", "Attack types, separated by ';' (ransomware, data-breach, phishing, …)."},
	{"start", "When the attack began: YYYY, YYYY-MM or YYYY-MM-DD; empty when unknown."},
	{"end", "When the attack ended, as start; empty when unknown or ongoing."},
	{"discovered", "When the victim discovered it, as start."},
	{"disclosed", "When it was made public or reported to an authority, as start (for the HHS OCR data: the date the breach was submitted)."},
	{"victims", "Names of the victim organisations, separated by ';'; a victim not disclosed is left out."},
	{"victim_sectors", "The victims' sectors (MISP sector galaxy), separated by ';'."},
	{"countries", "Countries affected (ISO 3166-1 alpha-2), separated by ';'."},
	{"campaign", "The campaign the incident belongs to, by name."},
	{"actors", "Threat actors it is attributed to (its own attributions and its campaign's), separated by ';'."},
	{"convention_articles", "Offence articles (7–17) of the UN Convention against Cybercrime the conduct falls under, separated by ';'."},
	{"tlp", "The incident's marking (TLP 2.0); the public downloads hold clear only."},
}

// csvHarm says what each harm indicator's two columns count.
var csvHarm = map[string]string{
	"records-exposed":         "records exposed",
	"people-affected":         "people affected (a person in several breaches is counted in each)",
	"patients-affected":       "patients affected",
	"service-disruption-days": "days of service disruption",
	"facilities-affected":     "facilities (hospitals, clinics, offices) affected",
	"care-cancelled":          "appointments or procedures cancelled",
	"care-diverted":           "patients diverted to other providers",
	"deaths":                  "deaths attributed to the attack",
	"injuries":                "injuries attributed to the attack",
}

var csvTail = []Term{
	{"data_types", "Kinds of data exposed (health, personal, children, …), separated by ';'."},
	{"sources", "The sources' URLs (or titles when they have none), separated by spaces."},
}

// CSVColumns lists the CSV download's columns in order, with their meaning.
func CSVColumns() []Term {
	out := append([]Term(nil), csvFixed...)
	for _, ind := range csvIndicators {
		col := strings.ReplaceAll(ind, "-", "_")
		what := csvHarm[ind]
		out = append(out,
			Term{col + "_min", "The incident's lower bound of " + what + ", counted by the method (/method); empty when unknown, never 0 for unknown."},
			Term{col + "_max", "The upper bound of " + what + "; empty for no upper bound (or when unknown: then the _min is empty too)."})
	}
	return append(out, csvTail...)
}

func csvHeader() []string {
	var out []string
	for _, c := range CSVColumns() {
		out = append(out, c.Name)
	}
	return out
}

// JSONType is one type of record of the JSON-lines download, with its
// fields.
type JSONType struct {
	Type, Meaning string
	Fields        []Term
}

// jsonTypes are the record types in the order the download writes them.
var jsonTypes = []struct {
	name, meaning string
	sample        any
}{
	{"source", "Where a claim comes from: a report, an advisory, a dataset.", trace.Source{}},
	{"organisation", "A victim organisation.", trace.Organisation{}},
	{"actor", "A threat actor (a group or a person named as one).", trace.Actor{}},
	{"campaign", "A campaign: incidents that belong together.", trace.Campaign{}},
	{"incident", "One cyberattack, counted once however many sources report it.", trace.Incident{}},
	{"attribution", "The attribution of an incident or a campaign to an actor, by whom and on what basis.", trace.Attribution{}},
	{"harm", "One figure of one kind of harm of an incident, as one source gives it (a range, or unknown).", harm.Harm{}},
}

// jsonMeaning says what each field means: "type.field" first, else "field".
var jsonMeaning = map[string]string{
	"type":                                 "The record's type: source, organisation, actor, campaign, incident, attribution or harm.",
	"id":                                   "The record's stable id (STIX 2.1 style: identity--, incident--, impact--, …).",
	"tlp":                                  "The record's marking (TLP 2.0); the public downloads hold clear records only.",
	"owner":                                "The team that owns the record; empty for the public catalogue.",
	"shared_with":                          "Teams an amber record is shared with (never in public downloads).",
	"readers":                              "People a red record is shown to (never in public downloads).",
	"created":                              "When the record was first created (RFC 3339).",
	"updated":                              "When the record last changed (RFC 3339); its history is at /corrections and on its page.",
	"name":                                 "The name.",
	"aliases":                              "Other names.",
	"description":                          "A description.",
	"source_ids":                           "Ids of the sources (type source) that back it.",
	"source.url":                           "The source's address.",
	"source.title":                         "The source's title.",
	"source.publisher":                     "Who published it.",
	"source.published":                     "When it was published: YYYY, YYYY-MM or YYYY-MM-DD.",
	"source.kind":                          "What kind of source: news, advisory, dataset, victim-statement, …",
	"source.reliability":                   "Admiralty scale: how reliable the source is, A (reliable) to F (cannot be judged).",
	"source.credibility":                   "Admiralty scale: how credible the information is, 1 (confirmed) to 6 (cannot be judged).",
	"organisation.kind":                    "What kind of organisation: healthcare-provider, ngo, health-plan, …",
	"organisation.sector":                  "Its sector (MISP sector galaxy).",
	"organisation.naics":                   "Its NAICS code, when known.",
	"organisation.country":                 "Its country (ISO 3166-1 alpha-2).",
	"organisation.humanitarian":            "It is a humanitarian organisation.",
	"organisation.healthcare":              "It provides health care.",
	"organisation.critical_infrastructure": "The type of critical infrastructure it runs (energy, water, …); empty when none.",
	"organisation.civil_society":           "It is a civil-society, media or human-rights organisation.",
	"actor.type":                           "The actor's type: state, state-affiliated, hacktivist, criminal or unknown.",
	"actor.origin_country":                 "The country the actor is said to operate from (ISO 3166-1 alpha-2).",
	"campaign.first_seen":                  "When the campaign was first seen.",
	"campaign.last_seen":                   "When it was last seen.",
	"incident.title":                       "A short title.",
	"incident.summary":                     "What happened, in a few sentences.",
	"incident.attack_types":                "Attack types (ransomware, data-breach, …).",
	"incident.determination":               "How sure the attack is: confirmed, suspected or claimed.",
	"incident.start":                       "When it began: YYYY, YYYY-MM or YYYY-MM-DD.",
	"incident.end":                         "When it ended.",
	"incident.discovered":                  "When it was discovered.",
	"incident.disclosed":                   "When it was made public or reported.",
	"incident.victims":                     "The victims: organisation_id (type organisation) and role.",
	"incident.countries":                   "Countries affected (ISO 3166-1 alpha-2).",
	"incident.campaign_id":                 "The campaign (type campaign) it belongs to.",
	"incident.undisclosed_victims":         "How many victims this download does not name (their records are not public).",
	"incident.convention_articles":         "Offence articles (7–17) of the UN Convention against Cybercrime.",
	"attribution.incident_id":              "The incident attributed (or empty when a campaign is).",
	"attribution.campaign_id":              "The campaign attributed (or empty when an incident is).",
	"attribution.actor_id":                 "The actor (type actor) it is attributed to.",
	"attribution.attributed_by":            "Who makes the attribution.",
	"attribution.attributed_on":            "When they made it.",
	"attribution.basis":                    "On what evidence.",
	"attribution.confidence":               "How sure, in estimative language (likely, very-likely, …).",
	"harm.incident_id":                     "The incident (type incident) harmed.",
	"harm.organisation_id":                 "The victim the figure is for; empty for the whole incident.",
	"harm.category":                        "The kind of harm: physical-digital, economic, psychological, reputational, social-societal, or a STIX impact category.",
	"harm.indicator":                       "What is counted: records-exposed, people-affected, service-disruption-days, deaths, …",
	"harm.min":                             "The lower bound; null when unknown.",
	"harm.max":                             "The upper bound; null for no upper bound (or unknown when min is null too).",
	"harm.unit":                            "The unit (records, people, days, an ISO 4217 currency, …).",
	"harm.data_types":                      "Kinds of data exposed.",
	"harm.certainty":                       "Who stands behind the figure: confirmed (the victim or an authority), reported, claimed (the attacker) or estimated.",
}

// JSONTypes lists the JSON-lines download's record types and their fields.
func JSONTypes() []JSONType {
	var out []JSONType
	for _, t := range jsonTypes {
		jt := JSONType{Type: t.name, Meaning: t.meaning, Fields: []Term{{"type", jsonMeaning["type"]}}}
		for _, f := range jsonFields(reflect.TypeOf(t.sample)) {
			meaning := jsonMeaning[t.name+"."+f]
			if meaning == "" {
				meaning = jsonMeaning[f]
			}
			jt.Fields = append(jt.Fields, Term{f, meaning})
		}
		out = append(out, jt)
	}
	return out
}

// jsonFields lists a struct's JSON field names, embedded structs' inline.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case !f.IsExported() || name == "-":
		case f.Anonymous && name == "":
			out = append(out, jsonFields(f.Type)...)
		case name == "":
			out = append(out, f.Name)
		default:
			out = append(out, name)
		}
	}
	return out
}
