package treaty

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/validate"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// Unknown is a first-class answer everywhere in a profile.
const Unknown = "unknown"

// Profile is what is known of one jurisdiction.
type Profile struct {
	Country string `json:"country"`
	// Budapest: party, signatory, observer, none or unknown.
	Budapest string `json:"budapest"`
	// UNCC: party, signatory, none or unknown. Even a party is not bound
	// until the Convention enters into force (art. 65).
	UNCC string `json:"uncc"`
	// StatusSources dates and sources each status, with how far it was
	// verified, so a reader can tell a checked fact from an old seed.
	StatusSources []StatusSource `json:"status_sources,omitempty"`
	// Criminalises lists the conduct the country's law makes a crime, with
	// the maximum penalty and a source. Conduct not listed is unknown.
	Criminalises []Criminalisation `json:"criminalises,omitempty"`
	// DeathPenalty: retained, abolished or unknown.
	DeathPenalty     string   `json:"death_penalty"`
	RightsAssessment string   `json:"rights_assessment,omitempty"`
	Sources          []string `json:"sources,omitempty"`
}

// Criminalisation is one conduct a country's law punishes.
type Criminalisation struct {
	Conduct         string  `json:"conduct"`
	Criminal        bool    `json:"criminal"`
	MaxPenaltyYears float64 `json:"max_penalty_years,omitempty"`
	Source          string  `json:"source"`
}

// StatusSource is where one status fact comes from.
type StatusSource struct {
	Instrument   string `json:"instrument"` // Budapest, UNCC or CETS224
	Status       string `json:"status"`
	Source       string `json:"source"`
	Checked      string `json:"checked,omitempty"` // YYYY-MM-DD
	Verification string `json:"verification"`      // verified-text, secondary-source or unverified
}

// Status vocabularies. A signatory is not bound; an observer takes part in
// the Budapest committee without being a Party.
var (
	BudapestStatus = vocab.List{Name: "Budapest status", Values: []string{"party", "signatory", "observer", "none", Unknown}}
	UNCCStatus     = vocab.List{Name: "UN Convention status", Values: []string{"party", "signatory", "none", Unknown}}
	deathPenalty   = vocab.List{Name: "death penalty", Values: []string{"retained", "abolished", Unknown}}
	verifications  = vocab.List{Name: "verification", Values: []string{Verified, Secondary, Unverified}}
	instruments    = vocab.List{Name: "instrument", Values: []string{Budapest, UNCC, CETS224}}
)

// oldStatuses maps the values earlier versions stored to today's words.
var oldStatuses = map[string]string{"not-party": "none", "not-signatory": "none"}

func (p *Profile) normalise() {
	for _, f := range []*string{&p.Budapest, &p.UNCC, &p.DeathPenalty} {
		if *f == "" {
			*f = Unknown
		}
		if v, ok := oldStatuses[*f]; ok {
			*f = v
		}
	}
}

// Validate names every field at fault.
func (p *Profile) Validate() error {
	var errs validate.Errors
	p.Country = strings.ToUpper(strings.TrimSpace(p.Country))
	errs.Check("country", checkCountry(p.Country))
	p.normalise()
	errs.Check("budapest", BudapestStatus.Check(p.Budapest))
	errs.Check("uncc", UNCCStatus.Check(p.UNCC))
	errs.Check("death_penalty", deathPenalty.Check(p.DeathPenalty))
	for i, s := range p.StatusSources {
		field := fmt.Sprintf("status_sources[%d]", i)
		errs.Check(field+".instrument", instruments.Check(s.Instrument))
		errs.Check(field+".verification", verifications.Check(s.Verification))
		if strings.TrimSpace(s.Source) == "" {
			errs.Add(field+".source", "name the source of the status")
		}
		if s.Checked != "" && !isDate(s.Checked) {
			errs.Add(field+".checked", "%q is not a date YYYY-MM-DD", s.Checked)
		}
	}
	for i, c := range p.Criminalises {
		errs.Check(fmt.Sprintf("criminalises[%d].conduct", i), Conducts.Check(c.Conduct))
		if c.Source == "" {
			errs.Add(fmt.Sprintf("criminalises[%d].source", i), "cite the law or a source for it")
		}
		if c.MaxPenaltyYears < 0 {
			errs.Add(fmt.Sprintf("criminalises[%d].max_penalty_years", i), "is negative")
		}
	}
	return errs.Err()
}

// criminalisation returns what the profile says of a conduct.
func (p *Profile) criminalisation(conduct string) (Criminalisation, bool) {
	for _, c := range p.Criminalises {
		if c.Conduct == conduct {
			return c, true
		}
	}
	return Criminalisation{}, false
}

