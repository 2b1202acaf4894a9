// Package recovery makes a victim's recovery plan from what they told:
// the steps of each attack type, and the steps every victim needs, chosen
// by the conditions each step names. The plans are data files (plans/),
// reviewed like code; each step says what to do, why, and its public
// source, in every language of the victims' pages.
package recovery

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"sort"

	"github.com/harmtrace/harmtrace/internal/i18n"
)

//go:embed plans/*.json
var planFiles embed.FS

// AttackTypes are the attacks a victim can name, in plain words (the
// i18n keys attack.<type>), in the order the form lists them.
var AttackTypes = []string{"ransomware", "data-breach", "account-takeover", "phishing", "ddos", "defacement", "wiper",
	"hack-and-leak", "stalkerware", "intimate-image-abuse"}

// Conditions a step can require: all of its conditions must hold.
var conditions = []string{"organisation", "person", "eu", "us", "data", "services", "money", "safety", "ongoing", "minors"}

// Text is a sentence in every language.
type Text map[string]string

type plan struct {
	AttackType string `json:"attack_type"` // "*": every victim
	Steps      []step `json:"steps"`
}

type step struct {
	ID        string   `json:"id"`
	Order     int      `json:"order"` // lower comes first: the most urgent
	When      []string `json:"when"`
	Title     Text     `json:"title"`
	Why       Text     `json:"why"`
	Source    string   `json:"source"`
	SourceURL string   `json:"source_url"`
}

var plans = mustLoad()

func mustLoad() []plan {
	p, err := load(planFiles)
	if err != nil {
		panic(err)
	}
	return p
}

// load reads and checks every plan file: each step has an id, a source
// and its text in every language, and names only known conditions.
func load(fsys fs.FS) ([]plan, error) {
	names, err := fs.Glob(fsys, "plans/*.json")
	if err != nil {
		return nil, err
	}
	var out []plan
	ids := map[string]string{}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var p plan
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if p.AttackType != "*" && !slices.Contains(AttackTypes, p.AttackType) {
			return nil, fmt.Errorf("%s: attack_type %q is not one of %v", name, p.AttackType, AttackTypes)
		}
		for i, s := range p.Steps {
			where := fmt.Sprintf("%s: steps[%d] (%s)", name, i, s.ID)
			if s.ID == "" || s.SourceURL == "" || s.Source == "" {
				return nil, fmt.Errorf("%s: id, source and source_url are required", where)
			}
			if other, dup := ids[s.ID]; dup {
				return nil, fmt.Errorf("%s: id also used in %s", where, other)
			}
			ids[s.ID] = name
			for _, lang := range i18n.Langs {
				if s.Title[lang.Code] == "" || s.Why[lang.Code] == "" {
					return nil, fmt.Errorf("%s: title and why need a %s text", where, lang.Code)
				}
			}
			for _, c := range s.When {
				if !slices.Contains(conditions, c) {
					return nil, fmt.Errorf("%s: when: unknown condition %q (known: %v)", where, c, conditions)
				}
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// Situation is what the plan is made from.
type Situation struct {
	AttackTypes  []string
	Organisation bool     // an organisation, else a person
	Country      string   // ISO 3166-1 alpha-2, "" when not said
	Affected     []string // services, data, money, safety
	Ongoing      bool
	Minors       bool
}

// Step is one step of a plan in the reader's language.
type Step struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Why       string `json:"why"`
	Source    string `json:"source"`
	SourceURL string `json:"source_url"`
}

// Plan returns the steps for the situation in lang, most urgent first.
func Plan(s Situation, lang string) []Step {
	holds := map[string]bool{"organisation": s.Organisation, "person": !s.Organisation, "eu": InEEA(s.Country),
		"us": s.Country == "US", "ongoing": s.Ongoing, "minors": s.Minors}
	for _, a := range s.Affected {
		holds[a] = true
	}
	var chosen []step
	for _, p := range plans {
		if p.AttackType != "*" && !slices.Contains(s.AttackTypes, p.AttackType) {
			continue
		}
		for _, st := range p.Steps {
			if all(st.When, holds) {
				chosen = append(chosen, st)
			}
		}
	}
	sort.SliceStable(chosen, func(i, j int) bool {
		if chosen[i].Order != chosen[j].Order {
			return chosen[i].Order < chosen[j].Order
		}
		return chosen[i].ID < chosen[j].ID
	})
	out := make([]Step, len(chosen))
	for i, st := range chosen {
		out[i] = Step{ID: st.ID, Title: in(st.Title, lang), Why: in(st.Why, lang), Source: st.Source, SourceURL: st.SourceURL}
	}
	return out
}

func in(t Text, lang string) string {
	if s := t[lang]; s != "" {
		return s
	}
	return t["en"]
}

func all(when []string, holds map[string]bool) bool {
	for _, c := range when {
		if !holds[c] {
			return false
		}
	}
	return true
}

// eea are the member states of the European Economic Area: the EU's 27,
// Iceland, Liechtenstein and Norway, where the GDPR applies.
var eea = []string{"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
	"MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"}

// InEEA reports whether a country applies the GDPR.
func InEEA(country string) bool { return slices.Contains(eea, country) }
