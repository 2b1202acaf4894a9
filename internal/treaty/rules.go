package treaty

import (
	"fmt"
	"strings"
)

// The rules of the check, in the order they are applied. Each is one small
// function of the request and the two jurisdictions' profiles; each
// finding cites the articles it rests on. docs/treaty-check.md explains
// them for a lawyer.
var rules = []struct {
	name  string
	check func(c *checkContext) []Finding
}{
	{"scope", checkScope},
	{"dual-criminality", checkDualCriminality},
	{"refusal-grounds", checkRefusalGrounds},
	{"intrusive-measures", checkIntrusiveMeasures},
	{"personal-data", checkPersonalData},
	{"purpose", checkPurpose},
}

// seriousYears is the threshold of a "serious crime", UNCC art. 2(h).
const seriousYears = 4

// atRisk are the persons the civil-society submissions name as targets of
// persecution through cybercrime law.
var atRisk = []string{"journalist", "human-rights-defender", "political-opposition", "minority"}

type checkContext struct {
	req        *Request
	requesting *Profile
	requested  *Profile
}

// serious tells whether the conduct is a serious crime in the requesting
// state, and whether that is known.
func (c *checkContext) serious() (serious, known bool) {
	y, ok := c.req.penalty(c.req.RequestingState)
	return ok && y >= seriousYears, ok
}

func finding(rule, severity, explanation string, articles ...string) Finding {
	return Finding{Rule: rule, Severity: severity, Explanation: explanation, Articles: articles}
}

func checkScope(c *checkContext) []Finding {
	var out []Finding
	serious, known := c.serious()
	for _, conduct := range c.req.Conduct {
		switch arts := offenceArticles(conduct); {
		case expressionConduct[conduct]:
			out = append(out, finding("scope", Block, fmt.Sprintf("%q is speech or content conduct outside the Convention's content "+
				"offences (arts 14–16). It is out of scope, and the Convention may not be read to permit the suppression of "+
				"expression, opinion, assembly or association.", conduct), "UNCC 6(2)", "UNCC 3"))
		case len(arts) > 0:
			out = append(out, finding("scope", Info, fmt.Sprintf("%q is an offence under %s.", conduct, strings.Join(arts, " and ")), arts...))
		case !known:
			out = append(out, finding("scope", Warn, fmt.Sprintf("%q is not a Convention offence; it is in scope only as a serious crime "+
				"(at least %d years' maximum in the requesting state), and no maximum penalty is given: verify it.", conduct, seriousYears),
				"UNCC 2(h)", "UNCC 35"))
		case !serious:
			out = append(out, finding("scope", Block, fmt.Sprintf("%q is not a Convention offence and not a serious crime: its maximum "+
				"penalty in %s is below %d years.", conduct, c.req.RequestingState, seriousYears), "UNCC 2(h)", "UNCC 3"))
		default:
			out = append(out, finding("scope", Warn, fmt.Sprintf("%q is not a Convention offence; it is in scope only as a serious crime, "+
				"for sharing electronic evidence. If the request relies on art. 4 (offences under other UN conventions), check that "+
				"the other convention binds both states: art. 4 creates no new offence.", conduct), "UNCC 2(h)", "UNCC 35", "UNCC 4"))
		}
	}
	return out
}

func checkDualCriminality(c *checkContext) []Finding {
	measure := c.req.Measure
	if measure == "expedited-preservation" {
		return []Finding{finding("dual-criminality", Info, "Dual criminality is not required to preserve data (a Party may reserve "+
			"it for offences other than arts 2–11).", "Budapest 29(3)", "Budapest 29(4)")}
	}
	var out []Finding
	for _, conduct := range c.req.Conduct {
		if expressionConduct[conduct] {
			continue // already out of scope
		}
		crim, known := c.requested.criminalisation(conduct)
		switch {
		case !known:
			out = append(out, finding("dual-criminality", Warn, fmt.Sprintf("Verify: no profile says whether the law of %s makes %q "+
				"a crime. Judge it on the conduct, not on the offence's name.", c.req.RequestedState, conduct), "UNCC 35", "Budapest 25(5)"))
		case !crim.Criminal && measure == "extradition":
			out = append(out, finding("dual-criminality", Block, fmt.Sprintf("The law of %s does not make %q a crime (%s); extradition "+
				"requires the conduct to be criminal in both states.", c.req.RequestedState, conduct, crim.Source), "UNCC 37", "Budapest 24(1)(a)"))
		case !crim.Criminal:
			out = append(out, finding("dual-criminality", Warn, fmt.Sprintf("The law of %s does not make %q a crime (%s); assistance "+
				"may be refused for lack of dual criminality.", c.req.RequestedState, conduct, crim.Source), "UNCC 40", "Budapest 25(4)"))
		}
	}
	if measure == "extradition" && c.requesting.Budapest == "party" && c.requested.Budapest == "party" {
		out = append(out, checkOneYear(c)...)
	}
	return out
}

// checkOneYear applies Budapest art. 24(1)(a): extradition between Parties
// needs a maximum of at least one year in both.
func checkOneYear(c *checkContext) []Finding {
	var out []Finding
	for _, state := range []string{c.req.RequestingState, c.req.RequestedState} {
		y, ok := c.req.penalty(state)
		switch {
		case !ok:
			out = append(out, finding("dual-criminality", Warn, fmt.Sprintf("Verify the maximum penalty in %s: extradition between "+
				"Budapest Parties needs at least one year in both.", state), "Budapest 24(1)(a)"))
		case y < 1:
			out = append(out, finding("dual-criminality", Block, fmt.Sprintf("The maximum penalty in %s is %g years: extradition "+
				"between Budapest Parties needs at least one year in both.", state, y), "Budapest 24(1)(a)"))
		}
	}
	return out
}

