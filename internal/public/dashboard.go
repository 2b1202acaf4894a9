package public

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/records"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/chart"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/interchange/stix"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

func number(v float64) string { return report.Number(int64(v)) }

// homePage is the dashboard: the headline, the figures and the charts.
type homePage struct {
	Viewer                          *account.User
	Title                           string
	Report                          *report.Report
	Filter                          report.Filter
	Links                           links
	Timeline, PeopleTimeline        any
	Map, Sectors, Attacks, Articles any
	DataTypes, Groups               any
	Figures                         []report.NamedRange
	Options                         filterOptions
	// AttackedAgain counts the organisations named by two clear incidents
	// at most 12 months apart (retarget.Count), of all clear incidents,
	// as of the newest count (retarget.KeptCount).
	AttackedAgain int
	// Reported are the anonymous counts of the victims' reports to the
	// helpers (nil without a cases store): never a case, each count under
	// casefile.MinCount withheld.
	Reported *casefile.GroupCounts
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	f := httpkit.FilterOf(r)
	rep, err := s.reports.Report(r.Context(), f)
	if err != nil {
		return s.filterError(w, r, err)
	}
	years := append([]report.Bucket(nil), rep.ByYear...)
	sort.Slice(years, func(i, j int) bool { return years[i].Key < years[j].Key })
	var timeline, people []chart.Bar
	for _, b := range years {
		timeline = append(timeline, chart.Bar{Label: b.Key, Value: float64(b.Incidents)})
		people = append(people, chart.Bar{Label: b.Key, Value: float64(b.PeopleAffectedMin)})
	}
	again, err := s.attackedAgain.Get(r.Context())
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, b := range rep.ByCountry {
		counts[b.Key] = b.Incidents
	}
	p := homePage{Viewer: httpkit.User(r), Title: "Dashboard", Report: rep, Filter: f, Links: linksOf(f), Options: options(), Figures: rep.Figures(),
		Timeline:       chart.Columns("Incidents per year", timeline, number),
		PeopleTimeline: chart.Columns("People affected per year (at least)", people, number),
		Map:            chart.WorldMap("Incidents by victim country", counts, func(cc string) string { return "/countries/" + cc }),
		Sectors:        chart.Bars("Incidents by victim sector", bars(rep.BySector, 12), number),
		Attacks:        chart.Bars("Incidents by attack type", bars(rep.ByAttackType, 12), number),
		Articles:       chart.Bars("Incidents by UN Convention article", articleBars(rep.ByConventionArticle), number),
		DataTypes:      chart.Bars("Incidents by data exposed", bars(rep.ByDataType, 12), number),
		Groups:         chart.Bars("Incidents by vulnerable group of the victims", bars(rep.ByGroup, 12), number),
		AttackedAgain:  again,
	}
	if s.countReports {
		counts, err := casefile.CountGroups(r.Context(), s.store)
		if err != nil {
			return err
		}
		p.Reported = &counts
	}
	return s.render(w, http.StatusOK, "home.html", p)
}

func bars(buckets []report.Bucket, limit int) []chart.Bar {
	var out []chart.Bar
	for i, b := range buckets {
		if i == limit {
			break
		}
		out = append(out, chart.Bar{Label: b.Key, Value: float64(b.Incidents)})
	}
	return out
}

func articleBars(buckets []report.Bucket) []chart.Bar {
	var out []chart.Bar
	for _, b := range buckets {
		label := "art. " + b.Key
		if n, err := strconv.Atoi(b.Key); err == nil {
			if a, ok := vocab.LookupArticle(n); ok {
				label += " " + a.Title
			}
		}
		out = append(out, chart.Bar{Label: label, Value: float64(b.Incidents)})
	}
	return out
}

// filterOptions are the choices of the filter form.
type filterOptions struct {
	Sectors, AttackTypes, Determinations []string
	Countries                            []vocab.Country
}

