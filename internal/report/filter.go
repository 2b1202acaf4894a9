// Package report computes the published figures: how many incidents, in how
// many countries, with how much harm, counted by the method of
// docs/harm-method.md. Every figure is computed from the store on demand;
// nothing is hard-coded or cached.
package report

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// Filter selects the incidents a report covers. Empty fields select all.
type Filter struct {
	Sector     string `json:"sector,omitempty"`
	Country    string `json:"country,omitempty"`
	AttackType string `json:"attack_type,omitempty"`
	Since      string `json:"since,omitempty"`
	Until      string `json:"until,omitempty"`
	Actor      string `json:"actor,omitempty"`
	Campaign   string `json:"campaign,omitempty"`
	// Determination selects claimed, suspected or confirmed incidents.
	Determination string `json:"determination,omitempty"`
	// Query is full-text search over titles, summaries and victims' names.
	Query string `json:"q,omitempty"`
	// MaxTLP is the most restricted marking the reader may see; "" for all.
	MaxTLP string `json:"tlp,omitempty"`
	// Viewer, when set, limits the incidents to what this viewer may see
	// (internal/access); the command line, run on the store, sets none.
	Viewer *access.Viewer `json:"-"`
}

// ErrFilter marks an error in a filter's values: the caller sent them, so
// the message is theirs to read. Any other error of a report comes from
// the store and belongs in the log, not in an answer.
var ErrFilter = errors.New("bad filter")

// filterError is an error of the filter's values; errors.Is(err, ErrFilter).
type filterError struct{ err error }

func (e filterError) Error() string        { return e.err.Error() }
func (e filterError) Unwrap() error        { return e.err }
func (e filterError) Is(target error) bool { return target == ErrFilter }

// Validate checks the filter's values.
func (f Filter) Validate() error {
	if err := f.check(); err != nil {
		return filterError{err}
	}
	return nil
}

func (f Filter) check() error {
	// No name or word holds a NUL byte or bytes that are not UTF-8, and
	// PostgreSQL refuses such text with an error instead of no match.
	for flag, v := range map[string]string{"--q": f.Query, "--actor": f.Actor, "--campaign": f.Campaign} {
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return fmt.Errorf("%s: holds a NUL byte or bytes that are not UTF-8", flag)
		}
	}
	if f.AttackType != "" {
		if err := vocab.AttackTypes.Check(f.AttackType); err != nil {
			return fmt.Errorf("--attack-type: %w", err)
		}
	}
	if f.Sector != "" {
		if _, ok := vocab.CanonicalSector(f.Sector); !ok {
			return fmt.Errorf("--sector: unknown sector %q", f.Sector)
		}
	}
	if f.Country != "" {
		if _, ok := vocab.LookupCountry(f.Country); !ok {
			return fmt.Errorf("--country: unknown country code %q", f.Country)
		}
	}
	if err := trace.Date(f.Since).Check(); err != nil {
		return fmt.Errorf("--since: %w", err)
	}
	if err := trace.Date(f.Until).Check(); err != nil {
		return fmt.Errorf("--until: %w", err)
	}
	if f.Determination != "" {
		if err := vocab.Determinations.Check(f.Determination); err != nil {
			return fmt.Errorf("--determination: %w", err)
		}
	}
	if f.MaxTLP != "" {
		if err := vocab.TLP.Check(f.MaxTLP); err != nil {
			return fmt.Errorf("--tlp: %w", err)
		}
	}
	return nil
}

// incidentDate is the best known date of an incident: its start, else its
// discovery, else its disclosure.
const incidentDate = `COALESCE(NULLIF(i.start_date, ''), NULLIF(i.discovered_date, ''), NULLIF(i.disclosed_date, ''), '')`

// where returns the SQL condition on incidents i that the filter selects,
// with its arguments. False positives are never counted as attacks. The
// sector, country and actor are those of the records that count in the
// incident's figures (disclosed.go).
func (f Filter) where(d db.Dialect) (string, []any) {
	conds := []string{"i.determination <> 'false-positive'"}
	var args []any
	if f.Viewer != nil {
		cond, cargs := f.Viewer.Condition("i")
		conds = append(conds, cond)
		args = append(args, cargs...)
	}
	if f.Determination != "" {
		conds = append(conds, "i.determination = ?")
		args = append(args, f.Determination)
	}
	if strings.TrimSpace(f.Query) != "" {
		cond, arg := trace.SearchCondition(d, f.Query)
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if f.MaxTLP != "" {
		allowed := vocab.TLP.Values[:indexOf(vocab.TLP.Values, f.MaxTLP)+1]
		conds = append(conds, "i.tlp IN ("+placeholders(len(allowed))+")")
		for _, t := range allowed {
			args = append(args, t)
		}
	}
	// Each condition on a linked table is a set of incident ids (IN), never
	// a subquery correlated with i: the engine then reads the few matching
	// links through their index and looks the incidents up, instead of
	// probing the links once for every incident the marking lets through
	// (seconds at a million incidents; BenchmarkFilterConditions).
	if f.AttackType != "" {
		conds = append(conds, "i.id IN (SELECT a.incident_id FROM incident_attack_types a WHERE a.attack_type = ?)")
		args = append(args, f.AttackType)
	}
	if f.Sector != "" {
		sector, _ := vocab.CanonicalSector(f.Sector)
		conds = append(conds, `i.id IN (SELECT v.incident_id FROM `+victims+` WHERE o.sector = ? AND `+disclosedVictim+`)`)
		args = append(args, sector)
	}
	if f.Country != "" {
		conds = append(conds, `i.id IN (SELECT c.incident_id FROM incident_countries c WHERE c.country = ?
			UNION SELECT v.incident_id FROM `+victims+` WHERE o.country = ? AND `+disclosedVictim+`)`)
		cc := strings.ToUpper(f.Country)
		args = append(args, cc, cc)
	}
	if f.Since != "" {
		conds = append(conds, incidentDate+" >= ?")
		args = append(args, f.Since)
	}
	if f.Until != "" {
		// "2021" as an upper bound includes the whole of 2021.
		conds = append(conds, incidentDate+" <> '' AND "+incidentDate+" <= ?")
		args = append(args, f.Until+"\uffff")
	}
	if f.Actor != "" {
		// The incident's own attributions and its campaign's, as ActorsQuery.
		counts := access.NoStricter("t.tlp", "ti.tlp")
		named := `t.actor_id IN (SELECT a.id FROM actors a WHERE a.id = ? OR a.name = ?)`
		conds = append(conds, `i.id IN (SELECT ti.id FROM attributions t JOIN incidents ti ON ti.id = t.incident_id
			WHERE `+named+` AND `+counts+`
			UNION SELECT ti.id FROM attributions t JOIN incidents ti ON ti.campaign_id = t.campaign_id
			WHERE `+named+` AND `+counts+`)`)
		args = append(args, f.Actor, f.Actor, f.Actor, f.Actor)
	}
	if f.Campaign != "" {
		conds = append(conds, `i.campaign_id IN (SELECT c.id FROM campaigns c WHERE c.id = ? OR c.name = ?)`)
		args = append(args, f.Campaign, f.Campaign)
	}
	return strings.Join(conds, " AND "), args
}

func indexOf(list []string, v string) int {
	for i, s := range list {
		if s == v {
			return i
		}
	}
	return -1
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }
