package treaty

import (
	"fmt"
	"strings"
)

// The rules of the check, in the order they are applied: which instrument
// binds both states comes first, because every later citation depends on
// it. Each rule is one small function of the request and the two
// jurisdictions' profiles. docs/treaty-check.md explains them for a lawyer.
var rules = []struct {
	name  string
	check func(c *checkContext) []Finding
}{
	{"applicability", checkApplicability},
	{"scope", checkScope},
	{"dual-criminality", checkDualCriminality},
	{"refusal-grounds", checkRefusalGrounds},
	{"death-penalty", checkDeathPenalty},
	{"intrusive-measures", checkIntrusiveMeasures},
	{"data-protection", checkDataProtection},
	{"personal-data", checkPersonalData},
	{"purpose", checkPurpose},
}

// policyYears is the project's recommended threshold for the intrusive
// powers. It is not a treaty rule: Budapest 20 sets no threshold, 21 leaves
// "serious offences" to domestic law, and so does the UN text. The project
// borrows the four years of the UN Convention's "serious crime" (UNCC 2(h))
// because civil society names these powers the most open to abuse.
const policyYears = 4

// atRisk are the target situations the civil-society submissions name as
// targets of persecution through cybercrime law.
var atRisk = []string{"journalist", "human-rights-defender", "political-opposition", "minority"}

type checkContext struct {
	req        *Request
	requesting *Profile
	requested  *Profile
	applies    []Applicability
}

func newContext(req *Request, requesting, requested *Profile) *checkContext {
	return &checkContext{req: req, requesting: requesting, requested: requested, applies: applicability(requesting, requested)}
}

// bound tells whether an instrument binds both states.
func (c *checkContext) bound(instrument string) bool {
	for _, a := range c.applies {
		if a.Instrument == instrument {
			return a.BindsBoth
		}
	}
	return false
}

// ifBudapest returns the Budapest citations only when Budapest binds both
// states, so that no finding rests on Budapest between non-Parties.
func (c *checkContext) ifBudapest(citations ...string) []string {
	if c.bound(Budapest) {
		return citations
	}
	return nil
}

// penalty returns the maximum penalty in years a state gives the conduct:
// the request's figure, else the highest its profile records for the
// conduct, and whether either is known.
func (c *checkContext) penalty(state string) (float64, bool) {
	if y, ok := c.req.MaxPenaltyYears[state]; ok {
		return y, true
	}
	p := c.requested
	if state == c.req.RequestingState {
		p = c.requesting
	}
	best, known := 0.0, false
	for _, conduct := range c.req.Conduct {
		if crim, ok := p.criminalisation(conduct); ok && crim.Criminal && crim.MaxPenaltyYears > 0 {
			best, known = max(best, crim.MaxPenaltyYears), true
		}
	}
	return best, known
}

func finding(rule, severity, explanation string, articles ...string) Finding {
	return Finding{Rule: rule, Severity: severity, Explanation: explanation, Articles: articles}
}

func policy(rule, severity, explanation string) Finding {
	return Finding{Rule: rule, Severity: severity, Basis: BasisPolicy, Articles: []string{},
		Explanation: "Project safeguard, not a treaty rule: " + explanation}
}

func checkApplicability(c *checkContext) []Finding {
	var out []Finding
	budapest := c.applies[0]
	switch {
	case budapest.BindsBoth:
		out = append(out, finding("applicability", Info, "Both states are Parties to the Budapest Convention: its chapter on "+
			"international co-operation applies between them.", "Budapest 23"))
	case budapest.Requesting == Unknown || budapest.Requested == Unknown:
		f := finding("applicability", Warn, fmt.Sprintf("The Budapest status of %s is unknown: verify it. Until then no "+
			"instrument is known to bind both states.", unknownStates(c)))
		f.noBasis = true
		out = append(out, f)
	default:
		f := finding("applicability", Warn, fmt.Sprintf("No treaty basis: the Budapest Convention does not bind both states "+
			"(%s: %s; %s: %s), and the UN Convention is not in force. Cooperation depends on a bilateral treaty or domestic "+
			"law; the articles cited below are the standards the Conventions set.", c.req.RequestingState, budapest.Requesting,
			c.req.RequestedState, budapest.Requested), "UNCC 65(1)")
		f.noBasis = true
		out = append(out, f)
	}
	out = append(out, finding("applicability", Info, fmt.Sprintf("The UN Convention is not in force (%s: %s; %s: %s): it binds "+
		"no state until ninety days after the fortieth ratification. Its articles are cited as the standard it sets.",
		c.req.RequestingState, c.requesting.UNCC, c.req.RequestedState, c.requested.UNCC), "UNCC 65(1)"))
	return out
}

func unknownStates(c *checkContext) string {
	var s []string
	if c.requesting.Budapest == Unknown {
		s = append(s, c.req.RequestingState)
	}
	if c.requested.Budapest == Unknown {
		s = append(s, c.req.RequestedState)
	}
	return strings.Join(s, " and ")
}

func checkScope(c *checkContext) []Finding {
	var out []Finding
	extradition := c.req.Measure == "extradition"
	for _, conduct := range c.req.Conduct {
		switch arts := offenceArticles(conduct); {
		case expressionConduct[conduct]:
			out = append(out, finding("scope", Block, fmt.Sprintf("%q is expression, assembly or association, not an offence under "+
				"either Convention. The UN Convention may not be read to permit the suppression of expression, opinion, "+
				"peaceful assembly or association.", conduct), "UNCC 6(2)"))
		case extradition && !budapestOffence(conduct) && len(arts) > 0:
			f := finding("scope", Warn, fmt.Sprintf("%q is an offence under %s, but Budapest extradition covers only the offences "+
				"of its articles 2 to 11, and the UN Convention is not in force: extradition for it rests on an extradition "+
				"treaty or domestic law.", conduct, strings.Join(arts, " and ")), append(arts, c.ifBudapest("Budapest 24(1)(a)")...)...)
			f.noBasis = true
			out = append(out, f)
		case len(arts) > 0:
			out = append(out, finding("scope", Info, fmt.Sprintf("%q is an offence under %s.", conduct, strings.Join(arts, " and ")), arts...))
		case extradition:
			f := finding("scope", Warn, fmt.Sprintf("%q is not an offence under either Convention. Budapest extradition covers only "+
				"the offences of its articles 2 to 11, and UN Convention extradition only its own offences: neither is a basis "+
				"to extradite for it. It rests on an extradition treaty or domestic law.", conduct),
				append(c.ifBudapest("Budapest 24(1)(a)"), "UNCC 37")...)
			f.noBasis = true
			out = append(out, f)
		default:
			out = append(out, otherConductScope(c, conduct))
		}
	}
	return out
}

// otherConductScope explains how far the Conventions cover evidence of a
// crime that is not one of their offences.
func otherConductScope(c *checkContext, conduct string) Finding {
	un := "the UN Convention would cover it only as a serious crime (at least 4 years' maximum)"
	switch y, known := c.penalty(c.req.RequestingState); {
	case !known:
		un += ", and no maximum penalty is known"
	case y < 4:
		un += fmt.Sprintf(", which it is not (%s in %s)", yearsText(y), c.req.RequestingState)
	default:
		un += "; if the request relies on UNCC 4, check that the other UN convention binds both states"
	}
	if c.bound(Budapest) {
		return finding("scope", Info, fmt.Sprintf("%q is not a Convention offence. Budapest co-operation covers electronic evidence "+
			"of any criminal offence; %s.", conduct, un), "Budapest 23", "Budapest 25(1)", "UNCC 2(h)", "UNCC 35")
	}
	return finding("scope", Info, fmt.Sprintf("%q is not a Convention offence; %s.", conduct, un), "UNCC 2(h)", "UNCC 35")
}

func checkDualCriminality(c *checkContext) []Finding {
	measure := c.req.Measure
	if measure == "expedited-preservation" {
		if c.bound(Budapest) {
			return []Finding{finding("dual-criminality", Info, "Dual criminality is not required to preserve data; a Party may "+
				"reserve the right to require it for offences other than those of articles 2 to 11.", "Budapest 29(3)", "Budapest 29(4)")}
		}
		return []Finding{finding("dual-criminality", Info, "Between these states no Convention applies to preservation; the UN "+
			"Convention's preservation article, not yet in force, is the standard.", "UNCC 42")}
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
				"a crime. Judge it on the conduct, not on the offence's name.", c.req.RequestedState, conduct),
				append(c.ifBudapest("Budapest 25(5)"), "UNCC 35")...))
		case !crim.Criminal && measure == "extradition":
			out = append(out, finding("dual-criminality", Block, fmt.Sprintf("The law of %s does not make %q a crime (%s); extradition "+
				"requires the conduct to be criminal in both states.", c.req.RequestedState, conduct, crim.Source),
				append(c.ifBudapest("Budapest 24(1)(a)"), "UNCC 37")...))
		case !crim.Criminal:
			out = append(out, finding("dual-criminality", Warn, fmt.Sprintf("The law of %s does not make %q a crime (%s); assistance "+
				"may be refused for lack of dual criminality.", c.req.RequestedState, conduct, crim.Source),
				append(c.ifBudapest("Budapest 25(4)"), "UNCC 40")...))
		}
	}
	if measure == "extradition" && c.bound(Budapest) {
		out = append(out, checkOneYear(c)...)
	}
	return out
}

