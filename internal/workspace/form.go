package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/records"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/validate"
)

// A form edits one kind of record in the analysts' workspace. Each kind is
// a table of fields (records.Forms); one template draws every form and the
// functions here carry values between the form and the record through the
// record's JSON form. The record's own Validate then judges it, so the
// workspace, the API and the importers refuse the same records with the
// same messages.

// fieldState is a field as the template draws it: its value and errors.
type fieldState struct {
	records.Field
	Text   string
	Set    map[string]bool
	Errors []string
}

// statesOf reads a stored record's fields for the form.
func statesOf(ctx context.Context, q db.Querier, fields []records.Field, rec any) ([]fieldState, error) {
	values, err := revision.Fields(rec)
	if err != nil {
		return nil, err
	}
	out := make([]fieldState, len(fields))
	for i, f := range fields {
		st := fieldState{Field: f, Set: map[string]bool{}}
		raw := values[f.Name]
		switch f.Input {
		case "checks", "list":
			var v []string
			_ = json.Unmarshal(raw, &v)
			if f.Show != nil && len(v) > 0 {
				if v, err = f.Show(ctx, q, v); err != nil {
					return nil, err
				}
			}
			for _, s := range v {
				st.Set[s] = true
			}
			st.Text = strings.Join(v, "\n")
		case "numbers":
			var v []int
			_ = json.Unmarshal(raw, &v)
			for _, n := range v {
				st.Set[strconv.Itoa(n)] = true
			}
		case "number":
			if len(raw) > 0 && string(raw) != "null" {
				st.Text = string(raw)
			}
		case "bool":
			st.Set["true"] = string(raw) == "true"
		case "victims":
			var v []trace.Victim
			_ = json.Unmarshal(raw, &v)
			var lines []string
			for _, x := range v {
				lines = append(lines, x.OrganisationID+" "+x.Role)
			}
			st.Text = strings.Join(lines, "\n")
		default:
			_ = json.Unmarshal(raw, &st.Text)
		}
		out[i] = st
	}
	return out, nil
}

// statesFromPost reads the submitted form as it was typed.
func statesFromPost(fields []records.Field, form url.Values) []fieldState {
	out := make([]fieldState, len(fields))
	for i, f := range fields {
		st := fieldState{Field: f, Text: form.Get(f.Name), Set: map[string]bool{}}
		for _, v := range form[f.Name] {
			st.Set[v] = true
		}
		out[i] = st
	}
	return out
}

// fill overlays the submitted fields on the stored record's JSON (so the
// fields a form does not show, such as the owner, are kept) and decodes
// the result into rec. Problems of a field are added to its state.
func fill(ctx context.Context, q db.Querier, states []fieldState, stored, rec any) (ok bool, err error) {
	values, err := revision.Fields(stored)
	if err != nil {
		return false, err
	}
	ok = true
	for i := range states {
		st := &states[i]
		v, problem, err := st.value(ctx, q)
		if err != nil {
			return false, err
		}
		if problem != "" {
			st.Errors = append(st.Errors, problem)
			ok = false
			continue
		}
		body, err := json.Marshal(v)
		if err != nil {
			return false, err
		}
		values[st.Name] = body
	}
	if !ok {
		return false, nil
	}
	body, err := json.Marshal(values)
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(body, rec)
}

var (
	lineSplit  = regexp.MustCompile(`[\r\n]+`)
	commaSplit = regexp.MustCompile(`[\r\n,]+`)
)

// lines splits a list as typed: one value a line (commas too, for short
// lists typed on one line, except where a value may hold a comma).
func (st *fieldState) lines() []string {
	sep := lineSplit
	if st.Resolve == nil {
		sep = commaSplit
	}
	var out []string
	for _, l := range sep.Split(st.Text, -1) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// value is the JSON value of a submitted field, or a problem to show next
// to it.
func (st *fieldState) value(ctx context.Context, q db.Querier) (v any, problem string, err error) {
	switch st.Input {
	case "checks":
		set := []string{}
		for _, o := range st.Options {
			if st.Set[o] {
				set = append(set, o)
			}
		}
		return set, "", nil
	case "numbers":
		set := []int{}
		for _, o := range st.Options {
			if st.Set[o] {
				n, _ := strconv.Atoi(o)
				set = append(set, n)
			}
		}
		return set, "", nil
	case "number":
		text := strings.ReplaceAll(strings.TrimSpace(st.Text), ",", "")
		if text == "" {
			return nil, "", nil
		}
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, fmt.Sprintf("%q is not a whole number (leave it empty when unknown)", st.Text), nil
		}
		return n, "", nil
	case "bool":
		return st.Set["true"], "", nil
	case "list":
		out := []string{}
		for _, l := range st.lines() {
			id, problem, err := st.resolveLine(ctx, q, l)
			if err != nil || problem != "" {
				return nil, problem, err
			}
			out = append(out, id)
		}
		return out, "", nil
	case "victims":
		return st.victims(ctx, q)
	case "ref":
		text := strings.TrimSpace(st.Text)
		if text == "" {
			return "", "", nil
		}
		id, problem, err := st.resolveLine(ctx, q, text)
		return id, problem, err
	}
	return strings.TrimSpace(st.Text), "", nil
}

func (st *fieldState) resolveLine(ctx context.Context, q db.Querier, line string) (id, problem string, err error) {
	if st.Resolve == nil {
		return line, "", nil
	}
	id, err = st.Resolve(ctx, q, line)
	if err != nil {
		if errors.As(err, new(records.Unresolved)) {
			return "", err.Error(), nil
		}
		return "", "", err
	}
	return id, "", nil
}

// victims reads "organisation [role]" lines; the organisation is an id or
// a name, the role one of the victim roles (victim when left out).
func (st *fieldState) victims(ctx context.Context, q db.Querier) (any, string, error) {
	out := []trace.Victim{}
	for _, l := range lineSplit.Split(st.Text, -1) {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		ref, role := l, "victim"
		if i := strings.LastIndexByte(l, ' '); i > 0 && slices.Contains(st.Options, l[i+1:]) {
			ref, role = strings.TrimSpace(l[:i]), l[i+1:]
		}
		id, problem, err := st.resolveLine(ctx, q, ref)
		if err != nil || problem != "" {
			return nil, problem, err
		}
		out = append(out, trace.Victim{OrganisationID: id, Role: role})
	}
	return out, "", nil
}

// placeErrors puts each field error of a refused record next to its field
// ("victims[0].organisation_id" belongs to victims) and returns those that
// belong to no field of the form.
func placeErrors(states []fieldState, errs validate.Errors) []string {
	var rest []string
	for _, e := range errs {
		name := e.Field
		if i := strings.IndexAny(name, "[."); i >= 0 {
			name = name[:i]
		}
		placed := false
		for i := range states {
			if states[i].Name == name {
				states[i].Errors = append(states[i].Errors, e.Message)
				placed = true
			}
		}
		if !placed {
			rest = append(rest, e.Error())
		}
	}
	return rest
}
