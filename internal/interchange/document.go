// Package interchange moves records in and out of harmtrace. Every reader
// (harmtrace JSON, STIX, MISP, VERIS, HHS OCR, CSV) turns its input into a
// Document; one writer saves a Document in the caller's transaction, so all
// formats are validated, deduplicated and revisioned the same way.
package interchange

import (
	"encoding/json"
	"fmt"

	"github.com/harmtrace/harmtrace/internal/access"

	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// Document is a set of records in harmtrace's own shape. It is also the
// harmtrace JSON file format (docs/formats.md).
type Document struct {
	Format        string               `json:"harmtrace,omitempty"`
	Organisations []trace.Organisation `json:"organisations,omitempty"`
	Sources       []trace.Source       `json:"sources,omitempty"`
	Actors        []trace.Actor        `json:"actors,omitempty"`
	Campaigns     []trace.Campaign     `json:"campaigns,omitempty"`
	Incidents     []trace.Incident     `json:"incidents,omitempty"`
	Attributions  []trace.Attribution  `json:"attributions,omitempty"`
	Harms         []harm.Harm          `json:"harms,omitempty"`
	// Objects are STIX objects kept as they came (see stix_objects).
	Objects []Object `json:"stix_objects,omitempty"`
	// Guard, when set, limits the write to what one user may touch (a web
	// upload); the command line, run by the store's operator, has none.
	Guard *Guard `json:"-"`
	// Owner, when set, is the team the new records of an operator's import
	// belong to (harmtrace import --team); records that name an owner keep it.
	Owner string `json:"-"`
	// Origins say where each record was read ("incidents[3]" → line and
	// columns), for the readers that know (CSV); see SetOrigin.
	Origins map[string]Origin `json:"-"`
	// namedActors are actors named by their name alone (NameActor).
	namedActors map[string]bool
}

// Object is a STIX object kept verbatim. Modelled objects were also turned
// into records; the others live only here.
type Object struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Modelled bool   `json:"modelled"`
	access.Marking
	Body json.RawMessage `json:"body"`
}

// FormatVersion is the value of the "harmtrace" key of a harmtrace JSON file.
const FormatVersion = "1"

// Count is what happened to the records of one kind.
type Count struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Summary tells what an import did, per kind of record, and what it skipped.
type Summary struct {
	Counts  map[string]*Count `json:"counts"`
	Skipped map[string]int    `json:"skipped,omitempty"`
	// Warnings name what was imported but looked wrong in the input.
	Warnings []string `json:"warnings,omitempty"`
	// Notes say what an import did beyond records (a catalog version
	// recorded, alerts raised).
	Notes []string `json:"notes,omitempty"`
	// Merged counts incidents found to be an attack already stored, and
	// merged into it; PossibleDuplicates the pairs left for an analyst.
	Merged             int `json:"merged"`
	PossibleDuplicates int `json:"possible_duplicates"`
}

// Warn records a problem in the input that did not stop the import.
func (s *Summary) Warn(format string, args ...any) {
	s.Warnings = append(s.Warnings, fmt.Sprintf(format, args...))
}

// NewSummary returns an empty summary.
func NewSummary() *Summary {
	return &Summary{Counts: map[string]*Count{}, Skipped: map[string]int{}}
}

func (s *Summary) count(kind string, outcome revision.Outcome) {
	c := s.Counts[kind]
	if c == nil {
		c = &Count{}
		s.Counts[kind] = c
	}
	switch outcome {
	case revision.Created:
		c.Created++
	case revision.Updated:
		c.Updated++
	default:
		c.Unchanged++
	}
}

// Add adds what another summary counted to s.
func (s *Summary) Add(o *Summary) {
	for kind, c := range o.Counts {
		mine := s.Counts[kind]
		if mine == nil {
			mine = &Count{}
			s.Counts[kind] = mine
		}
		mine.Created += c.Created
		mine.Updated += c.Updated
		mine.Unchanged += c.Unchanged
	}
	for reason, n := range o.Skipped {
		s.Skipped[reason] += n
	}
	s.Warnings = append(s.Warnings, o.Warnings...)
	s.Merged += o.Merged
	s.PossibleDuplicates += o.PossibleDuplicates
}

// Skip counts a record left out, with the reason why.
func (s *Summary) Skip(reason string) { s.Skipped[reason]++ }

// Changed reports whether the import created or updated anything.
func (s *Summary) Changed() bool {
	for _, c := range s.Counts {
		if c.Created+c.Updated > 0 {
			return true
		}
	}
	return false
}