// checkOneYear applies Budapest art. 24(1)(a): extradition between Parties
// needs a maximum of at least one year in both.
func checkOneYear(c *checkContext) []Finding {
	var out []Finding
	for _, state := range []string{c.req.RequestingState, c.req.RequestedState} {
		y, ok := c.penalty(state)
		switch {
		case !ok:
			out = append(out, finding("dual-criminality", Warn, fmt.Sprintf("Verify the maximum penalty in %s: extradition between "+
				"Budapest Parties needs at least 1 year in both.", state), "Budapest 24(1)(a)"))
		case y < 1:
			out = append(out, finding("dual-criminality", Block, fmt.Sprintf("The maximum penalty in %s is %s: extradition "+
				"between Budapest Parties needs at least 1 year in both.", state, yearsText(y)), "Budapest 24(1)(a)"))
		}
	}
	return out
}

// refusalArticles are the articles a refusal ground rests on for the
// measure: the requested Party's law under Budapest where it binds, and the
// UN Convention's extradition or assistance article as the standard.
func (c *checkContext) refusalArticles(extra ...string) []string {
	arts := append([]string{}, extra...)
	if c.req.Measure == "extradition" {
		return append(append(arts, c.ifBudapest("Budapest 24(5)")...), "UNCC 37")
	}
	return append(append(arts, c.ifBudapest("Budapest 25(4)")...), "UNCC 40")
}

func checkRefusalGrounds(c *checkContext) []Finding {
	var out []Finding
	expression := false
	for _, conduct := range c.req.Conduct {
		expression = expression || expressionConduct[conduct]
	}
	who := targetText(c.req.Target)
	switch {
	case c.req.hasTarget(atRisk...) && expression:
		out = append(out, finding("refusal-grounds", Block, fmt.Sprintf("The target is %s and the conduct is expression, assembly "+
			"or association: the request may aim at persecution for political opinion, a ground to refuse.", who),
			c.refusalArticles("UNCC 6(2)")...))
	case c.req.hasTarget(atRisk...):
		out = append(out, finding("refusal-grounds", Warn, fmt.Sprintf("The target is %s: check that the request does not aim at "+
			"persecution, and ask for the evidence behind it.", who), c.refusalArticles("UNCC 6(1)")...))
	}
	out = append(out, checkGrounds(c)...)
	for _, conduct := range c.req.Conduct {
		if conduct == "insulting-officials" || (c.req.hasTarget("political-opposition") && !expression) {
			out = append(out, politicalOffence(c))
			break
		}
	}
	if a := strings.TrimSpace(c.requesting.RightsAssessment); a != "" {
		f := finding("refusal-grounds", Info, fmt.Sprintf("Rights assessment of %s in its profile: %s", c.req.RequestingState, a))
		f.Basis, f.Articles = BasisProfile, []string{}
		out = append(out, f)
	}
	return out
}

// checkGrounds applies the persecution grounds of the UN Convention's list,
// and says so when a ground is not on it.
func checkGrounds(c *checkContext) []Finding {
	var listed, unlisted []string
	for _, g := range c.req.TargetGrounds {
		switch {
		case contains(listedGrounds, g):
			listed = append(listed, g)
		case g != "none":
			unlisted = append(unlisted, g)
		}
	}
	var out []Finding
	if len(listed) > 0 {
		out = append(out, finding("refusal-grounds", Block, fmt.Sprintf("The request may aim at the target on account of %s: "+
			"where there are substantial grounds to believe so, the UN Convention imposes no obligation to cooperate.",
			strings.Join(listed, ", ")), c.refusalArticles()...))
	}
	if len(unlisted) > 0 {
		out = append(out, finding("refusal-grounds", Warn, fmt.Sprintf("The request may aim at the target on account of %s. "+
			"Sexual orientation and gender identity are absent from the UN Convention's list of grounds (sex, race, language, "+
			"religion, nationality, ethnic origin, political opinions): a refusal must rest on the requested state's law and "+
			"its human-rights obligations.", strings.Join(unlisted, ", ")), c.refusalArticles("UNCC 6(1)")...))
	}
	return out
}

