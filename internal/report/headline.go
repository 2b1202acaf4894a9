package report

import (
	"fmt"
	"strings"
)

// headline writes the report's one-sentence summary. It says "at least"
// because every figure is a lower bound, names what is unknown, and never
// calls a sum of people across incidents a count of distinct people.
func headline(r *Report) string {
	if r.Incidents == 0 {
		return "No cyberattacks match this selection."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "At least %s %s", Number(int64(r.Incidents)), plural(r.Incidents, "cyberattack", "cyberattacks"))
	if r.Filter.Sector != "" {
		fmt.Fprintf(&b, " on %s", strings.ToLower(r.Filter.Sector))
	}
	if r.Countries > 0 {
		fmt.Fprintf(&b, " in %s %s", Number(int64(r.Countries)), plural(r.Countries, "country", "countries"))
	}
	people := r.PeopleAffected
	if people.KnownIncidents == 0 {
		people = r.RecordsExposed
	}
	if people.KnownIncidents == 0 {
		if r.Incidents == 1 {
			b.WriteString(" is recorded; how many people it affected is not known.")
		} else {
			b.WriteString(" are recorded; how many people they affected is not known for any of them.")
		}
		return b.String()
	}
	noun := "people"
	if people == r.RecordsExposed {
		noun = "records"
	}
	if noun == "people" {
		fmt.Fprintf(&b, " affected at least %s people", Number(people.Min))
	} else {
		fmt.Fprintf(&b, " exposed at least %s records", Number(people.Min))
	}
	if people.UnknownIncidents > 0 {
		fmt.Fprintf(&b, "; for %s of them the number is unknown", Number(int64(people.UnknownIncidents)))
	}
	b.WriteString(".")
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Number writes n with thousands separators: 20,412,337.
func Number(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