func options() filterOptions {
	return filterOptions{Sectors: vocab.Sectors(), AttackTypes: vocab.AttackTypes.Values,
		Determinations: []string{"claimed", "suspected", "confirmed"}, Countries: vocab.Countries()}
}

// filterError shows a bad filter as a 400 with its message; any other
// error is the store's, logged and answered with the safe message.
func (s *Server) filterError(w http.ResponseWriter, r *http.Request, err error) error {
	if !errors.Is(err, report.ErrFilter) {
		return err
	}
	return s.render(w, http.StatusBadRequest, "error.html", httpkit.Page(r, "Bad filter", map[string]any{"Message": err.Error()}))
}

const pageSize = 50

type incidentsPage struct {
	Viewer     *account.User
	Title      string
	Filter     report.Filter
	Links      links
	Rows       []report.Row
	Total      int
	Page       int
	Prev, Next template.URL
	Options    filterOptions
}

func (s *Server) incidents(w http.ResponseWriter, r *http.Request) error {
	f := httpkit.FilterOf(r)
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	rows, total, err := s.index.ListIncidents(r.Context(), s.store, f, pageSize, (page-1)*pageSize)
	if err != nil {
		return s.filterError(w, r, err)
	}
	p := incidentsPage{Viewer: httpkit.User(r), Title: "Incidents", Filter: f, Links: linksOf(f), Rows: rows, Total: total, Page: page, Options: options()}
	if page > 1 {
		p.Prev = p.Links.Page(page - 1)
	}
	if page*pageSize < total {
		p.Next = p.Links.Page(page + 1)
	}
	return s.render(w, http.StatusOK, "incidents.html", p)
}

type incidentPage struct {
	Viewer       *account.User
	Title        string
	Incident     *trace.Incident
	Victims      []*trace.Organisation
	Harms        []harm.Harm
	Attributions []attributionView
	Sources      map[string]trace.Source
	Campaign     *trace.Campaign
	Revisions    []revision.Revision
	Articles     []vocab.ConventionArticle
	// Figures are the incident's harm of each kind, by the method.
	Figures []report.NamedRange
}

type attributionView struct {
	trace.Attribution
	Actor *trace.Actor
}

func (s *Server) incident(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	view, err := records.IncidentView(r, s.store, r.PathValue("id"))
	if err != nil {
		return err
	}
	if view == nil {
		return httpkit.NotFound(w, r, s.pages)
	}
	in := &view.Incidents[0]
	p := incidentPage{Viewer: httpkit.User(r), Title: in.Title, Incident: in, Sources: map[string]trace.Source{}, Harms: view.Harms,
		Figures: report.IncidentFigures(view.Harms)}
	orgs := map[string]*trace.Organisation{}
	for i := range view.Organisations {
		orgs[view.Organisations[i].ID] = &view.Organisations[i]
	}
	for _, v := range in.Victims {
		p.Victims = append(p.Victims, orgs[v.OrganisationID])
	}
	if in.CampaignID != "" && len(view.Campaigns) > 0 {
		p.Campaign = &view.Campaigns[0]
	}
	actors := map[string]*trace.Actor{}
	for i := range view.Actors {
		actors[view.Actors[i].ID] = &view.Actors[i]
	}
	for _, a := range view.Attributions {
		p.Attributions = append(p.Attributions, attributionView{a, actors[a.ActorID]})
	}
	for _, src := range view.Sources {
		p.Sources[src.ID] = src
	}
	for _, n := range in.Articles {
		if a, ok := vocab.LookupArticle(n); ok {
			p.Articles = append(p.Articles, a)
		}
	}
	if p.Revisions, err = revision.List(ctx, s.store, in.ID); err != nil {
		return err
	}
	if httpkit.User(r) == nil {
		p.Revisions = revision.ForPublic(p.Revisions)
	}
	return s.render(w, http.StatusOK, "incident.html", p)
}