func politicalOffence(c *checkContext) Finding {
	if c.req.Measure == "extradition" {
		return finding("refusal-grounds", Warn, "The request may concern a political offence. Extradition is subject to the "+
			"requested state's law and extradition treaties, which commonly refuse extradition for political offences.",
			append(c.ifBudapest("Budapest 24(5)"), "UNCC 37")...)
	}
	if c.bound(Budapest) {
		return finding("refusal-grounds", Warn, "The request may concern a political offence. Where no mutual assistance treaty is "+
			"in force between the two Parties, the requested Party may refuse on that ground; otherwise the treaty's and its "+
			"law's grounds apply.", "Budapest 25(4)", "Budapest 27(1)", "Budapest 27(4)(a)")
	}
	return finding("refusal-grounds", Warn, "The request may concern a political offence, which the requested state's law may "+
		"treat as a ground to refuse.", "UNCC 40")
}

// checkDeathPenalty: neither Convention has a death-penalty clause. The
// basis is the requested state's law and human-rights obligations, which
// Budapest 24(5) preserves.
func checkDeathPenalty(c *checkContext) []Finding {
	if c.req.Measure != "extradition" {
		return nil
	}
	arts := append(c.ifBudapest("Budapest 24(5)"), "UNCC 6(1)")
	const basis = " Neither Convention has a death-penalty clause: refusal or assurances rest on the requested state's law and " +
		"human-rights obligations."
	var f Finding
	switch c.requesting.DeathPenalty {
	case "retained":
		f = finding("death-penalty", Warn, fmt.Sprintf("%s retains the death penalty.%s", c.req.RequestingState, basis), arts...)
	case Unknown:
		f = finding("death-penalty", Warn, fmt.Sprintf("Whether %s retains the death penalty is unknown: verify it.%s",
			c.req.RequestingState, basis), arts...)
	default:
		return nil
	}
	f.Condition = "assurances that the death penalty will not be sought, imposed or carried out"
	return []Finding{f}
}

func checkIntrusiveMeasures(c *checkContext) []Finding {
	var powers []string
	switch c.req.Measure {
	case "real-time-traffic-data":
		powers = append(c.ifBudapest("Budapest 20(1)", "Budapest 33(1)"), "UNCC 29", "UNCC 45")
	case "content-interception":
		powers = append(c.ifBudapest("Budapest 21(1)", "Budapest 34"), "UNCC 30(1)", "UNCC 46")
	default:
		return nil
	}
	explanation := "This is one of the most intrusive powers; it is available only as the requested state's domestic law allows."
	if c.req.Measure == "content-interception" {
		explanation += " Interception is for serious offences as domestic law defines them: verify that this offence is one."
	}
	f := finding("intrusive-measures", Warn, explanation, append(append(c.ifBudapest("Budapest 15(1)", "Budapest 15(2)"), "UNCC 24(2)"), powers...)...)
	f.Condition = "necessity and proportionality shown, independent (judicial) authorisation, and a limited duration"
	out := []Finding{f}
	why := "the project recommends the intrusive powers only for offences punishable by at least 4 years' maximum, because " +
		"civil society names them the most open to abuse; the Conventions leave the threshold to domestic law."
	switch y, known := c.penalty(c.req.RequestingState); {
	case !known:
		out = append(out, policy("intrusive-measures", Warn, "no maximum penalty is known in the requesting state; "+why))
	case y < policyYears:
		out = append(out, policy("intrusive-measures", Block, fmt.Sprintf("the maximum penalty in %s is %s; %s",
			c.req.RequestingState, yearsText(y), why)))
	}
	if c.req.Window == nil {
		out = append(out, finding("intrusive-measures", Warn, "No time window is given: the safeguards require limits on the "+
			"duration of the power.", append(c.ifBudapest("Budapest 15(2)"), "UNCC 24(2)")...))
	}
	return out
}

// transfersData are the measures whose answer hands personal data to the
// requesting state. Preservation only keeps data where it is, and
// extradition hands over a person.
var transfersData = map[string]bool{"mutual-legal-assistance": true, "production-order": true, "stored-data-access": true,
	"real-time-traffic-data": true, "content-interception": true}

// sensitiveData are the categories that need special safeguards.
var sensitiveData = []string{"health", "sexual-life", "biometric", "children"}

