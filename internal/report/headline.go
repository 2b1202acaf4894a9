package report

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// headline writes the report's one-sentence summary. It names every filter
// but the sector (which reads "on health" in the sentence) before a colon,
// so that a quote of it says what was counted; says "at least" because
// every figure is a lower bound, each group of open possible duplicates
// counted once; names what is unknown; and never calls a sum of people
// across incidents a count of distinct people.
func headline(r *Report) string {
	var b strings.Builder
	if r.Selection != "" {
		b.WriteString(capitalise(r.Selection) + ": ")
	}
	if r.Incidents == 0 {
		if b.Len() > 0 {
			return b.String() + "no cyberattacks match this selection."
		}
		return "No cyberattacks match this selection."
	}
	atLeast := r.Incidents
	if r.DistinctMin > 0 && r.DistinctMin < r.Incidents {
		atLeast = r.DistinctMin
	}
	lead := "At least"
	if b.Len() > 0 {
		lead = "at least"
	}
	fmt.Fprintf(&b, "%s %s %s", lead, Number(int64(atLeast)), plural(atLeast, "cyberattack", "cyberattacks"))
	if r.Filter.Sector != "" {
		fmt.Fprintf(&b, " on %s", strings.ToLower(r.Filter.Sector))
	}
	if r.Countries > 0 && r.Filter.Country == "" {
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

// selection names the filter in words, each active filter once: "in 2019,
// of type ransomware, matching 'hospital'". The sector is left to the
// headline's "on health". An actor or a campaign is named by its name
// when the reader may see it, else as it was asked for.
func selection(ctx context.Context, q db.Querier, f Filter) string {
	var parts []string
	if f.Country != "" {
		parts = append(parts, "in "+CountryName(f.Country))
	}
	switch {
	case f.Since != "" && f.Until != "" && f.Since == f.Until:
		parts = append(parts, "in "+f.Since)
	case f.Since != "" && f.Until != "":
		parts = append(parts, "from "+f.Since+" to "+f.Until)
	case f.Since != "":
		parts = append(parts, "since "+f.Since)
	case f.Until != "":
		parts = append(parts, "until "+f.Until)
	}
	if f.AttackType != "" {
		parts = append(parts, "of type "+f.AttackType)
	}
	if f.Determination != "" {
		parts = append(parts, "determined as "+f.Determination)
	}
	if f.Actor != "" {
		parts = append(parts, "attributed to "+nameOf(ctx, q, f, "actors", f.Actor))
	}
	if f.Campaign != "" {
		parts = append(parts, "of the campaign "+nameOf(ctx, q, f, "campaigns", f.Campaign))
	}
	if strings.TrimSpace(f.Query) != "" {
		parts = append(parts, "matching '"+strings.TrimSpace(f.Query)+"'")
	}
	if f.MaxTLP != "" && f.Viewer == nil {
		parts = append(parts, "marked at most TLP:"+strings.ToUpper(f.MaxTLP))
	}
	return strings.Join(parts, ", ")
}

// nameOf is the name of the actor or campaign a filter names by id or
// name, when the filter's viewer may read it; else what was asked.
func nameOf(ctx context.Context, q db.Querier, f Filter, table, idOrName string) string {
	reads, args := "1 = 1", []any(nil)
	if f.Viewer != nil {
		reads, args = f.Viewer.Condition("t")
	}
	var name string
	err := q.QueryRow(ctx, `SELECT t.name FROM `+table+` t WHERE (t.id = ? OR t.name = ?) AND `+reads+` ORDER BY t.id LIMIT 1`,
		append([]any{idOrName, idOrName}, args...)...).Scan(&name)
	if err != nil || name == "" {
		return idOrName
	}
	return name
}

// CountryName is a country's name as a sentence uses it: "the United
// Kingdom", "France"; the code itself when it is not one.
func CountryName(code string) string {
	c, ok := vocab.LookupCountry(code)
	if !ok {
		return code
	}
	for _, p := range []string{"United ", "Netherlands", "Philippines", "Czech Republic", "Dominican Republic", "Central African",
		"Bahamas", "Gambia", "Maldives", "Comoros", "Marshall Islands", "Solomon Islands", "Seychelles", "Holy See"} {
		if strings.HasPrefix(c.Name, p) {
			return "the " + c.Name
		}
	}
	return c.Name
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
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