// subjectPage is an actor's, a campaign's or a country's page: what it is,
// and the figures and incidents of its filter.
type subjectPage struct {
	Viewer  *account.User
	Title   string
	Kind    string
	Actor   *trace.Actor
	Camp    *trace.Campaign
	Country *vocab.Country
	Report  *report.Report
	Rows    []report.Row
	Total   int
	Links   links
}

func (s *Server) subject(w http.ResponseWriter, r *http.Request, p subjectPage, f report.Filter) error {
	var err error
	if p.Report, err = s.reports.Report(r.Context(), f); err != nil {
		return err
	}
	if p.Rows, p.Total, err = s.index.ListIncidents(r.Context(), s.store, f, pageSize, 0); err != nil {
		return err
	}
	p.Links = linksOf(f)
	p.Viewer = httpkit.User(r)
	return s.render(w, http.StatusOK, "subject.html", p)
}

func (s *Server) actor(w http.ResponseWriter, r *http.Request) error {
	if ok, err := access.MayRead(r.Context(), s.store, httpkit.Access(r), r.PathValue("id")); err != nil || !ok {
		if err != nil {
			return err
		}
		return httpkit.NotFound(w, r, s.pages)
	}
	a, err := trace.GetActor(r.Context(), s.store, r.PathValue("id"))
	if errors.Is(err, db.ErrNotFound) {
		return httpkit.NotFound(w, r, s.pages)
	}
	if err != nil {
		return err
	}
	return s.subject(w, r, subjectPage{Title: a.Name, Kind: "actor", Actor: a}, report.Filter{Actor: a.ID, Viewer: httpkit.AccessOf(r)})
}

func (s *Server) campaign(w http.ResponseWriter, r *http.Request) error {
	if ok, err := access.MayRead(r.Context(), s.store, httpkit.Access(r), r.PathValue("id")); err != nil || !ok {
		if err != nil {
			return err
		}
		return httpkit.NotFound(w, r, s.pages)
	}
	c, err := trace.GetCampaign(r.Context(), s.store, r.PathValue("id"))
	if errors.Is(err, db.ErrNotFound) {
		return httpkit.NotFound(w, r, s.pages)
	}
	if err != nil {
		return err
	}
	return s.subject(w, r, subjectPage{Title: c.Name, Kind: "campaign", Camp: c}, report.Filter{Campaign: c.ID, Viewer: httpkit.AccessOf(r)})
}

func (s *Server) country(w http.ResponseWriter, r *http.Request) error {
	c, ok := vocab.LookupCountry(r.PathValue("cc"))
	if !ok {
		return httpkit.NotFound(w, r, s.pages)
	}
	return s.subject(w, r, subjectPage{Title: c.Name, Kind: "country", Country: &c}, report.Filter{Country: c.Code, Viewer: httpkit.AccessOf(r)})
}

// download serves the current filter's incidents as open data.
func (s *Server) download(w http.ResponseWriter, r *http.Request) error {
	f := httpkit.FilterOf(r)
	ids, err := s.index.IncidentIDs(r.Context(), s.store, f)
	if err != nil {
		return s.filterError(w, r, err)
	}
	doc, err := interchange.LoadIncidents(r.Context(), s.store, httpkit.ExportScope(r), ids)
	if err != nil {
		return err
	}
	name, format, _ := strings.Cut(r.PathValue("file"), ".")
	if name != "incidents" {
		return httpkit.NotFound(w, r, s.pages)
	}
	types := map[string]string{"csv": "text/csv; charset=utf-8", "json": "application/x-ndjson", "stix": stix.MediaType}
	ext := map[string]string{"csv": "csv", "json": "jsonl", "stix": "json"}
	if types[format] == "" {
		return httpkit.NotFound(w, r, s.pages)
	}
	w.Header().Set("Content-Type", types[format])
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="harmtrace-incidents.%s"`, ext[format]))
	switch format {
	case "csv":
		return interchange.WriteCSV(w, doc)
	case "json":
		return interchange.WriteJSONLines(w, doc)
	}
	return stix.Write(w, doc, httpkit.ExportTLP(r))
}
