package report

import (
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
)

// What an incident's figures count of the records hanging off it
// (docs/harm-method.md, "Records marked stricter than their incident"): a
// victim organisation, a harm or an attribution counts only when its own
// marking is no stricter than the incident's. The rule does not depend on
// who looks, so the aggregates kept per incident marking stay true. A
// victim that does not count is undisclosed: the incident still counts,
// in the sector "Unknown", without the victim's country, group or name. A
// harm that does not count is left out of the sums and of the data
// exposed; an attribution, out of the actors.
//
// The queries below take the SQL that selects the incidents (a list of
// their ids), or "" for every incident; internal/stats builds its
// aggregates from the same queries.

// victims joins the victims v of incidents vi with their organisations o.
const victims = `incident_victims v JOIN organisations o ON o.id = v.organisation_id JOIN incidents vi ON vi.id = v.incident_id`

// disclosedVictim is the condition that victim o of incident vi counts.
var disclosedVictim = access.NoStricter("o.tlp", "vi.tlp")

// within adds the condition that the incident in column is selected.
func within(column, selected string) string {
	if selected == "" {
		return ""
	}
	return ` AND ` + column + ` IN (` + selected + `)`
}

// OrganisationsQuery lists (incident, organisation) for the disclosed
// victims of the incidents selected.
func OrganisationsQuery(selected string) string {
	return `SELECT v.incident_id, v.organisation_id FROM ` + victims + ` WHERE ` + disclosedVictim + within("v.incident_id", selected)
}

// SectorsQuery lists (incident, sector) for the victims of the incidents
// selected: "Unknown" for a victim without one and for an undisclosed one.
func SectorsQuery(selected string) string {
	return `SELECT DISTINCT v.incident_id, CASE WHEN o.sector = '' OR NOT (` + disclosedVictim + `) THEN 'Unknown' ELSE o.sector END
		FROM ` + victims + ` WHERE 1 = 1` + within("v.incident_id", selected)
}

// CountriesQuery lists (incident, country) for the countries the incidents
// selected affected: those named on the incident and those of its
// disclosed victims.
func CountriesQuery(selected string) string {
	return `SELECT incident_id, country FROM incident_countries WHERE 1 = 1` + within("incident_id", selected) + `
		UNION SELECT v.incident_id, o.country FROM ` + victims + ` WHERE o.country <> '' AND ` + disclosedVictim + within("v.incident_id", selected)
}

// ActorsQuery lists (incident, actor) for the counted attributions of the
// incidents selected: their own and their campaign's.
func ActorsQuery(selected string) string {
	counts := access.NoStricter("t.tlp", "ti.tlp")
	return `SELECT t.incident_id, t.actor_id FROM attributions t JOIN incidents ti ON ti.id = t.incident_id
		WHERE ` + counts + within("ti.id", selected) + `
		UNION SELECT ti.id, t.actor_id FROM attributions t JOIN incidents ti ON ti.campaign_id = t.campaign_id
		WHERE ` + counts + within("ti.id", selected)
}

// FiguresQuery lists the counted harm figures of the incidents selected
// for the indicators the report sums: incident, indicator, victim ("" for
// the whole incident), min, max, certainty.
func FiguresQuery(selected string) string {
	return figuresQuery(selected, figureIndicators)
}

// figuresQuery is FiguresQuery for the indicators given (names of the
// closed vocabulary, never a caller's text).
func figuresQuery(selected string, indicators []string) string {
	return `SELECT h.incident_id, h.indicator, COALESCE(h.organisation_id, ''), h.min_value, h.max_value, h.certainty
		FROM harms h JOIN incidents hi ON hi.id = h.incident_id
		WHERE h.indicator IN ('` + strings.Join(indicators, "', '") + `') AND ` + access.NoStricter("h.tlp", "hi.tlp") +
		within("h.incident_id", selected)
}

// DataTypesQuery lists (incident, data type) for the data their counted
// harm figures say was exposed.
func DataTypesQuery(selected string) string {
	return `SELECT DISTINCT h.incident_id, d.data_type FROM harm_data_types d JOIN harms h ON h.id = d.harm_id
		JOIN incidents hi ON hi.id = h.incident_id WHERE ` + access.NoStricter("h.tlp", "hi.tlp") + within("h.incident_id", selected)
}