// galaxySource is why a status seeded from the MISP galaxy is only a
// secondary source: the galaxy's snapshot is undated and lists 68 Parties,
// fewer than the Council of Europe counts now.
const galaxySource = "MISP country galaxy (budapest-convention), an undated snapshot listing 68 Parties; the Council of " +
	"Europe counts about 81 (August 2025, secondary source), so a state shown as observer or none may have joined since"

// seedProfile is the profile the shipped data gives a country: the
// galaxy's Budapest status, then the dated facts of data/status.json.
func seedProfile(country string) *Profile {
	p := &Profile{Country: country, Budapest: Unknown, UNCC: Unknown, DeathPenalty: Unknown}
	if c, ok := vocab.LookupCountry(country); ok {
		switch c.Budapest {
		case "parties":
			p.Budapest = "party"
		case "observers":
			p.Budapest = "observer"
		default:
			p.Budapest = "none"
		}
		p.StatusSources = append(p.StatusSources, StatusSource{Instrument: Budapest, Status: p.Budapest, Source: galaxySource,
			Verification: Secondary})
	}
	for _, f := range statusData().Countries {
		if f.Country != country {
			continue
		}
		switch f.Instrument {
		case Budapest:
			p.Budapest = f.Status
			p.StatusSources = dropInstrument(p.StatusSources, Budapest)
		case UNCC:
			p.UNCC = f.Status
		}
		p.StatusSources = append(p.StatusSources, f.StatusSource)
	}
	return p
}

func dropInstrument(list []StatusSource, instrument string) []StatusSource {
	var out []StatusSource
	for _, s := range list {
		if s.Instrument != instrument {
			out = append(out, s)
		}
	}
	return out
}

// GetProfile returns the stored profile of a country, or the seed profile.
func GetProfile(ctx context.Context, q db.Querier, country string) (*Profile, error) {
	country = strings.ToUpper(country)
	var body string
	err := q.QueryRow(ctx, `SELECT body FROM jurisdiction_profiles WHERE country = ?`, country).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return seedProfile(country), nil
	}
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", country, err)
	}
	var p Profile
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		return nil, fmt.Errorf("profile %s: %w", country, err)
	}
	p.normalise()
	return &p, nil
}

// DecodeProfiles reads a file of profiles (harmtrace profile import): a
// JSON array of profiles, unknown keys refused, each profile valid.
func DecodeProfiles(data []byte) ([]Profile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var list []Profile
	if err := dec.Decode(&list); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the list of profiles")
	}
	for i := range list {
		if err := list[i].Validate(); err != nil {
			return nil, fmt.Errorf("profiles[%d] (%s): %w", i, list[i].Country, err)
		}
	}
	return list, nil
}

// SaveProfile stores a profile, recording what changed.
func SaveProfile(ctx context.Context, tx *db.Tx, p *Profile) (revision.Outcome, error) {
	if err := p.Validate(); err != nil {
		return revision.Unchanged, err
	}
	var stored string
	err := tx.QueryRow(ctx, `SELECT body FROM jurisdiction_profiles WHERE country = ?`, p.Country).Scan(&stored)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return revision.Unchanged, err
	}
	var before any
	if exists {
		var old Profile
		if err := json.Unmarshal([]byte(stored), &old); err != nil {
			return revision.Unchanged, err
		}
		before = &old
	} else {
		before = seedProfile(p.Country) // the first edit shows what it changed from the shipped data
	}
	outcome, err := revision.Record(ctx, tx, "jurisdiction-profile", "profile--"+p.Country, before, p)
	if err != nil || outcome == revision.Unchanged {
		return outcome, err
	}
	body, _ := json.Marshal(p)
	now := tx.Stamp()
	if exists {
		_, err = tx.Exec(ctx, `UPDATE jurisdiction_profiles SET body = ?, updated_at = ? WHERE country = ?`, string(body), now, p.Country)
	} else {
		_, err = tx.Exec(ctx, `INSERT INTO jurisdiction_profiles (country, body, created_at, updated_at) VALUES (?, ?, ?, ?)`,
			p.Country, string(body), now, now)
		outcome = revision.Created
	}
	return outcome, err
}

// ListProfiles returns the stored profiles.
func ListProfiles(ctx context.Context, q db.Querier) ([]Profile, error) {
	countries, err := db.Column[string](ctx, q, `SELECT country FROM jurisdiction_profiles ORDER BY country`)
	if err != nil {
		return nil, err
	}
	var out []Profile
	for _, c := range countries {
		p, err := GetProfile(ctx, q, c)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, nil
}
