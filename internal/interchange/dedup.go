package interchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// The deduplication rules (docs/formats.md, "Deduplication"):
//
// Two incidents are the same attack when they share a victim (the same
// organisation, or organisations whose names match after normalisation in
// the same country), their attack types are compatible, and their periods
// lie within sameAttackDays of each other with both known at least to the
// month. The incoming incident is then merged into the stored one: one
// incident with both sources; its harms become alternative estimates of the
// stored incident's figures, which the report never adds up.
//
// A shared victim with compatible types but periods up to possibleDays
// apart, or a date known only to the year or not at all, is a possible
// duplicate: both incidents are kept and the pair is listed for an analyst
// (harmtrace duplicates). Two records of the same dataset (sharing a
// source) are never merged automatically: the dataset counts them apart.
const (
	sameAttackDays = 31
	possibleDays   = 366
)

// compatibleGroups lists attack types that can describe the same attack.
var compatibleGroups = [][]string{
	{"data-breach", "ransomware", "hack-and-leak", "account-takeover", "phishing", "espionage", "supply-chain"},
	{"ransomware", "wiper"},
	{"ddos"}, {"defacement", "hack-and-leak"}, {"information-operation", "hack-and-leak"},
}

func compatible(a, b []string) bool {
	if slices.Contains(a, "other") || slices.Contains(b, "other") {
		return true
	}
	for _, g := range compatibleGroups {
		if slices.ContainsFunc(a, func(t string) bool { return slices.Contains(g, t) }) &&
			slices.ContainsFunc(b, func(t string) bool { return slices.Contains(g, t) }) {
			return true
		}
	}
	return false
}

// period is the span of an incident's known dates, widened to whole months
// or years; coarse is true when the best date is known only to the year.
func period(in *trace.Incident) (from, to time.Time, coarse, known bool) {
	for _, d := range []trace.Date{in.Start, in.End, in.Discovered, in.Disclosed} {
		if d == "" {
			continue
		}
		lo, hi := span(d)
		if !known || lo.Before(from) {
			from = lo
		}
		if !known || hi.After(to) {
			to = hi
		}
		known = true
		coarse = coarse || d.Precision() == "year"
	}
	return from, to, coarse, known
}

func span(d trace.Date) (time.Time, time.Time) {
	switch d.Precision() {
	case "year":
		t, _ := time.Parse("2006", string(d))
		return t, t.AddDate(1, 0, -1)
	case "month":
		t, _ := time.Parse("2006-01", string(d))
		return t, t.AddDate(0, 1, -1)
	}
	t, _ := time.Parse("2006-01-02", string(d))
	return t, t
}

// gapDays is how many days lie between two periods (0 when they overlap).
func gapDays(aFrom, aTo, bFrom, bTo time.Time) int {
	switch {
	case aTo.Before(bFrom):
		return int(bFrom.Sub(aTo).Hours() / 24)
	case bTo.Before(aFrom):
		return int(aFrom.Sub(bTo).Hours() / 24)
	}
	return 0
}

// match is the verdict on a pair of incidents.
type match struct {
	same, possible bool
	reason         string
}

func judge(a, b *trace.Incident) match {
	if !compatible(a.AttackTypes, b.AttackTypes) {
		return match{}
	}
	sameSource := ""
	for _, s := range a.SourceIDs {
		if slices.Contains(b.SourceIDs, s) {
			sameSource = s
		}
	}
	aFrom, aTo, aCoarse, aKnown := period(a)
	bFrom, bTo, bCoarse, bKnown := period(b)
	if !aKnown || !bKnown {
		return match{possible: true, reason: "same victim, compatible attack types, a date unknown"}
	}
	gap := gapDays(aFrom, aTo, bFrom, bTo)
	reason := fmt.Sprintf("same victim, compatible attack types, %d days apart", gap)
	switch {
	case gap > possibleDays:
		return match{}
	case sameSource != "":
		return match{possible: true, reason: reason + ", both in source " + sameSource}
	case gap <= sameAttackDays && !aCoarse && !bCoarse:
		return match{same: true, reason: reason}
	}
	return match{possible: true, reason: reason}
}

