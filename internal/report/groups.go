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

// GroupsQuery lists (incident, group) for the disclosed victims of the
// incidents selected (disclosed.go).
func GroupsQuery(selected string) string {
	parts := make([]string, len(VulnerableGroups))
	for i, g := range VulnerableGroups {
		parts[i] = `SELECT v.incident_id, '` + g.Key + `' FROM ` + victims + `
			WHERE ` + g.Condition + ` AND ` + disclosedVictim + within("v.incident_id", selected)
	}
	return strings.Join(parts, " UNION ")
}
