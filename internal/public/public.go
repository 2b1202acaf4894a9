package public

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"

	"time"

	"github.com/harmtrace/harmtrace"
	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/interchange/hhs"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// The pages a reader checks a figure against: the method, what the data
// is, every correction, the data dictionary and the actors. All public:
// what they show of records is what the viewer may read (the corrections,
// what is marked clear, whoever looks).

// docPage is a page made of one of the project's Markdown documents.
type docPage struct {
	Viewer *account.User
	Title  string
	Body   template.HTML
}

// method shows docs/harm-method.md, the file itself, embedded.
func (s *Server) method(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, "doc.html", docPage{Viewer: httpkit.User(r), Title: "How harmtrace counts harm", Body: markdown(harmtrace.HarmMethod, 0)})
}

type aboutPage struct {
	Viewer *account.User
	Title  string
	Report *report.Report
	// First and Last are the years the public incidents span.
	First, Last string
	Notice      template.HTML
	Today       string
	// FromPortal counts the public incidents of the bundled HHS OCR data.
	FromPortal int
}

// about says what the data is, from the public figures and NOTICE.md.
func (s *Server) about(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.reports.Report(r.Context(), report.Filter{Viewer: &access.Public})
	if err != nil {
		return err
	}
	p := aboutPage{Viewer: httpkit.User(r), Title: "About the data", Report: rep, Notice: markdown(harmtrace.Notice, 2),
		Today: time.Now().UTC().Format("2 January 2006")}
	if err := s.store.QueryRow(r.Context(), `SELECT COUNT(*) FROM incident_sources s JOIN incidents i ON i.id = s.incident_id
		WHERE s.source_id = ? AND i.tlp = 'clear'`, hhs.Portal.ID).Scan(&p.FromPortal); err != nil {
		return err
	}
	for _, b := range rep.ByYear {
		if b.Key == "unknown" {
			continue
		}
		if p.First == "" || b.Key < p.First {
			p.First = b.Key
		}
		if b.Key > p.Last {
			p.Last = b.Key
		}
	}
	return s.render(w, http.StatusOK, "about.html", p)
}

type dictionaryPage struct {
	Viewer *account.User
	Title  string
	CSV    []interchange.Term
	JSON   []interchange.JSONType
}

func (s *Server) dictionary(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, "dictionary.html", dictionaryPage{Viewer: httpkit.User(r), Title: "Data dictionary",
		CSV: interchange.CSVColumns(), JSON: interchange.JSONTypes()})
}

type actorRow struct {
	trace.Actor
	Origin    string
	Incidents int
}

type actorsPage struct {
	Viewer     *account.User
	Title      string
	Rows       []actorRow
	Search     string
	Total      int
	Page       int
	Prev, Next template.URL
}

// actorsPerPage keeps the index readable on a phone.
const actorsPerPage = 100

// actors lists the actors the viewer may read, those named in the
// viewer's incidents first.
func (s *Server) actors(w http.ResponseWriter, r *http.Request) error {
	v := httpkit.Access(r)
	search := r.URL.Query().Get("q")
	sel := trace.Selection{Search: search, Limit: 5000}
	sel.Where, sel.Args = v.ConditionOf(access.Actor, "t")
	list, total, err := trace.Actors(r.Context(), s.store, sel)
	if err != nil {
		return err
	}
	counts, err := s.index.ActorCounts(r.Context(), s.store, report.Filter{Viewer: &v})
	if err != nil {
		return err
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	p := actorsPage{Viewer: httpkit.User(r), Title: "Threat actors", Search: search, Total: total, Page: page}
	var rows []actorRow
	for _, a := range list {
		rows = append(rows, actorRow{Actor: a, Origin: originName(a.OriginCountry), Incidents: counts[a.ID]})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Incidents > rows[j].Incidents })
	from, to := min((page-1)*actorsPerPage, len(rows)), min(page*actorsPerPage, len(rows))
	p.Rows = rows[from:to]
	link := func(n int) template.URL {
		v := url.Values{"page": {strconv.Itoa(n)}}
		if search != "" {
			v.Set("q", search)
		}
		return href("/actors", v)
	}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if to < len(rows) {
		p.Next = link(page + 1)
	}
	return s.render(w, http.StatusOK, "actors.html", p)
}

// originName is an actor's origin as a reader says it: the country's name.
func originName(code string) string {
	if code == "" {
		return ""
	}
	return report.CountryName(code)
}

// correction is one change of a published record, as the public may see it.
type correction struct {
	Time           time.Time
	Kind, Action   string
	Label, Link    string
	Fields         []string
	Reason         string
	RecordID       string
	revisionNumber int64
}

type correctionsPage struct {
	Viewer      *account.User
	Title       string
	Corrections []correction
	Limit       int
}

// correctionsShown caps the page: the newest corrections first.
const correctionsShown = 500

// corrections lists every change made to a record while it was published
// (marked clear before and after the change), newest first: when, which
// record, which fields, and why. The values are not shown (revision.
// ForPublic), nor who made the change; changes made before a record was
// published, and records not clear today, are left out, whoever looks.
func (s *Server) corrections(w http.ResponseWriter, r *http.Request) error {
	list, err := publishedCorrections(r.Context(), s.store, correctionsShown)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "corrections.html", correctionsPage{Viewer: httpkit.User(r), Title: "Corrections",
		Corrections: list, Limit: correctionsShown})
}

