// Package vocab holds the controlled vocabularies of harmtrace: markings,
// attack types, sectors, countries, harm categories and indicators. Every
// value the store accepts is listed here, so validation, importers, the UI
// and the documentation agree.
package vocab

import (
	"fmt"
	"slices"
	"strings"
)

// List is a closed vocabulary.
type List struct {
	Name   string
	Values []string
}

// Has reports whether v is one of the list's values.
func (l List) Has(v string) bool { return slices.Contains(l.Values, v) }

// Check returns nil when v is in the list, and otherwise an error that names
// the allowed values.
func (l List) Check(v string) error {
	if l.Has(v) {
		return nil
	}
	if v == "" {
		return fmt.Errorf("%s is required (one of %s)", l.Name, strings.Join(l.Values, ", "))
	}
	return fmt.Errorf("unknown %s %q (want one of %s)", l.Name, v, strings.Join(l.Values, ", "))
}

// TLP 2.0 markings, from the least to the most restricted.
var TLP = List{"TLP marking", []string{"clear", "green", "amber", "amber+strict", "red"}}

// AttackTypes classify what an incident did.
var AttackTypes = List{"attack type", []string{
	"ransomware", "ddos", "data-breach", "wiper", "defacement", "hack-and-leak",
	"account-takeover", "phishing", "espionage", "information-operation", "supply-chain", "other",
}}

// Determinations say how sure we are that the incident happened as told.
var Determinations = List{"determination", []string{"claimed", "suspected", "confirmed", "false-positive"}}

// OrganisationKinds say what kind of party an organisation is.
var OrganisationKinds = List{"organisation kind", []string{
	"ngo", "humanitarian", "healthcare-provider", "health-plan", "government", "company",
	"academia", "media", "civil-society", "international-organisation", "individual", "other",
}}

// VictimRoles say how an organisation took part in an incident.
var VictimRoles = List{"victim role", []string{"victim", "target", "affected-third-party", "service-provider"}}

// SourceKinds say what a source is.
var SourceKinds = List{"source kind", []string{
	"news", "official-statement", "threat-report", "victim-statement", "attacker-claim", "dataset",
}}

// Reliability is the admiralty scale's source reliability (A completely
// reliable … F cannot be judged).
var Reliability = List{"source reliability", []string{"A", "B", "C", "D", "E", "F"}}

// ActorTypes classify threat actors.
var ActorTypes = List{"actor type", []string{"state", "state-affiliated", "hacktivist", "criminal", "unknown"}}

// Confidence of an attribution, in the words of estimative language
// (MISP taxonomy estimative-language, likelihood-probability).
var Confidence = List{"attribution confidence", []string{
	"unknown",
	"almost-no-chance", "very-unlikely", "unlikely", "roughly-even-chance", "likely", "very-likely", "almost-certain",
}}

// Certainty of a harm figure: confirmed by the victim or an authority,
// reported by a credible source, claimed by the attacker, or estimated by an
// analyst.
var Certainty = List{"harm certainty", []string{"confirmed", "reported", "claimed", "estimated"}}

// DataTypes are the kinds of data an incident exposed. Health, sexual and
// reproductive health, and children's data are the most sensitive.
var DataTypes = List{"data type", []string{
	"health", "personal", "credentials", "financial", "sexual-reproductive-health", "children",
	"biometric", "location", "other",
}}

// SensitiveDataTypes are shown apart on the dashboard and in reports.
var SensitiveDataTypes = []string{"health", "sexual-reproductive-health", "children", "biometric"}

// Precisions of a partial date.
var Precisions = List{"date precision", []string{"day", "month", "year", "unknown"}}

// GuessAttackType reads an attack type from free text (an incident type, a
// tag, a title); "other" when no word says which.
func GuessAttackType(text string) string {
	s := strings.ToLower(text)
	switch {
	case strings.Contains(s, "ransom"):
		return "ransomware"
	case strings.Contains(s, "denial"), strings.Contains(s, "ddos"), strings.Contains(s, "dos"):
		return "ddos"
	case strings.Contains(s, "wiper"), strings.Contains(s, "destruct"):
		return "wiper"
	case strings.Contains(s, "deface"):
		return "defacement"
	case strings.Contains(s, "leak"):
		return "hack-and-leak"
	case strings.Contains(s, "phish"):
		return "phishing"
	case strings.Contains(s, "account"), strings.Contains(s, "credential"):
		return "account-takeover"
	case strings.Contains(s, "espionage"):
		return "espionage"
	case strings.Contains(s, "supply"):
		return "supply-chain"
	case strings.Contains(s, "exfil"), strings.Contains(s, "breach"), strings.Contains(s, "data"):
		return "data-breach"
	}
	return "other"
}