func checkDataProtection(c *checkContext) []Finding {
	if !transfersData[c.req.Measure] {
		return nil
	}
	dp := c.req.DataProtection
	if dp == nil {
		dp = &DataProtection{}
	}
	var out []Finding
	if len(dp.Assurances) == 0 {
		f := finding("data-protection", Warn, "The request gives no data-protection assurances. The requested state need not "+
			"transfer personal data its data-protection law forbids it to transfer, and the receiving state must subject the data "+
			"to effective and appropriate safeguards.", "UNCC 36(1)(a)", "UNCC 36(2)", "CETS224 14(1)")
		f.Condition = "assurances of effective and appropriate data-protection safeguards in the requesting state's law"
		out = append(out, f)
	}
	switch dp.OnwardTransfer {
	case "":
		f := finding("data-protection", Warn, "The request does not say whether the data may be passed on to a third state or an "+
			"international organisation.", "UNCC 36(3)", "CETS224 14(10)")
		f.Condition = "no onward transfer without the prior authorisation of the requested state"
		out = append(out, f)
	case "unrestricted":
		out = append(out, finding("data-protection", Block, "The request claims the right to pass the data on without "+
			"authorisation: onward transfer to a third state or an international organisation needs the prior authorisation of "+
			"the state that transferred the data.", "UNCC 36(3)", "CETS224 14(10)"))
	}
	if len(dp.UseLimits) == 0 {
		f := finding("data-protection", Warn, "The request accepts no limit on the use of the data.",
			append(c.ifBudapest("Budapest 28(2)(b)"), "CETS224 14(2)")...)
		f.Condition = "the data used only for the investigation or proceedings stated in the request"
		out = append(out, f)
	}
	var sensitive []string
	for _, d := range c.req.DataCategories {
		if contains(sensitiveData, d) {
			sensitive = append(sensitive, d)
		}
	}
	if len(sensitive) > 0 && !contains(dp.Assurances, "sensitive-data-safeguards") {
		f := finding("data-protection", Warn, fmt.Sprintf("The request seeks %s data without safeguards for sensitive data.",
			strings.Join(sensitive, ", ")), "UNCC 36(2)", "CETS224 14(4)")
		f.Condition = "safeguards for sensitive data against prejudicial use"
		out = append(out, f)
	}
	return out
}

// measureNeeds lists the data categories each measure can need; more is
// broader than the measure. Preservation keeps stored data of every kind,
// content included (Budapest 16(1), 29(1)).
var measureNeeds = map[string][]string{
	"extradition":             {},
	"expedited-preservation":  DataCategories.Values,
	"production-order":        DataCategories.Values,
	"stored-data-access":      DataCategories.Values,
	"real-time-traffic-data":  {"traffic", "location"},
	"content-interception":    DataCategories.Values,
	"mutual-legal-assistance": DataCategories.Values,
}

func checkPersonalData(c *checkContext) []Finding {
	var broader []string
	for _, d := range c.req.DataCategories {
		if !contains(measureNeeds[c.req.Measure], d) {
			broader = append(broader, d)
		}
	}
	if len(broader) == 0 {
		return nil
	}
	return []Finding{finding("personal-data", Warn, fmt.Sprintf("%s request does not need %s data: the request is broader "+
		"than the measure.", capitalise(aOrAn(measureText(c.req.Measure))), strings.Join(broader, ", ")),
		append(c.ifBudapest("Budapest 15(1)"), "UNCC 24")...)}
}

func checkPurpose(c *checkContext) []Finding {
	if strings.TrimSpace(c.req.Purpose) == "" {
		return []Finding{finding("purpose", Warn, "No purpose is stated: necessity and proportionality cannot be judged.",
			append(c.ifBudapest("Budapest 15(1)"), "UNCC 24")...)}
	}
	return nil
}

func contains(list []string, v string) bool { return containsString(list, v) }

// yearsText writes a penalty: "1 year", "0.5 years", "4 years".
func yearsText(y float64) string {
	if y == 1 {
		return "1 year"
	}
	return fmt.Sprintf("%g years", y)
}

// measureText names a measure in words: "mutual legal assistance".
func measureText(m string) string { return strings.ReplaceAll(m, "-", " ") }

// aOrAn puts the indefinite article before a phrase.
func aOrAn(s string) string {
	if s != "" && strings.ContainsRune("aeiouAEIOU", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// targetText names the target's situations in words.
func targetText(targets []string) string {
	words := map[string]string{"journalist": "a journalist", "human-rights-defender": "a human-rights defender",
		"political-opposition": "a member of the political opposition", "minority": "a member of a minority"}
	var out []string
	for _, t := range targets {
		if w, ok := words[t]; ok {
			out = append(out, w)
		}
	}
	return strings.Join(out, " and ")
}
