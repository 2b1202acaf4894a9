package vocab

// HarmCategories are the five harm themes of Agrafiotis et al. (MISP taxonomy
// organizational-cyber-harm) followed by the impact categories of the STIX
// Incident Core Extension.
var HarmCategories = List{"harm category", []string{
	"physical-digital", "economic", "psychological", "reputational", "social-societal",
	"availability", "confidentiality", "external", "integrity", "monetary", "physical", "traceability",
}}

// Indicator is a measurable harm and the unit it is counted in.
type Indicator struct {
	Name string
	// Unit is the only unit allowed; empty means a currency code is required.
	Unit string
	// Category is the harm category the indicator belongs to by default.
	Category string
}

// Indicators lists what harmtrace measures.
var Indicators = []Indicator{
	{"records-exposed", "records", "confidentiality"},
	{"people-affected", "people", "social-societal"},
	{"patients-affected", "patients", "physical-digital"},
	{"service-disruption-days", "days", "availability"},
	{"facilities-affected", "facilities", "availability"},
	{"care-cancelled", "appointments", "physical-digital"},
	{"care-diverted", "patients", "physical-digital"},
	{"deaths", "people", "physical-digital"},
	{"injuries", "people", "physical-digital"},
	{"ransom-demanded", "", "monetary"},
	{"ransom-paid", "", "monetary"},
	{"financial-loss", "", "economic"},
	{"other", "*", "other"},
}

// IndicatorNames is the closed list of indicator names.
var IndicatorNames = func() List {
	l := List{Name: "harm indicator"}
	for _, i := range Indicators {
		l.Values = append(l.Values, i.Name)
	}
	return l
}()

// LookupIndicator returns the indicator named name.
func LookupIndicator(name string) (Indicator, bool) {
	for _, i := range Indicators {
		if i.Name == name {
			return i, true
		}
	}
	return Indicator{}, false
}

// ConventionArticle is an offence article (7–17) of the UN Convention
// against Cybercrime (A/RES/79/243).
type ConventionArticle struct {
	Number         int
	Title          string
	CyberDependent bool
}

// ConventionArticles are the offence articles an incident can be classified
// under. Titles as in the Convention; see docs/architecture.md for sources.
var ConventionArticles = []ConventionArticle{
	{7, "Illegal access", true},
	{8, "Illegal interception", true},
	{9, "Interference with electronic data", true},
	{10, "Interference with an information and communications technology system", true},
	{11, "Misuse of devices", true},
	{12, "Information and communications technology system-related forgery", false},
	{13, "Information and communications technology system-related theft or fraud", false},
	{14, "Offences related to online child sexual abuse or child sexual exploitation material", false},
	{15, "Solicitation or grooming for the purpose of committing a sexual offence against a child", false},
	{16, "Non-consensual dissemination of intimate images", false},
	{17, "Laundering of proceeds of crime", false},
}

// LookupArticle returns the offence article with the given number.
func LookupArticle(n int) (ConventionArticle, bool) {
	for _, a := range ConventionArticles {
		if a.Number == n {
			return a, true
		}
	}
	return ConventionArticle{}, false
}
