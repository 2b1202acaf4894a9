package access

import (
	"strings"
)

// Kind is a kind of record that carries a marking.
type Kind string

const (
	Incident     Kind = "incident"
	Harm         Kind = "harm"
	Attribution  Kind = "attribution"
	Organisation Kind = "organisation"
	Source       Kind = "source"
	Actor        Kind = "actor"
	Campaign     Kind = "campaign"
	// Object is a STIX or MISP object kept verbatim (stix_objects).
	Object Kind = "object"
)

// Kinds are every kind of record, in the order the matrix test walks them.
var Kinds = []Kind{Incident, Harm, Attribution, Organisation, Source, Actor, Campaign, Object}

// Table is where records of the kind are stored; every such table has the
// columns id, tlp and owner_team, and its sharing lists are record_access
// rows.
func (k Kind) Table() string {
	switch k {
	case Harm:
		return "harms"
	case Object:
		return "stix_objects"
	}
	return string(k) + "s"
}

// KindOf names the kind of a record from its id ("" when none): ids are
// STIX ids, and harmtrace's own prefixes for harms and sources.
func KindOf(id string) Kind {
	prefix, _, ok := strings.Cut(id, "--")
	if !ok {
		return ""
	}
	switch prefix {
	case "incident":
		return Incident
	case "impact":
		return Harm
	case "relationship":
		return Attribution
	case "identity":
		return Organisation
	case "source":
		return Source
	case "threat-actor", "intrusion-set":
		return Actor
	case "campaign":
		return Campaign
	case "case":
		return Case
	}
	return Object
}

// Condition returns the SQL condition, on a table of records under alias
// (columns id, tlp, owner_team), that selects the records whose own
// marking the viewer may read, and its arguments. It is Reads in SQL.
func (v Viewer) Condition(alias string) (string, []any) {
	switch {
	case v.Operator:
		return "1 = 1", nil
	case !v.SignedIn:
		return alias + ".tlp = 'clear'", nil
	}
	a := alias
	shared := `EXISTS (SELECT 1 FROM record_access x WHERE x.record_id = ` + a + `.id AND x.kind = ? AND x.principal = ?)`
	cond := `(` + a + `.tlp IN ('clear', 'green')
		OR (` + a + `.tlp = 'amber' AND (` + a + `.owner_team = ? OR ` + shared + `))
		OR (` + a + `.tlp = 'amber+strict' AND ` + a + `.owner_team = ?)
		OR (` + a + `.tlp = 'red' AND ` + shared + `))`
	return cond, []any{v.TeamID, "team", v.TeamID, v.TeamID, "user", v.UserID}
}

// ConditionOf returns the condition on records of kind under alias that
// selects those the viewer may read: their own marking and, for harms and
// attributions, those of the records they depend on (as Decide does).
func (v Viewer) ConditionOf(kind Kind, alias string) (string, []any) {
	own, args := v.Condition(alias)
	if v.Operator {
		return own, args
	}
	parent := func(table, column string) (string, []any) {
		p := alias + "_" + column[:2]
		cond, a := v.Condition(p)
		return `EXISTS (SELECT 1 FROM ` + table + ` ` + p + ` WHERE ` + p + `.id = ` + alias + `.` + column + ` AND ` + cond + `)`, a
	}
	switch kind {
	case Harm:
		inc, a := parent("incidents", "incident_id")
		return "(" + own + " AND " + inc + ")", append(args, a...)
	case Attribution:
		inc, a1 := parent("incidents", "incident_id")
		camp, a2 := parent("campaigns", "campaign_id")
		actor, a3 := parent("actors", "actor_id")
		cond := "(" + own + " AND (" + inc + " OR " + camp + ") AND " + actor + ")"
		return cond, append(append(append(args, a1...), a2...), a3...)
	}
	return own, args
}
