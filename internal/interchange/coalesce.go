package interchange

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// Coalesce makes each record of the document appear once. A file can name
// the same record several times: a spreadsheet repeats a victim on every
// row, a STIX bundle holds several versions of an object. Saved in turn,
// differing copies would each overwrite the last, so that every re-import
// of an unchanged file wrote new revisions. The first copy is kept; a later
// one fills the fields the first leaves empty, and a field the copies give
// differently is named in a warning. Kept STIX objects keep their newest
// version (the latest modified).
func (doc *Document) Coalesce(file string, sum *Summary) {
	remap := map[string]string{} // "kind[old index]" → "kind[new index]"
	doc.Organisations = coalesce(doc.Organisations, "organisations", func(r trace.Organisation) string { return r.ID }, file, sum, remap)
	doc.Sources = coalesce(doc.Sources, "sources", func(r trace.Source) string { return r.ID }, file, sum, remap)
	doc.Actors = coalesce(doc.Actors, "actors", func(r trace.Actor) string { return r.ID }, file, sum, remap)
	doc.Campaigns = coalesce(doc.Campaigns, "campaigns", func(r trace.Campaign) string { return r.ID }, file, sum, remap)
	doc.Incidents = coalesce(doc.Incidents, "incidents", func(r trace.Incident) string { return r.ID }, file, sum, remap)
	doc.Attributions = coalesce(doc.Attributions, "attributions", func(r trace.Attribution) string { return r.ID }, file, sum, remap)
	doc.Harms = coalesce(doc.Harms, "harms", func(r harm.Harm) string { return r.ID }, file, sum, remap)
	doc.Objects = newestObjects(doc.Objects)
	if doc.Origins != nil {
		origins := map[string]Origin{}
		for k, o := range doc.Origins {
			switch to, ok := remap[k]; {
			case !ok:
				origins[k] = o
			case to != "": // a copy dropped is told by the first's place
				origins[to] = o
			}
		}
		doc.Origins = origins
	}
}

func coalesce[T any](records []T, kind string, id func(T) string, file string, sum *Summary, remap map[string]string) []T {
	at := map[string]int{}
	var out []T
	dup := false
	for i, r := range records {
		j, seen := at[id(r)]
		if !seen {
			at[id(r)] = len(out)
			remap[fmt.Sprintf("%s[%d]", kind, i)] = fmt.Sprintf("%s[%d]", kind, len(out))
			out = append(out, r)
			continue
		}
		dup = true
		remap[fmt.Sprintf("%s[%d]", kind, i)] = ""
		merged, conflicts := fill(out[j], r)
		out[j] = merged
		for _, f := range conflicts {
			sum.Warn("%s: %s %s is given twice with different %q; the first is kept", file, strings.TrimSuffix(kind, "s"), id(r), f)
		}
	}
	if !dup {
		return records
	}
	return out
}

// fill returns first with the fields it leaves empty taken from later,
// and the fields the two give differently.
func fill[T any](first, later T) (T, []string) {
	a, errA := fields(first)
	b, errB := fields(later)
	if errA != nil || errB != nil {
		return first, nil
	}
	var conflicts []string
	for k, v := range b {
		old, ok := a[k]
		switch {
		case !ok || empty(old):
			a[k] = v
		case !empty(v) && !bytes.Equal(old, v) && k != "created" && k != "updated":
			conflicts = append(conflicts, k)
		}
	}
	slices.Sort(conflicts)
	raw, err := json.Marshal(a)
	if err != nil {
		return first, nil
	}
	var out T
	if json.Unmarshal(raw, &out) != nil {
		return first, nil
	}
	return out, conflicts
}

func fields(v any) (map[string]json.RawMessage, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	return m, json.Unmarshal(raw, &m)
}

func empty(v json.RawMessage) bool {
	s := string(bytes.TrimSpace(v))
	return s == "" || s == "null" || s == `""` || s == "[]" || s == "{}" || s == "0" || s == "false"
}

// newestObjects keeps one version of each kept STIX object: the latest
// modified, else the last given.
func newestObjects(objects []Object) []Object {
	at := map[string]int{}
	var out []Object
	for _, o := range objects {
		j, seen := at[o.ID]
		if !seen {
			at[o.ID] = len(out)
			out = append(out, o)
			continue
		}
		if modified(o.Body) >= modified(out[j].Body) {
			out[j] = o
		}
	}
	if len(out) == len(objects) {
		return objects
	}
	return out
}

// modified is a STIX object's modified timestamp, "" when it has none;
// STIX timestamps in UTC compare as strings.
func modified(body json.RawMessage) string {
	var head struct {
		Modified string `json:"modified"`
	}
	_ = json.Unmarshal(body, &head)
	return head.Modified
}
