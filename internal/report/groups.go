package report

import (
	"strings"

	"github.com/harmtrace/harmtrace/internal/trace"
)

// VulnerableGroups are the kinds of organisation the report counts apart,
// as docs/harm-method.md promises: each with the condition on organisations
// (under the alias o) that selects it in SQL, and the same test on a
// loaded organisation.
var VulnerableGroups = []struct {
	Key, Condition string
	Has            func(o *trace.Organisation) bool
}{
	{"health care", "o.healthcare", func(o *trace.Organisation) bool { return o.Healthcare }},
	{"humanitarian", "o.humanitarian", func(o *trace.Organisation) bool { return o.Humanitarian }},
	{"civil society, media, human rights", "o.civil_society", func(o *trace.Organisation) bool { return o.CivilSociety }},
	{"critical infrastructure", "o.critical_infrastructure <> ''", func(o *trace.Organisation) bool { return o.CriticalInfrastructure != "" }},
}

// GroupsOf lists the vulnerable groups an organisation belongs to.
func GroupsOf(o *trace.Organisation) []string {
	var out []string
	for _, g := range VulnerableGroups {
		if g.Has(o) {
			out = append(out, g.Key)
		}
	}
	return out
}

// GroupsQuery lists (incident, group) for the victims of the incidents
// that selected returns ("" for every incident).
func GroupsQuery(selected string) string {
	parts := make([]string, len(VulnerableGroups))
	for i, g := range VulnerableGroups {
		parts[i] = `SELECT v.incident_id, '` + g.Key + `' FROM incident_victims v JOIN organisations o ON o.id = v.organisation_id
			WHERE ` + g.Condition
		if selected != "" {
			parts[i] += ` AND v.incident_id IN (` + selected + `)`
		}
	}
	return strings.Join(parts, " UNION ")
}

// DataTypesQuery lists (incident, data type) for the data their harm
// figures say was exposed ("" for every incident).
func DataTypesQuery(selected string) string {
	q := `SELECT DISTINCT h.incident_id, d.data_type FROM harm_data_types d JOIN harms h ON h.id = d.harm_id`
	if selected != "" {
		q += ` WHERE h.incident_id IN (` + selected + `)`
	}
	return q
}
