package workspace

import (
	"cmp"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/records"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/validate"
)

// formPage is the data of form.html.
type formPage struct {
	Title   string
	Form    *records.Form
	Action  string
	Fields  []fieldState
	Errors  []string
	Reason  string
	History string
	// Delete is where the record's deletion is posted; empty when it
	// cannot be deleted here.
	Delete        string
	ConfirmDelete bool
}

func (s *Server) workNew(w http.ResponseWriter, r *http.Request) error {
	f := records.Forms(httpkit.Access(r))[r.PathValue("kind")]
	if f == nil {
		return httpkit.NotFound(w, r, s.pages)
	}
	return s.editRecord(w, r, f, f.Blank(r), "/work/"+f.Kind+"/new")
}

func (s *Server) workEdit(w http.ResponseWriter, r *http.Request) error {
	f := records.Forms(httpkit.Access(r))[r.PathValue("kind")]
	if f == nil {
		return httpkit.NotFound(w, r, s.pages)
	}
	id := r.PathValue("id")
	stored, err := records.Stored(r.Context(), s.store, httpkit.Access(r), f, id)
	if err != nil {
		return err
	}
	if stored == nil {
		return httpkit.NotFound(w, r, s.pages)
	}
	return s.editRecord(w, r, f, stored, "/work/"+f.Kind+"/"+id)
}

// editRecord shows the form of a record, or saves what was submitted and
// shows the form again with each problem next to its field.
func (s *Server) editRecord(w http.ResponseWriter, r *http.Request, f *records.Form, stored any, action string) error {
	ctx := r.Context()
	p := formPage{Title: "New " + f.Label, Form: f, Action: action}
	if id := f.IDOf(stored); id != "" {
		p.Title, p.History = "Edit "+f.Label, "/history/"+id
		if f.Remove != nil {
			p.Delete = action + "/delete"
			p.ConfirmDelete = r.URL.Query().Get("delete") == "confirm"
		}
	}
	if r.Method == http.MethodGet {
		shown := stored
		if records.ID(stored) != "" {
			shown = f.Zero() // a copy, so the stored record keeps what it names
			if err := records.Copy(stored, shown); err != nil {
				return err
			}
			if err := records.WithoutHidden(ctx, s.store, httpkit.Access(r), shown); err != nil {
				return err
			}
		}
		var err error
		p.Fields, err = statesOf(ctx, s.store, f.Fields, shown)
		if err != nil {
			return err
		}
		return s.render(w, http.StatusOK, "form.html", httpkit.Page(r, p.Title, map[string]any{"Form": p}))
	}
	if err := r.ParseForm(); err != nil {
		return httpkit.BadRequest(err)
	}
	p.Fields = statesFromPost(f.Fields, r.PostForm)
	p.Reason = strings.TrimSpace(r.PostForm.Get("reason"))
	rec := f.Zero()
	ok, err := fill(ctx, s.store, p.Fields, stored, rec)
	if err != nil {
		return err
	}
	if ok {
		why := cmp.Or(p.Reason, "edited in the workspace")
		err = s.store.Write(ctx, db.Author{Who: httpkit.User(r).Email, Why: why}, func(tx *db.Tx) error {
			return f.Save(ctx, tx, r, rec)
		})
		if err == nil {
			http.Redirect(w, r, f.Shown(rec), http.StatusSeeOther)
			return nil
		}
		if access.IsRefusal(err) {
			return s.offerSuggestion(w, r, err, stored, rec, p.Reason)
		}
		fields := validate.Fields(err)
		if fields == nil {
			return err
		}
		p.Errors = placeErrors(p.Fields, fields)
	}
	return s.render(w, http.StatusUnprocessableEntity, "form.html", httpkit.Page(r, p.Title, map[string]any{"Form": p}))
}