// candidates returns the stored incidents that share a victim with in:
// the same organisation, or one whose name matches in the same country.
func candidates(ctx context.Context, q db.Querier, in *trace.Incident) ([]*trace.Incident, error) {
	var out []*trace.Incident
	seen := map[string]bool{in.ID: true}
	for _, v := range in.Victims {
		org, err := trace.GetOrganisation(ctx, q, v.OrganisationID)
		if err != nil {
			return nil, err
		}
		ids, err := db.Column[string](ctx, q, `SELECT DISTINCT v.incident_id FROM name_keys k1
			JOIN name_keys k2 ON k2.record_kind = 'organisation' AND k2.name_key = k1.name_key
			JOIN organisations o ON o.id = k2.record_id
			JOIN incident_victims v ON v.organisation_id = o.id
			WHERE k1.record_kind = 'organisation' AND k1.record_id = ? AND (o.country = ? OR o.country = '' OR ? = '')
			ORDER BY v.incident_id`, org.ID, org.Country, org.Country)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			c, err := trace.GetIncident(ctx, q, id)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func reachable(ctx context.Context, q db.Querier, guard *Guard, found []*trace.Incident) ([]*trace.Incident, error) {
	if guard == nil {
		return found, nil
	}
	var out []*trace.Incident
	for _, c := range found {
		ok, err := guard.reaches(ctx, q, c.ID)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// mergedInto returns the incident an imported id was merged into before.
func mergedInto(ctx context.Context, q db.Querier, id string) (string, error) {
	ids, err := db.Column[string](ctx, q, `SELECT record_id FROM external_ids WHERE system = 'merged' AND external_id = ?`, id)
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}

// saveIncident saves an imported incident, merging it into a stored
// incident that is certainly the same attack; it returns the id the
// incident has in the store.
func saveIncident(ctx context.Context, tx *db.Tx, in *trace.Incident, sum *Summary, guard *Guard) (string, revision.Outcome, error) {
	if target, err := mergedInto(ctx, tx, in.ID); err != nil || target != "" {
		if err != nil {
			return "", revision.Unchanged, err
		}
		if guard.writes(ctx, tx, target) {
			outcome, err := mergeInto(ctx, tx, target, in)
			return target, outcome, err
		}
		// Merged before into an incident this uploader may not change:
		// the upload keeps its own record.
	}
	if _, err := trace.GetIncident(ctx, tx, in.ID); err == nil {
		// The guard placed the id (an incident of the uploader's, or one
		// it may read, whose change Write refuses).
		outcome, err := trace.SaveIncident(ctx, tx, in)
		return in.ID, outcome, err
	} else if !errors.Is(err, db.ErrNotFound) {
		return "", revision.Unchanged, err
	}
	// Validate before matching, so a bad record is named as such.
	probe := *in
	probe.Normalise()
	if err := probe.Validate(); err != nil {
		return in.ID, revision.Unchanged, err
	}
	found, err := candidates(ctx, tx, &probe)
	if err != nil {
		return "", revision.Unchanged, err
	}
	// An upload is matched only against the incidents its uploader may
	// see: a match with a hidden one would tell that it exists.
	found, err = reachable(ctx, tx, guard, found)
	if err != nil {
		return "", revision.Unchanged, err
	}
	var possible []*trace.Incident
	var reasons []string
	for _, c := range found {
		m := judge(&probe, c)
		if m.same && !guard.writes(ctx, tx, c.ID) {
			// Certainly the same attack, but another team's: both stay,
			// and the pair is proposed to an analyst.
			m.same, m.possible = false, true
		}
		if m.same {
			sum.Merged++
			if _, err := tx.Exec(ctx, `INSERT INTO external_ids (system, external_id, record_kind, record_id) VALUES ('merged', ?, 'incident', ?)`,
				in.ID, c.ID); err != nil {
				return "", revision.Unchanged, err
			}
			outcome, err := mergeInto(ctx, tx, c.ID, in)
			return c.ID, outcome, err
		}
		if m.possible {
			possible = append(possible, c)
			reasons = append(reasons, m.reason)
		}
	}
	outcome, err := trace.SaveIncident(ctx, tx, in)
	if err != nil {
		return in.ID, outcome, err
	}
	for i, c := range possible {
		if err := proposeDuplicate(ctx, tx, in.ID, c.ID, reasons[i]); err != nil {
			return in.ID, outcome, err
		}
		sum.PossibleDuplicates++
	}
	return in.ID, outcome, nil
}

func proposeDuplicate(ctx context.Context, tx *db.Tx, a, b, reason string) error {
	if a > b {
		a, b = b, a
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM duplicate_candidates WHERE incident_id = ? AND other_id = ?`, a, b).Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO duplicate_candidates (incident_id, other_id, score, reason, status, created_at)
		VALUES (?, ?, 50, ?, 'open', ?)`, a, b, reason, tx.Stamp())
	return err
}

// mergeInto folds in into the stored incident target: sources, victims,
// countries, attack types and articles are united; unknown dates are
// filled; the stronger determination wins. Titles and summaries stay.
func mergeInto(ctx context.Context, tx *db.Tx, target string, in *trace.Incident) (revision.Outcome, error) {
	t, err := trace.GetIncident(ctx, tx, target)
	if err != nil {
		return revision.Unchanged, err
	}
	same, err := sameVictims(ctx, tx, t, in)
	if err != nil {
		return revision.Unchanged, err
	}
	merged := *t
	merged.SourceIDs = append(slices.Clone(t.SourceIDs), in.SourceIDs...)
	merged.Victims = slices.Clone(t.Victims)
	for _, v := range in.Victims {
		if same[v.OrganisationID] == "" {
			merged.Victims = append(merged.Victims, v)
		}
	}
	merged.Countries = append(slices.Clone(t.Countries), in.Countries...)
	merged.AttackTypes = append(slices.Clone(t.AttackTypes), in.AttackTypes...)
	merged.Articles = append(slices.Clone(t.Articles), in.Articles...)
	for _, pair := range []struct {
		dst *trace.Date
		src trace.Date
	}{
		{&merged.Start, in.Start}, {&merged.End, in.End}, {&merged.Discovered, in.Discovered}, {&merged.Disclosed, in.Disclosed},
	} {
		if *pair.dst == "" || (len(pair.src) > len(*pair.dst) && strings.HasPrefix(string(pair.src), string(*pair.dst))) {
			*pair.dst = pair.src
		}
	}
	rank := map[string]int{"false-positive": 0, "claimed": 1, "suspected": 2, "confirmed": 3}
	if rank[in.Determination] > rank[merged.Determination] {
		merged.Determination = in.Determination
	}
	if merged.CampaignID == "" {
		merged.CampaignID = in.CampaignID
	}
	return trace.SaveIncident(ctx, tx, &merged)
}

// sameVictims maps each victim of in that is the same organisation as a
// victim of t to that victim: the same record, or one whose name matches
// once normalised (trace.NameKey) in the same country, or where either
// country is unknown. Two reports of one breach name the hospital twice,
// and the merged incident must count it once.
func sameVictims(ctx context.Context, q db.Querier, t, in *trace.Incident) (map[string]string, error) {
	kept := map[string]*trace.Organisation{}
	for _, v := range t.Victims {
		o, err := trace.GetOrganisation(ctx, q, v.OrganisationID)
		if err != nil {
			return nil, err
		}
		kept[o.ID] = o
	}
	same := map[string]string{}
	for _, v := range in.Victims {
		if kept[v.OrganisationID] != nil {
			same[v.OrganisationID] = v.OrganisationID
			continue
		}
		o, err := trace.GetOrganisation(ctx, q, v.OrganisationID)
		if errors.Is(err, db.ErrNotFound) {
			continue // saved later in the same import: judged as it is
		}
		if err != nil {
			return nil, err
		}
		for _, k := range t.Victims {
			ko := kept[k.OrganisationID]
			if trace.NameKey(ko.Name) == trace.NameKey(o.Name) && (ko.Country == o.Country || ko.Country == "" || o.Country == "") {
				same[o.ID] = ko.ID
				break
			}
		}
	}
	return same, nil
}

// MergeIncidents folds the stored incident other into keep, moving its
// harms and attributions, and deletes other. A victim of other that is the
// same organisation as one of keep's is merged into it, and other's harms
// to that victim become harms to keep's. Later imports of other's id land
// on keep.
func MergeIncidents(ctx context.Context, tx *db.Tx, keep, other string) error {
	o, err := trace.GetIncident(ctx, tx, other)
	if err != nil {
		return err
	}
	k, err := trace.GetIncident(ctx, tx, keep)
	if err != nil {
		return err
	}
	same, err := sameVictims(ctx, tx, k, o)
	if err != nil {
		return err
	}
	if _, err := mergeInto(ctx, tx, keep, o); err != nil {
		return err
	}
	harms, err := harm.OfIncident(ctx, tx, other)
	if err != nil {
		return err
	}
	for i := range harms {
		harms[i].IncidentID = keep
		if to := same[harms[i].OrganisationID]; to != "" {
			harms[i].OrganisationID = to
		}
		if _, err := harm.Save(ctx, tx, &harms[i]); err != nil {
			return err
		}
	}
	attrs, err := trace.AttributionsOf(ctx, tx, other)
	if err != nil {
		return err
	}
	for i := range attrs {
		attrs[i].IncidentID = keep
		if _, err := trace.SaveAttribution(ctx, tx, &attrs[i]); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE external_ids SET record_id = ? WHERE system = 'merged' AND record_id = ?`, keep, other); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO external_ids (system, external_id, record_kind, record_id) VALUES ('merged', ?, 'incident', ?)`, other, keep); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE duplicate_candidates SET status = 'merged' WHERE (incident_id = ? AND other_id = ?) OR (incident_id = ? AND other_id = ?)`,
		keep, other, other, keep); err != nil {
		return err
	}
	return trace.DeleteIncident(ctx, tx, other)
}

// Duplicate is a pair of incidents that may be the same attack.
type Duplicate struct {
	IncidentID string `json:"incident_id"`
	OtherID    string `json:"other_id"`
	Reason     string `json:"reason"`
	Status     string `json:"status"`
}

// Duplicates lists the possible duplicates with the given status ("open",
// "merged", "dismissed"; "" for all).
func Duplicates(ctx context.Context, q db.Querier, status string) ([]Duplicate, error) {
	rows, err := q.Query(ctx, `SELECT incident_id, other_id, reason, status FROM duplicate_candidates
		WHERE status = ? OR ? = '' ORDER BY created_at, incident_id, other_id`, status, status)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Duplicate
	for rows.Next() {
		var d Duplicate
		if err := rows.Scan(&d.IncidentID, &d.OtherID, &d.Reason, &d.Status); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DismissDuplicate records an analyst's decision that two incidents differ.
func DismissDuplicate(ctx context.Context, tx *db.Tx, a, b string) error {
	if a > b {
		a, b = b, a
	}
	res, err := tx.Exec(ctx, `UPDATE duplicate_candidates SET status = 'dismissed' WHERE incident_id = ? AND other_id = ?`, a, b)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("no proposed duplicate %s / %s: %w", a, b, db.ErrNotFound)
	}
	// The decision changes the published figures (an open pair counts once
	// in the lower bounds), so it is a revision like any change of the
	// data: who decided, when and why, and what is kept until the store
	// changes is computed anew. It names the pair, not either incident, so
	// it stays out of the incidents' own histories.
	_, err = revision.Append(ctx, tx, "duplicate", a+" "+b, revision.Update,
		[]revision.Change{{Field: "status", Old: json.RawMessage(`"open"`), New: json.RawMessage(`"dismissed"`)}})
	return err
}
