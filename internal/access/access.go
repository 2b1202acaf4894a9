// Package access decides who may see an incident, in one place: every
// surface (pages, API, search, counts, aggregates, downloads, history)
// asks for the same SQL condition. TLP 2.0 as harmtrace applies it:
//
//	clear        anyone, the public included
//	green        any signed-in user of the community
//	amber        the owning team and the teams it is shared with
//	amber+strict the owning team only
//	red          the users named on the incident only
package access

// Viewer is who is looking.
type Viewer struct {
	// Operator is the person running the command line on the store itself:
	// they see everything (their exports choose a marking with --tlp).
	Operator bool
	SignedIn bool
	UserID   string
	TeamID   string
}

// Public is the public: TLP:CLEAR only.
var Public = Viewer{}

// Operator sees everything.
var Operator = Viewer{Operator: true}

// User is a signed-in user of a team.
func User(userID, teamID string) Viewer {
	return Viewer{SignedIn: true, UserID: userID, TeamID: teamID}
}

// IsPublic reports whether the viewer sees only what is marked clear.
func (v Viewer) IsPublic() bool { return !v.Operator && !v.SignedIn }

// Condition returns the SQL condition, on the incidents table under alias,
// that selects what the viewer may see, and its arguments.
func (v Viewer) Condition(alias string) (string, []any) {
	switch {
	case v.Operator:
		return "1 = 1", nil
	case !v.SignedIn:
		return alias + ".tlp = 'clear'", nil
	}
	a := alias
	shared := `EXISTS (SELECT 1 FROM incident_access x WHERE x.incident_id = ` + a + `.id AND x.kind = ? AND x.principal = ?)`
	cond := `(` + a + `.tlp IN ('clear', 'green')
		OR (` + a + `.tlp = 'amber' AND (` + a + `.owner_team = ? OR ` + shared + `))
		OR (` + a + `.tlp = 'amber+strict' AND ` + a + `.owner_team = ?)
		OR (` + a + `.tlp = 'red' AND ` + shared + `))`
	return cond, []any{v.TeamID, "team", v.TeamID, v.TeamID, "user", v.UserID}
}