// workDelete deletes a record, once the analyst has ticked the box that
// confirms it; the revisions keep its last version and the reason.
func (s *Server) workDelete(w http.ResponseWriter, r *http.Request) error {
	f := records.Forms(httpkit.Access(r))[r.PathValue("kind")]
	if f == nil || f.Remove == nil {
		return httpkit.NotFound(w, r, s.pages)
	}
	id := r.PathValue("id")
	stored, err := records.Stored(r.Context(), s.store, httpkit.Access(r), f, id)
	if err != nil {
		return err
	}
	if stored == nil {
		return httpkit.NotFound(w, r, s.pages)
	}
	if err := r.ParseForm(); err != nil {
		return httpkit.BadRequest(err)
	}
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	if r.PostForm.Get("confirm") != "yes" || reason == "" {
		http.Redirect(w, r, "/work/"+f.Kind+"/"+id+"?delete=confirm", http.StatusSeeOther)
		return nil
	}
	err = s.store.Write(r.Context(), db.Author{Who: httpkit.User(r).Email, Why: reason}, func(tx *db.Tx) error {
		return records.DeleteChecked(r.Context(), tx, r, id, f.Remove)
	})
	if access.IsRefusal(err) {
		return httpkit.Refused(w, r, s.pages, err)
	}
	if err != nil {
		return err
	}
	next := "/work"
	if !strings.HasPrefix(id, "incident--") {
		next = f.Shown(stored)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// pageSize is how many records a page of a list shows.
const pageSize = 50

// listPage is the data of worklist.html: a page of records of one kind.
type listPage struct {
	Kind, Label, Search, Saved string
	Rows                       []listRow
	Total, Page                int
	Prev, Next                 string
}

type listRow struct{ ID, Name, Detail, Link string }

func (s *Server) workList(w http.ResponseWriter, r *http.Request) error {
	ctx, v := r.Context(), httpkit.Access(r)
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	p := listPage{Kind: r.PathValue("kind"), Search: strings.TrimSpace(q.Get("q")), Saved: q.Get("saved"), Page: page}
	sel := records.ListSelection(p.Kind, v, trace.Selection{Search: p.Search, Limit: pageSize, Offset: (page - 1) * pageSize})
	var err error
	switch p.Kind {
	case "incidents":
		http.Redirect(w, r, "/incidents", http.StatusSeeOther)
		return nil
	case "organisations":
		p.Label = "Organisations"
		var rows []trace.Organisation
		rows, p.Total, err = trace.Organisations(ctx, s.store, sel)
		for _, o := range rows {
			p.Rows = append(p.Rows, listRow{o.ID, o.Name, strings.Trim(o.Kind+" · "+o.Sector+" · "+o.Country, " ·"), ""})
		}
	case "sources":
		p.Label = "Sources"
		var rows []trace.Source
		rows, p.Total, err = trace.Sources(ctx, s.store, sel)
		for _, src := range rows {
			p.Rows = append(p.Rows, listRow{src.ID, cmp.Or(src.Title, src.URL), src.Kind + " · " + src.Reliability + strconv.Itoa(src.Credibility), src.URL})
		}
	case "actors":
		p.Label = "Threat actors"
		var rows []trace.Actor
		rows, p.Total, err = trace.Actors(ctx, s.store, sel)
		for _, a := range rows {
			p.Rows = append(p.Rows, listRow{a.ID, a.Name, strings.Trim(a.Type+" · "+a.OriginCountry, " ·"), "/actors/" + a.ID})
		}
	case "campaigns":
		p.Label = "Campaigns"
		var rows []trace.Campaign
		rows, p.Total, err = trace.Campaigns(ctx, s.store, sel)
		for _, c := range rows {
			p.Rows = append(p.Rows, listRow{c.ID, c.Name, strings.Trim(string(c.FirstSeen)+" – "+string(c.LastSeen), " –"), "/campaigns/" + c.ID})
		}
	default:
		return httpkit.NotFound(w, r, s.pages)
	}
	if err != nil {
		return err
	}
	more := "&q=" + url.QueryEscape(p.Search)
	if page > 1 {
		p.Prev = "?page=" + strconv.Itoa(page-1) + more
	}
	if page*pageSize < p.Total {
		p.Next = "?page=" + strconv.Itoa(page+1) + more
	}
	return s.render(w, http.StatusOK, "worklist.html", httpkit.Page(r, p.Label, map[string]any{"List": p}))
}

func (s *Server) workHome(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := report.Filter{Viewer: httpkit.AccessOf(r)}
	rows, total, err := s.index.ListIncidents(ctx, s.store, f, 20, 0)
	if err != nil {
		return err
	}
	pairs, err := s.visiblePairs(ctx, r, "open")
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "work.html", httpkit.Page(r, "Workspace", map[string]any{
		"Rows": rows, "Total": total, "Duplicates": len(pairs)}))
}