func checkRefusalGrounds(c *checkContext) []Finding {
	var out []Finding
	expression := false
	for _, conduct := range c.req.Conduct {
		expression = expression || expressionConduct[conduct]
	}
	switch {
	case c.req.hasPerson(atRisk...) && expression:
		out = append(out, finding("refusal-grounds", Block, fmt.Sprintf("The person is a %s and the conduct is expression: the "+
			"request may aim at persecution for political opinion or identity, a ground to refuse.", strings.Join(c.req.Person, ", ")),
			"UNCC 6(2)", "UNCC 37", "UNCC 40"))
	case c.req.hasPerson(atRisk...):
		out = append(out, finding("refusal-grounds", Warn, fmt.Sprintf("The person is a %s: check that the request does not aim at "+
			"persecution, and ask for the evidence behind it.", strings.Join(c.req.Person, ", ")), "UNCC 6(1)", "UNCC 40"))
	}
	for _, conduct := range c.req.Conduct {
		if conduct == "insulting-officials" || (c.req.hasPerson("political-opposition") && !expression) {
			out = append(out, finding("refusal-grounds", Warn, "The request may concern a political offence, which the requested "+
				"state may treat as a ground to refuse.", "UNCC 40", "Budapest 27(4)(a)"))
			break
		}
	}
	if c.req.Measure == "extradition" {
		switch c.requesting.DeathPenalty {
		case "retained":
			f := finding("refusal-grounds", Warn, fmt.Sprintf("%s retains the death penalty.", c.req.RequestingState), "UNCC 6(1)", "UNCC 37")
			f.Condition = "assurances that the death penalty will not be sought, imposed or carried out"
			out = append(out, f)
		case Unknown:
			out = append(out, finding("refusal-grounds", Info, fmt.Sprintf("Whether %s retains the death penalty is unknown: verify "+
				"before extradition.", c.req.RequestingState), "UNCC 6(1)"))
		}
	}
	return out
}

func checkIntrusiveMeasures(c *checkContext) []Finding {
	var powers []string
	switch c.req.Measure {
	case "real-time-traffic-data":
		powers = []string{"UNCC 29", "UNCC 45", "Budapest 20", "Budapest 33"}
	case "content-interception":
		powers = []string{"UNCC 30", "UNCC 46", "Budapest 21", "Budapest 34"}
	default:
		return nil
	}
	f := finding("intrusive-measures", Warn, "This is one of the most intrusive powers.", append([]string{"UNCC 24", "Budapest 15"}, powers...)...)
	f.Condition = "necessity and proportionality shown, independent (judicial) authorisation, and a limited duration"
	out := []Finding{f}
	serious, known := c.serious()
	switch {
	case !known:
		out = append(out, finding("intrusive-measures", Warn, "No maximum penalty is given in the requesting state: verify that the "+
			"conduct is a serious crime before using an intrusive power.", "UNCC 2(h)", "UNCC 24"))
	case !serious:
		y, _ := c.req.penalty(c.req.RequestingState)
		out = append(out, finding("intrusive-measures", Block, fmt.Sprintf("The conduct is not a serious crime (maximum %g years in %s, "+
			"below %d): an intrusive power is disproportionate.", y, c.req.RequestingState, seriousYears), "UNCC 2(h)", "UNCC 24", "Budapest 15"))
	}
	if c.req.Window == nil {
		out = append(out, finding("intrusive-measures", Warn, "No time window is given: an intrusive measure must be limited in duration.",
			"UNCC 24", "Budapest 15"))
	} else if days := c.req.Window.days(); days > 90 {
		out = append(out, finding("intrusive-measures", Warn, fmt.Sprintf("The window covers %d days: justify a duration over 90 days.", days),
			"UNCC 24", "Budapest 15"))
	}
	return out
}

// sensitiveData are the categories that need special data protection.
var sensitiveData = []string{"health", "sexual-life", "biometric", "children"}

// measureNeeds lists the data categories each measure can need; more is
// broader than the measure.
var measureNeeds = map[string][]string{
	"extradition":             {},
	"expedited-preservation":  {"subscriber", "traffic"},
	"production-order":        {"subscriber", "traffic", "content"},
	"stored-data-access":      {"subscriber", "traffic", "content", "location"},
	"real-time-traffic-data":  {"traffic", "location"},
	"content-interception":    {"content", "traffic"},
	"mutual-legal-assistance": DataCategories.Values,
}

func checkPersonalData(c *checkContext) []Finding {
	var out []Finding
	var sensitive, broader []string
	for _, d := range c.req.DataCategories {
		if contains(sensitiveData, d) {
			sensitive = append(sensitive, d)
		} else if !contains(measureNeeds[c.req.Measure], d) {
			broader = append(broader, d)
		}
	}
	if len(sensitive) > 0 {
		f := finding("personal-data", Warn, fmt.Sprintf("The request seeks %s data.", strings.Join(sensitive, ", ")), "UNCC 36")
		f.Condition = "data-protection safeguards for special categories of data; no transfer where the applicable data-protection law forbids it"
		out = append(out, f)
	}
	if len(broader) > 0 {
		out = append(out, finding("personal-data", Warn, fmt.Sprintf("A %s request does not need %s data: the request is broader "+
			"than the measure.", c.req.Measure, strings.Join(broader, ", ")), "UNCC 24", "Budapest 15"))
	}
	return out
}

func checkPurpose(c *checkContext) []Finding {
	if strings.TrimSpace(c.req.Purpose) == "" {
		return []Finding{finding("purpose", Warn, "No purpose is stated: necessity and proportionality cannot be judged.",
			"UNCC 24", "Budapest 15")}
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
