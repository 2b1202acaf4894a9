// Package access decides, in one place, who may read and who may write
// every kind of record. Every record carries a Marking (TLP 2.0 and an
// owner team); the rule below reads it, both as Go (Decide, for one
// record) and as SQL (Condition, for lists, counts and searches), and a
// test holds the two to the same answer for every case.
//
// Reading, TLP 2.0 as harmtrace applies it:
//
//	clear        anyone, the public included
//	green        any signed-in user of the community
//	amber        the owning team and the teams it is shared with
//	amber+strict the owning team only
//	red          the users named on the record only
//
// A record that depends on another (a harm on its incident, an attribution
// on its incident or campaign and on its actor) is read only when both are.
//
// Writing (edit, re-mark, delete, attach a harm or an attribution): the
// owner team's analysts and admins, of a record they may read. Records of
// the public catalogue (the bundled open data, owner "") are written by
// admins. The operator (the command line on the store) reads and writes all.
package access

import (
	"errors"
	"slices"
)

// Viewer is who is looking.
type Viewer struct {
	// Operator is the person running the command line on the store itself:
	// they see everything (their exports choose a marking with --tlp).
	Operator bool
	SignedIn bool
	UserID   string
	TeamID   string
	// Role is the user's role (admin, analyst, case-worker, volunteer,
	// viewer); it ranks what they may do, never what they may see.
	Role string
	// Reporter is the case whose receipt the viewer presented: a reporter
	// has no account, and reaches that case alone (cases.go).
	Reporter string
}

// ReporterOf is whoever holds the receipt of case id.
func ReporterOf(caseID string) Viewer { return Viewer{Reporter: caseID} }

// Public is the public: TLP:CLEAR only.
var Public = Viewer{}

// Operator sees and changes everything.
var Operator = Viewer{Operator: true}

// User is a signed-in user of a team with a role.
func User(userID, teamID, role string) Viewer {
	return Viewer{SignedIn: true, UserID: userID, TeamID: teamID, Role: role}
}

// IsPublic reports whether the viewer sees only what is marked clear.
// A reporter, who has no account, is the public for every other record.
func (v Viewer) IsPublic() bool { return !v.Operator && !v.SignedIn }

// Marking is the access part of every record: its TLP, the team that owns
// it ("" for the public catalogue), the teams an amber record is shared
// with and the users a red record names.
type Marking struct {
	TLP        string   `json:"tlp"`
	Owner      string   `json:"owner,omitempty"`
	SharedWith []string `json:"shared_with,omitempty"`
	Readers    []string `json:"readers,omitempty"`
}

// Catalogue is the marking of the bundled open data.
var Catalogue = Marking{TLP: "clear"}

// TLPs are the markings from the most open to the strictest.
var TLPs = []string{"clear", "green", "amber", "amber+strict", "red"}

// Rank orders markings: clear 0 … red 4; an unknown marking ranks as red.
func Rank(tlp string) int {
	if i := slices.Index(TLPs, tlp); i >= 0 {
		return i
	}
	return len(TLPs) - 1
}

// Stricter returns the stricter of two markings ("" counts as absent).
func Stricter(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case Rank(b) > Rank(a):
		return b
	}
	return a
}

// Within reports whether tlp is no stricter than limit ("" limits nothing).
func Within(tlp, limit string) bool {
	return limit == "" || Rank(tlp) <= Rank(limit)
}

// Action is what a viewer wants to do with a record.
type Action string

const (
	Read  Action = "read"
	Write Action = "write"
)

// Record is what Decide judges: a record's kind and marking, the marking
// of the record it belongs to (a harm's incident: reading and writing the
// record need both), and of the records it names (an attribution's actor:
// reading needs them).
type Record struct {
	Kind    Kind
	Marking Marking
	Parent  *Marking
	Refs    []Marking
	// ID and Assigned matter for cases only: a reporter reaches the case
	// of their receipt, a volunteer the cases assigned to them.
	ID       string
	Assigned []string
	// Members are the teams that are the organisation itself, for an
	// organisation's inventory and alerts (prevent.go).
	Members []string
	// Within is the case a warning is about (prevent.go), decided as a
	// case.
	Within *Record
}

// ErrHidden is the answer for a record the viewer may not read: the same
// as for a missing one, so that probing ids tells nothing.
var ErrHidden = errors.New("no such record")

// Refusal is the answer for a record the viewer may read but not write,
// with a plain reason.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

// IsRefusal reports whether err is a Refusal.
func IsRefusal(err error) bool {
	var r *Refusal
	return errors.As(err, &r)
}

// Decide is the one decision: nil when v may do action on rec, ErrHidden
// when v may not read it, a *Refusal when v may read but not write it.
func Decide(v Viewer, action Action, rec Record) error {
	switch rec.Kind {
	case Case:
		return v.decideCase(action, rec)
	case Inventory, Warning, VolunteerTask, Volunteer:
		return v.decidePrevention(action, rec)
	}
	if !v.Reads(rec.Marking) || (rec.Parent != nil && !v.Reads(*rec.Parent)) {
		return ErrHidden
	}
	for _, m := range rec.Refs {
		if !v.Reads(m) {
			return ErrHidden
		}
	}
	if action == Read {
		return nil
	}
	if err := v.writes(rec.Marking); err != nil {
		return err
	}
	if rec.Parent != nil {
		return v.writes(*rec.Parent)
	}
	return nil
}

// Reads is the read rule on one marking, as Condition writes it in SQL.
func (v Viewer) Reads(m Marking) bool {
	switch {
	case v.Operator || m.TLP == "clear":
		return true
	case !v.SignedIn:
		return false
	}
	switch m.TLP {
	case "green":
		return true
	case "amber":
		return m.Owner == v.TeamID || slices.Contains(m.SharedWith, v.TeamID)
	case "amber+strict":
		return m.Owner == v.TeamID
	case "red":
		return slices.Contains(m.Readers, v.UserID)
	}
	return false
}

// writers are the roles that change records.
var writers = []string{"admin", "analyst"}

func (v Viewer) writes(m Marking) error {
	switch {
	case v.Operator:
		return nil
	case !v.SignedIn:
		return &Refusal{"sign in to change records"}
	case !slices.Contains(writers, v.Role):
		return &Refusal{"your role does not allow changes: analysts and admins change records"}
	case m.Owner == "" && v.Role != "admin":
		return &Refusal{"this record belongs to the public catalogue: an admin changes it; you may suggest a correction"}
	case m.Owner != "" && m.Owner != v.TeamID:
		return &Refusal{"this record belongs to another organisation: only its analysts change it; you may suggest a correction"}
	}
	return nil
}

// MayCreate reports whether v may create records at all (a new record
// belongs to v's team).
func (v Viewer) MayCreate() error {
	if v.Operator {
		return nil
	}
	return v.writes(Marking{Owner: v.TeamID})
}
