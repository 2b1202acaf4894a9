package access

import "slices"

// Prevention records: what helps an organisation before it is attacked
// (again). Like cases they are never shared by marking and never public.
//
//	inventory       an organisation's software and the alerts raised on it
//	                (ID the organisation, Owner the helping team that keeps
//	                it, "" for any; Members the teams that are the
//	                organisation itself):
//	                  case workers and admins of the owner team who may
//	                  read the organisation record (Refs): everything
//	                  users of a member team: read; all but viewers and
//	                  volunteers also write (items, alert decisions);
//	                  Manage (who the members are) is the helpers'
//	                  everyone else: nothing
//	warning         a re-targeting warning (Refs the incidents it links,
//	                Within the case it is about, if any): case workers and
//	                admins who may read every incident it links and, when
//	                it names a case, may read the case
//	volunteer-task  a task a case worker opens for volunteers (Owner the
//	                case's team, Assigned the volunteers on it): case
//	                workers and admins of the team; an assigned volunteer
//	                reads it and logs hours (Write), not Manage
//	volunteer       a volunteer's profile (ID the user, Owner their team):
//	                the volunteer reads and writes it; the team's case
//	                workers and admins read it and Manage it (vetting)
const (
	Inventory     Kind = "inventory"
	Warning       Kind = "warning"
	VolunteerTask Kind = "volunteer-task"
	Volunteer     Kind = "volunteer"
)

func (v Viewer) decidePrevention(action Action, rec Record) error {
	if v.Operator {
		return nil
	}
	if !v.SignedIn {
		return ErrHidden
	}
	owner := rec.Marking.Owner
	helper := slices.Contains(caseWorkers, v.Role) && (owner == "" || owner == v.TeamID)
	switch rec.Kind {
	case Inventory:
		switch {
		case helper && v.readsAll(rec.Refs):
			return nil
		case !slices.Contains(rec.Members, v.TeamID):
			return ErrHidden
		case action == Read:
			return nil
		case action == Manage || action == Erase:
			return &Refusal{"the organisation's helpers decide who sees its inventory"}
		case v.Role == "viewer" || v.Role == "volunteer":
			return &Refusal{"your role reads the inventory and its alerts; another member of your organisation changes them"}
		}
		return nil
	case Warning:
		if !slices.Contains(caseWorkers, v.Role) {
			return ErrHidden
		}
		if !v.readsAll(rec.Refs) {
			return ErrHidden
		}
		if rec.Within != nil {
			return v.decideCase(action, *rec.Within)
		}
		return nil
	case VolunteerTask:
		switch {
		case helper:
			return nil
		case v.Role == "volunteer" && slices.Contains(rec.Assigned, v.UserID) && (owner == "" || owner == v.TeamID):
			if action == Read || action == Write {
				return nil
			}
			return &Refusal{"a volunteer works on the tasks assigned to them; a case worker manages them"}
		}
		return ErrHidden
	case Volunteer:
		switch {
		case v.UserID == rec.ID && v.TeamID == owner:
			if action == Manage {
				return &Refusal{"a case worker or an admin vets volunteers"}
			}
			return nil
		case slices.Contains(caseWorkers, v.Role) && owner == v.TeamID:
			if action == Write {
				return &Refusal{"the volunteer keeps their own profile; you vet it"}
			}
			return nil
		}
		return ErrHidden
	}
	return ErrHidden
}

func (v Viewer) readsAll(ms []Marking) bool {
	for _, m := range ms {
		if !v.Reads(m) {
			return false
		}
	}
	return true
}

// InventoryCondition is the inventory read rule in SQL, on a table with
// the columns organisation_id and owner_team (inventories) under alias.
func (v Viewer) InventoryCondition(alias string) (string, []any) {
	member := "EXISTS (SELECT 1 FROM inventory_members im WHERE im.organisation_id = " + alias + ".organisation_id AND im.team_id = ?)"
	switch {
	case v.Operator:
		return "1 = 1", nil
	case !v.SignedIn:
		return "1 = 0", nil
	case slices.Contains(caseWorkers, v.Role):
		org, args := v.Condition("inv_o")
		return "(((" + alias + ".owner_team = '' OR " + alias + ".owner_team = ?) AND EXISTS (SELECT 1 FROM organisations inv_o WHERE inv_o.id = " +
			alias + ".organisation_id AND " + org + ")) OR " + member + ")", append(append([]any{v.TeamID}, args...), v.TeamID)
	}
	return member, []any{v.TeamID}
}

// MayHelp reports whether v has a role that keeps organisations'
// inventories, reads warnings and matches volunteers.
func (v Viewer) MayHelp() error {
	if v.Operator || (v.SignedIn && slices.Contains(caseWorkers, v.Role)) {
		return nil
	}
	return &Refusal{"case workers and admins do this"}
}
