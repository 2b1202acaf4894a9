package workspace

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/records"
	"github.com/harmtrace/harmtrace/internal/revision"
)

// History follows the record: whoever may read a record may read its
// revisions, and an incident's history also holds the revisions its harms
// and attributions made while they belonged to it (revision.Attached).
// A revision that involves a record the viewer may not read — it names
// one in a value, or it is a revision of a harm or attribution that was
// then marked beyond the viewer's reach — is shown as "a change you may not
// see": its time, kind and action only (records.VisibleHistory).

func (s *Server) workHistory(w http.ResponseWriter, r *http.Request) error {
	ctx, id := r.Context(), r.PathValue("id")
	revs, ok, err := records.History(ctx, s.store, httpkit.Access(r), id)
	if err != nil {
		return err
	}
	if !ok {
		return httpkit.NotFound(w, r, s.pages)
	}
	var entries []historyEntry
	for _, rev := range revs {
		e := historyEntry{Revision: rev}
		for _, c := range rev.Changes {
			e.Changes = append(e.Changes, change{c.Field, shownJSON(c.Old), shownJSON(c.New)})
		}
		entries = append(entries, e)
	}
	slices.SortStableFunc(entries, func(a, b historyEntry) int { return b.Time.Compare(a.Time) })
	return s.render(w, http.StatusOK, "history.html", httpkit.Page(r, "History", map[string]any{"ID": id, "Entries": entries}))
}

// historyEntry is a revision of the record or of one of its harms and
// attributions, shown with its changes.
type historyEntry struct {
	revision.Revision
	Changes []change
}

type change struct{ Field, Old, New string }

// shownJSON writes a field's JSON value for people: strings unquoted,
// null as a dash.
func shownJSON(raw []byte) string {
	s := string(raw)
	switch {
	case s == "" || s == "null":
		return "—"
	case strings.HasPrefix(s, `"`):
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
	}
	return s
}