// correctedKinds are the records whose changes the page lists.
var correctedKinds = []string{"incident", "harm", "attribution", "organisation", "source", "actor", "campaign"}

func publishedCorrections(ctx context.Context, q db.Querier, limit int) ([]correction, error) {
	rows, err := q.Query(ctx, `SELECT id, record_kind, record_id, action, reason, changes, created_at FROM revisions
		WHERE action IN ('update', 'delete') AND record_kind IN ('`+joinQuoted(correctedKinds)+`') ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	type candidate struct {
		correction
		changes []revision.Change
	}
	var found []candidate
	for rows.Next() && len(found) < limit*4 {
		var c candidate
		var changes, at string
		if err := rows.Scan(&c.revisionNumber, &c.Kind, &c.RecordID, &c.Action, &c.Reason, &changes, &at); err != nil {
			rows.Close()
			return nil, err
		}
		if json.Unmarshal([]byte(changes), &c.changes) != nil {
			continue
		}
		c.Time, _ = time.Parse(time.RFC3339Nano, at)
		found = append(found, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []correction
	history := map[string][]revision.Revision{}
	for _, c := range found {
		if len(out) == limit {
			break
		}
		ok, err := publishedWhen(ctx, q, c.correction, c.changes, history)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		c.correction.Fields = publicFields(c.changes)
		if err := label(ctx, q, &c.correction, c.changes); err != nil {
			return nil, err
		}
		out = append(out, c.correction)
	}
	return out, nil
}

// publishedWhen reports whether the record was published when the change
// was made: marked clear before it, and still readable by the public now
// (or, for a deletion, clear when deleted, with its incident public).
func publishedWhen(ctx context.Context, q db.Querier, c correction, changes []revision.Change, history map[string][]revision.Revision) (bool, error) {
	if c.Action == revision.Delete {
		if valueOf(changes, "tlp", true) != "clear" {
			return false, nil
		}
		if parent := valueOf(changes, "incident_id", true); parent != "" {
			return access.MayRead(ctx, q, access.Public, parent)
		}
		return true, nil
	}
	if ok, err := access.MayRead(ctx, q, access.Public, c.RecordID); err != nil || !ok {
		return false, err
	}
	revs, ok := history[c.RecordID]
	if !ok {
		var err error
		if revs, err = revision.List(ctx, q, c.RecordID); err != nil {
			return false, err
		}
		history[c.RecordID] = revs
	}
	// The marking before this change: the newest tlp written before it.
	tlp := ""
	for _, r := range revs {
		if r.ID >= c.revisionNumber {
			break
		}
		if v := valueOf(r.Changes, "tlp", false); v != "" {
			tlp = v
		}
	}
	return tlp == "clear", nil
}

// valueOf reads a field's old (or new) value from a revision's changes, as
// text; "" when absent or not text.
func valueOf(changes []revision.Change, field string, old bool) string {
	for _, c := range changes {
		if c.Field != field {
			continue
		}
		raw := c.New
		if old {
			raw = c.Old
		}
		var s string
		_ = json.Unmarshal(raw, &s)
		return s
	}
	return ""
}

// publicFields names the fields a change touched; the marking's own
// lists (teams, readers, owner) are named "marking" only.
func publicFields(changes []revision.Change) []string {
	var out []string
	for _, c := range changes {
		name := c.Field
		switch name {
		case "owner", "shared_with", "readers", "tlp":
			name = "marking"
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// label names the changed record and links its public page.
func label(ctx context.Context, q db.Querier, c *correction, changes []revision.Change) error {
	name := func(kind, id string) (string, string) {
		switch kind {
		case "incident":
			if in, err := trace.GetIncident(ctx, q, id); err == nil {
				return in.Title, "/incidents/" + id
			}
		case "actor":
			if a, err := trace.GetActor(ctx, q, id); err == nil {
				return a.Name, "/actors/" + id
			}
		case "campaign":
			if k, err := trace.GetCampaign(ctx, q, id); err == nil {
				return k.Name, "/campaigns/" + id
			}
		case "organisation":
			if o, err := trace.GetOrganisation(ctx, q, id); err == nil {
				return o.Name, ""
			}
		case "source":
			if s, err := trace.GetSource(ctx, q, id); err == nil {
				return s.Title, ""
			}
		}
		return "", ""
	}
	if c.Action == revision.Delete {
		c.Label = valueOf(changes, "title", true) + valueOf(changes, "name", true)
		if parent := valueOf(changes, "incident_id", true); parent != "" {
			title, link := name("incident", parent)
			c.Label, c.Link = "of "+title, link
		}
		return nil
	}
	switch c.Kind {
	case "harm", "attribution":
		var incident string
		table := map[string]string{"harm": "harms", "attribution": "attributions"}[c.Kind]
		if err := q.QueryRow(ctx, `SELECT COALESCE(incident_id, '') FROM `+table+` WHERE id = ?`, c.RecordID).Scan(&incident); err != nil {
			return err
		}
		if incident != "" {
			title, link := name("incident", incident)
			c.Label, c.Link = "of "+title, link
		}
	default:
		c.Label, c.Link = name(c.Kind, c.RecordID)
	}
	return nil
}

func joinQuoted(v []string) string {
	out := ""
	for i, s := range v {
		if i > 0 {
			out += "', '"
		}
		out += s
	}
	return out
}
