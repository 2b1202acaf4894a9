package access

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/harmtrace/harmtrace/internal/db"
)

// Cases are what victims reported, and the work of helping them. They are
// never shared by marking and never public; who reads and writes one:
//
//	the reporter          holding the case's receipt: reads its status and
//	                      messages, replies, withdraws (Erase)
//	case worker, admin    of the team that owns the case, or of any team
//	                      while nobody has taken it (owner ""): everything
//	volunteer             assigned to the case: reads it, works on its
//	                      tasks, notes and messages; not its contact, its
//	                      triage or its assignment (Manage)
//	analyst, viewer       nothing: curating incidents gives no access to
//	                      victims
//	operator              everything
const Case Kind = "case"

// Actions on cases beyond Read and Write.
const (
	// Manage is triage, status, assignment, the reporter's contact and
	// the incident made from the case.
	Manage Action = "manage"
	// Erase destroys the case's content.
	Erase Action = "erase"
)

// caseWorkers are the roles that take and manage cases.
var caseWorkers = []string{"admin", "case-worker"}

func (v Viewer) decideCase(action Action, rec Record) error {
	if v.Operator {
		return nil
	}
	if v.Reporter != "" {
		if v.Reporter != rec.ID {
			return ErrHidden
		}
		if action == Manage {
			return &Refusal{"the reporter follows the case; its helpers manage it"}
		}
		return nil
	}
	if !v.SignedIn {
		return ErrHidden
	}
	owner := rec.Marking.Owner
	switch {
	case slices.Contains(caseWorkers, v.Role) && (owner == "" || owner == v.TeamID):
		return nil
	case v.Role == "volunteer" && slices.Contains(rec.Assigned, v.UserID) && (owner == "" || owner == v.TeamID):
		if action == Manage || action == Erase {
			return &Refusal{"a volunteer works on the cases assigned to them; a case worker manages them"}
		}
		return nil
	}
	return ErrHidden
}

// MayWorkCases reports whether v has a role that works on cases at all.
func (v Viewer) MayWorkCases() error {
	if v.Operator || (v.SignedIn && (slices.Contains(caseWorkers, v.Role) || v.Role == "volunteer")) {
		return nil
	}
	return &Refusal{"cases are for case workers and the volunteers they assign"}
}

// MayCreateFromCase reports whether v may make a tracker incident from a
// case: case workers and admins, who may not otherwise curate incidents.
// The incident belongs to v's team.
func (v Viewer) MayCreateFromCase() error {
	if v.Operator || (v.SignedIn && slices.Contains(caseWorkers, v.Role)) {
		return nil
	}
	return &Refusal{"a case worker makes an incident from a case"}
}

// CaseCondition is decideCase's read rule in SQL, on the cases table
// under alias.
func (v Viewer) CaseCondition(alias string) (string, []any) {
	switch {
	case v.Operator:
		return "1 = 1", nil
	case v.Reporter != "":
		return alias + ".id = ?", []any{v.Reporter}
	case v.SignedIn && slices.Contains(caseWorkers, v.Role):
		return "(" + alias + ".owner_team = '' OR " + alias + ".owner_team = ?)", []any{v.TeamID}
	case v.SignedIn && v.Role == "volunteer":
		return "((" + alias + ".owner_team = '' OR " + alias + ".owner_team = ?) AND EXISTS (SELECT 1 FROM case_assignments ca WHERE ca.case_id = " +
			alias + ".id AND ca.user_id = ?))", []any{v.TeamID, v.UserID}
	}
	return "1 = 0", nil
}

// lookupCase reads what Decide needs of a case.
func lookupCase(ctx context.Context, q db.Querier, id string) (Record, error) {
	rec := Record{Kind: Case, ID: id}
	err := q.QueryRow(ctx, `SELECT owner_team FROM cases WHERE id = ?`, id).Scan(&rec.Marking.Owner)
	if errors.Is(err, sql.ErrNoRows) {
		return rec, fmt.Errorf("case %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return rec, err
	}
	rec.Assigned, err = db.Column[string](ctx, q, `SELECT user_id FROM case_assignments WHERE case_id = ? ORDER BY user_id`, id)
	return rec, err
}
