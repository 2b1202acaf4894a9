package access_test

import (
	"errors"
	"testing"

	"github.com/harmtrace/harmtrace/internal/access"
)

// TestDecidePrevention walks the prevention kinds for every role of the
// keeping team, of the organisation's own team and of another team.
func TestDecidePrevention(t *testing.T) {
	orgGreen := access.Marking{TLP: "green"}
	orgAmberOther := access.Marking{TLP: "amber", Owner: "team-x"}
	inventory := access.Record{Kind: access.Inventory, ID: "identity--o", Marking: access.Marking{Owner: "team-h"}, Members: []string{"team-o"},
		Refs: []access.Marking{orgGreen}}
	hiddenOrg := inventory
	hiddenOrg.Refs = []access.Marking{orgAmberOther}
	caseRec := access.Record{Kind: access.Case, ID: "case--1", Marking: access.Marking{Owner: "team-h"}}
	warning := access.Record{Kind: access.Warning, ID: "warning--1", Refs: []access.Marking{orgGreen}, Within: &caseRec}
	task := access.Record{Kind: access.VolunteerTask, ID: "vtask--1", Marking: access.Marking{Owner: "team-h"}, Assigned: []string{"vol"}}
	profile := access.Record{Kind: access.Volunteer, ID: "vol", Marking: access.Marking{Owner: "team-h"}}
	const (
		ok      = "ok"
		hidden  = "hidden"
		refused = "refused"
	)
	answer := func(err error) string {
		switch {
		case err == nil:
			return ok
		case errors.Is(err, access.ErrHidden):
			return hidden
		case access.IsRefusal(err):
			return refused
		}
		return err.Error()
	}
	for _, tt := range []struct {
		name   string
		v      access.Viewer
		rec    access.Record
		action access.Action
		want   string
	}{
		{"helper reads", access.User("w", "team-h", "case-worker"), inventory, access.Read, ok},
		{"helper writes", access.User("w", "team-h", "case-worker"), inventory, access.Write, ok},
		{"helper, organisation hidden", access.User("w", "team-h", "case-worker"), hiddenOrg, access.Read, hidden},
		{"another team's helper", access.User("w2", "team-b", "case-worker"), inventory, access.Read, hidden},
		{"helpers' analyst", access.User("a", "team-h", "analyst"), inventory, access.Read, hidden},
		{"member admin writes", access.User("m", "team-o", "admin"), inventory, access.Write, ok},
		{"member admin, organisation hidden", access.User("m", "team-o", "admin"), hiddenOrg, access.Read, ok},
		{"member viewer reads", access.User("m2", "team-o", "viewer"), inventory, access.Read, ok},
		{"member viewer writes", access.User("m2", "team-o", "viewer"), inventory, access.Write, refused},
		{"member admin manages", access.User("m", "team-o", "admin"), inventory, access.Manage, refused},
		{"the public", access.Public, inventory, access.Read, hidden},
		{"a reporter", access.ReporterOf("case--1"), inventory, access.Read, hidden},
		{"warning: the case's worker", access.User("w", "team-h", "case-worker"), warning, access.Read, ok},
		{"warning: another team's worker", access.User("w2", "team-b", "case-worker"), warning, access.Read, hidden},
		{"warning: a volunteer on the case", access.User("vol", "team-h", "volunteer"), warning, access.Read, hidden},
		{"task: assigned volunteer reads", access.User("vol", "team-h", "volunteer"), task, access.Read, ok},
		{"task: assigned volunteer logs hours", access.User("vol", "team-h", "volunteer"), task, access.Write, ok},
		{"task: assigned volunteer manages", access.User("vol", "team-h", "volunteer"), task, access.Manage, refused},
		{"task: another volunteer", access.User("vol2", "team-h", "volunteer"), task, access.Read, hidden},
		{"task: the team's worker manages", access.User("w", "team-h", "case-worker"), task, access.Manage, ok},
		{"profile: the volunteer writes", access.User("vol", "team-h", "volunteer"), profile, access.Write, ok},
		{"profile: the volunteer vets", access.User("vol", "team-h", "volunteer"), profile, access.Manage, refused},
		{"profile: the team's worker vets", access.User("w", "team-h", "case-worker"), profile, access.Manage, ok},
		{"profile: the team's worker writes", access.User("w", "team-h", "case-worker"), profile, access.Write, refused},
		{"profile: another team", access.User("w2", "team-b", "admin"), profile, access.Read, hidden},
		{"the operator", access.Operator, hiddenOrg, access.Manage, ok},
	} {
		if got := answer(access.Decide(tt.v, tt.action, tt.rec)); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
