package treaty

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/harmtrace/harmtrace/internal/vocab"
)

//go:embed data/status.json
var statusJSON []byte

// InstrumentStatus is whether an instrument is in force, as of a date.
type InstrumentStatus struct {
	Instrument   string `json:"instrument"`
	Name         string `json:"name"`
	InForce      bool   `json:"in_force"`
	Rule         string `json:"rule,omitempty"` // the article that says when it binds
	Note         string `json:"note"`
	Source       string `json:"source"`
	Verification string `json:"verification"`
}

// countryStatus is a dated status fact that overrides the seed.
type countryStatus struct {
	Country string `json:"country"`
	StatusSource
}

type statusFile struct {
	Checked     string             `json:"checked"`
	Instruments []InstrumentStatus `json:"instruments"`
	Countries   []countryStatus    `json:"countries"`
}

var loadStatus = func() func() *statusFile {
	var f statusFile
	if err := json.Unmarshal(statusJSON, &f); err != nil {
		panic("treaty: embedded status.json: " + err.Error()) // checked by the tests
	}
	return func() *statusFile { return &f }
}()

func statusData() *statusFile { return loadStatus() }

// Instruments returns the shipped status of each instrument, and the date
// it was checked.
func Instruments() ([]InstrumentStatus, string) {
	f := statusData()
	return f.Instruments, f.Checked
}

func instrument(name string) InstrumentStatus {
	for _, i := range statusData().Instruments {
		if i.Instrument == name {
			return i
		}
	}
	return InstrumentStatus{Instrument: name, Name: name}
}

// Applicability says whether one instrument binds both states.
type Applicability struct {
	Instrument string `json:"instrument"`
	Name       string `json:"name"`
	InForce    bool   `json:"in_force"`
	Requesting string `json:"requesting"` // party, signatory, observer, none or unknown
	Requested  string `json:"requested"`
	BindsBoth  bool   `json:"binds_both"`
	Note       string `json:"note"`
}

// applicability answers, for each instrument, whether it binds both states.
// A treaty binds only a Party, and only once it is in force: a signatory or
// an observer is not bound.
func applicability(requesting, requested *Profile) []Applicability {
	var out []Applicability
	for _, name := range []string{Budapest, UNCC, CETS224} {
		in := instrument(name)
		a := Applicability{Instrument: name, Name: in.Name, InForce: in.InForce, Requesting: Unknown, Requested: Unknown}
		switch name {
		case Budapest:
			a.Requesting, a.Requested = requesting.Budapest, requested.Budapest
		case UNCC:
			a.Requesting, a.Requested = requesting.UNCC, requested.UNCC
		}
		a.BindsBoth = in.InForce && a.Requesting == "party" && a.Requested == "party"
		switch {
		case !in.InForce:
			a.Note = in.Note
		case a.BindsBoth:
			a.Note = "Both states are Parties: the instrument applies between them."
		case a.Requesting == Unknown || a.Requested == Unknown:
			a.Note = "A state's status is unknown: verify it before relying on this instrument."
		default:
			a.Note = "At least one state is not a Party: the instrument does not apply between them."
		}
		out = append(out, a)
	}
	return out
}

// withdrawnCodes are two-letter codes that look like ISO 3166-1 but are not
// assigned to a country, with the right code where there is one.
var withdrawnCodes = map[string]string{
	"UK": `the United Kingdom is "GB"`,
	"EL": `Greece is "GR"`,
	"AN": "the Netherlands Antilles were dissolved in 2010 (use CW, SX or BQ)",
	"CS": `Serbia and Montenegro split in 2006 (use RS or ME)`,
	"XK": "XK (Kosovo) is a user-assigned code, not part of ISO 3166-1",
	"EU": "the European Union is not a state",
}

// checkCountry accepts only assigned ISO 3166-1 alpha-2 codes.
func checkCountry(code string) error {
	if code == "" {
		return fmt.Errorf("is missing: give an ISO 3166-1 alpha-2 country code such as FR")
	}
	if why, ok := withdrawnCodes[code]; ok {
		return fmt.Errorf("%q is not an ISO 3166-1 alpha-2 country code: %s", code, why)
	}
	if _, ok := vocab.LookupCountry(code); !ok {
		return fmt.Errorf("%q is not an ISO 3166-1 alpha-2 country code", code)
	}
	return nil
}

func isDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}
