// Package records is each kind of record (incident, harm, attribution,
// organisation, source, actor, campaign) as the workspace and the API
// create, read, change and delete it for a viewer: one Form per kind (its
// fields, how to get, save and delete it), every save and delete through
// internal/access (write.go), references to records the viewer may not
// read left out of what is shown and kept in what is saved (hidden.go),
// and a record's history as the viewer may see it (history.go). The
// workspace's pages and the API's JSON are two surfaces of the same forms,
// so both refuse the same records with the same messages.
package records

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// Form is one kind of record that the workspace and the API create and
// edit.
type Form struct {
	Kind   string // as in URLs: /work/{Kind}/new
	Label  string // "incident"
	Fields []Field
	// Zero is an empty record; Blank a new one, pre-filled from the query
	// string (?incident_id=… on "add a harm").
	Zero  func() any
	Blank func(r *http.Request) any
	Get   func(ctx context.Context, q db.Querier, id string) (any, error)
	// Save saves rec, asking access first (writeChecked).
	Save func(ctx context.Context, tx *db.Tx, r *http.Request, rec any) error
	IDOf func(rec any) string
	// Shown is where a saved record is seen.
	Shown func(rec any) string
	// Remove deletes a record (its revisions stay); nil for kinds that
	// other records refer to, which are corrected rather than deleted.
	Remove func(ctx context.Context, tx *db.Tx, id string) error
}

// Field is one input of a record's form; its Name is the record's JSON
// field.
type Field struct {
	Name  string
	Label string
	// Input is how the field is entered: text, date, textarea, select,
	// checks (a set of strings), numbers (a set of integers), list (one
	// value a line), number (an integer, empty for unknown), bool, or
	// victims (one organisation a line, optionally followed by its role),
	// or ref (one reference to a record, resolved like a list's lines).
	Input   string
	Options []string
	// Labels name options where the value alone says too little.
	Labels map[string]string
	// Optional selects offer an empty choice.
	Optional bool
	Help     string
	// Resolve turns what a person types on a line of a list (a name, an
	// email, a URL) into the id the record holds (an Unresolved error when
	// it names no record the viewer may see); Show turns ids back.
	Resolve func(ctx context.Context, q db.Querier, text string) (string, error)
	Show    func(ctx context.Context, q db.Querier, ids []string) ([]string, error)
}

// Unresolved is a reference that names no record: shown next to its field.
type Unresolved string

func (e Unresolved) Error() string { return string(e) }

// formOf builds a Form for records of type T. Its Save asks access first
// (writeChecked), so the workspace and the API cannot forget it.
func formOf[T any](kind, label string, fields []Field,
	get func(context.Context, db.Querier, string) (*T, error),
	save func(context.Context, *db.Tx, *http.Request, *T) error,
	id func(*T) string, shown func(*T) string, prefill func(*http.Request, *T)) *Form {
	return &Form{Kind: kind, Label: label, Fields: fields,
		Zero: func() any { return new(T) },
		Blank: func(r *http.Request) any {
			rec := new(T)
			if prefill != nil {
				prefill(r, rec)
			}
			if m := markingOf(rec); m.TLP == "" {
				m.TLP = trace.DefaultTLP // nothing is public until someone marks it clear
			}
			return rec
		},
		Get: func(ctx context.Context, q db.Querier, id string) (any, error) { return get(ctx, q, id) },
		Save: func(ctx context.Context, tx *db.Tx, r *http.Request, rec any) error {
			var stored any // what rec changes, if it exists: its hidden references stay
			if id := ID(rec); id != "" {
				switch prev, err := get(ctx, tx, id); {
				case err == nil:
					stored = prev
				case !errors.Is(err, db.ErrNotFound):
					return err
				}
			}
			return writeChecked(ctx, tx, r, rec, stored, func() error { return save(ctx, tx, r, rec.(*T)) })
		},
		IDOf:  func(rec any) string { return id(rec.(*T)) },
		Shown: func(rec any) string { return shown(rec.(*T)) },
	}
}

const dateHelp = "YYYY-MM-DD, YYYY-MM or YYYY; empty when unknown."

// Forms are the kinds of record the workspace and the API edit, by their
// Kind, for viewer v: names typed in the forms resolve only to records v
// may see.
func Forms(v access.Viewer) map[string]*Form {
	orgRef := resolver(v, "organisation", "identity--", func(ctx context.Context, q db.Querier, name string) ([]string, error) {
		return trace.FindByName(ctx, q, "organisation", name)
	})
	sourceRef := resolver(v, "source", "source--", func(ctx context.Context, q db.Querier, u string) ([]string, error) {
		id, err := trace.FindSourceByURL(ctx, q, u)
		if id == "" {
			return nil, err
		}
		return []string{id}, err
	})
	actorRef := resolver(v, "actor", "threat-actor--", func(ctx context.Context, q db.Querier, name string) ([]string, error) {
		return trace.FindByName(ctx, q, "actor", name)
	})
	campaignRef := resolver(v, "campaign", "campaign--", func(ctx context.Context, q db.Querier, name string) ([]string, error) {
		return db.Column[string](ctx, q, `SELECT id FROM campaigns WHERE name = ? ORDER BY id`, name)
	})
	incidentRef := resolver(v, "incident", "incident--", nil)
	sources := Field{Name: "source_ids", Label: "Sources", Input: "list", Resolve: sourceRef,
		Help: "One a line: a source's id or URL. Record a new source first under Sources."}

	articles := map[string]string{}
	var articleNumbers []string
	for _, a := range vocab.ConventionArticles {
		n := strconv.Itoa(a.Number)
		articleNumbers = append(articleNumbers, n)
		articles[n] = "art. " + n + " " + a.Title
	}
	var indicators []string
	for _, ind := range vocab.Indicators {
		indicators = append(indicators, ind.Name)
	}

	// Every kind of record carries a marking (internal/access).
	marking := []Field{
		{Name: "tlp", Label: "Marking (TLP 2.0)", Input: "select", Options: vocab.TLP.Values,
			Help: "clear: public; green: every signed-in user; amber: your organisation and those it is shared with; amber+strict: your organisation only; red: the named readers only."},
		{Name: "shared_with", Label: "Shared with (amber)", Input: "list", Resolve: teamRef, Show: account.TeamNames,
			Help: "One organisation name a line."},
		{Name: "readers", Label: "Readers (red)", Input: "list", Resolve: userRef, Show: account.UserEmails,
			Help: "One email a line."},
	}
	forms := []*Form{
		formOf("incidents", "incident", []Field{
			{Name: "title", Label: "Title", Input: "text"},
			{Name: "summary", Label: "Summary", Input: "textarea"},
			{Name: "attack_types", Label: "Attack types", Input: "checks", Options: vocab.AttackTypes.Values},
			{Name: "determination", Label: "Determination", Input: "select", Options: vocab.Determinations.Values,
				Help: "claimed: only the attacker or an unverified report says so; suspected: signs point to it; confirmed: the victim or an authority confirms it."},
			{Name: "start", Label: "Start", Input: "date", Help: dateHelp},
			{Name: "end", Label: "End", Input: "date", Help: dateHelp},
			{Name: "discovered", Label: "Discovered", Input: "date", Help: dateHelp},
			{Name: "disclosed", Label: "Disclosed", Input: "date", Help: dateHelp},
			{Name: "victims", Label: "Victims", Input: "victims", Options: vocab.VictimRoles.Values, Resolve: orgRef,
				Help: "One a line: an organisation's name or id, then optionally its role (" + strings.Join(vocab.VictimRoles.Values, ", ") + ")."},
			{Name: "countries", Label: "Countries affected", Input: "list", Help: "ISO 3166-1 alpha-2 codes, such as FR, KE."},
			{Name: "campaign_id", Label: "Campaign", Input: "ref", Resolve: campaignRef, Help: "A campaign's name or id; empty for none."},
			{Name: "convention_articles", Label: "UN Convention against Cybercrime offences", Input: "numbers", Options: articleNumbers, Labels: articles},
			sources,
		}, trace.GetIncident,
			func(ctx context.Context, tx *db.Tx, r *http.Request, in *trace.Incident) error {
				_, err := trace.SaveIncident(ctx, tx, in)
				return err
			},
			func(in *trace.Incident) string { return in.ID },
			func(in *trace.Incident) string { return "/incidents/" + in.ID },
			func(r *http.Request, in *trace.Incident) {
				in.TLP, in.Determination = trace.DefaultTLP, "claimed"
				// "New incident" links from an organisation or a source.
				if id := r.URL.Query().Get("victim"); id != "" {
					in.Victims = []trace.Victim{{OrganisationID: id, Role: "victim"}}
				}
				if id := r.URL.Query().Get("source"); id != "" {
					in.SourceIDs = []string{id}
				}
			}),

		formOf("harms", "harm figure", []Field{
			{Name: "incident_id", Label: "Incident", Input: "ref", Resolve: incidentRef},
			{Name: "organisation_id", Label: "Victim (optional)", Input: "ref", Resolve: orgRef,
				Help: "The organisation this figure is about, when the incident has several victims."},
			{Name: "indicator", Label: "Indicator", Input: "select", Options: indicators},
			{Name: "category", Label: "Category", Input: "select", Options: vocab.HarmCategories.Values, Optional: true,
				Help: "Empty: the indicator's own category."},
			{Name: "min", Label: "At least", Input: "number", Help: "Empty when unknown; equal to the maximum when exact."},
			{Name: "max", Label: "At most", Input: "number", Help: "Empty when there is no upper bound."},
			{Name: "unit", Label: "Unit", Input: "text", Help: "Empty: the indicator's unit; an ISO 4217 code for money."},
			{Name: "data_types", Label: "Data exposed", Input: "checks", Options: vocab.DataTypes.Values},
			{Name: "certainty", Label: "Certainty", Input: "select", Options: vocab.Certainty.Values, Optional: true},
			{Name: "description", Label: "Description", Input: "textarea"},
			sources,
		}, harm.Get,
			func(ctx context.Context, tx *db.Tx, r *http.Request, h *harm.Harm) error {
				_, err := harm.Save(ctx, tx, h)
				return err
			},
			func(h *harm.Harm) string { return h.ID },
			func(h *harm.Harm) string { return "/incidents/" + h.IncidentID },
			func(r *http.Request, h *harm.Harm) { h.IncidentID = r.URL.Query().Get("incident_id") }),

		formOf("attributions", "attribution", []Field{
			{Name: "incident_id", Label: "Incident", Input: "ref", Resolve: incidentRef, Help: "An incident's id, or leave empty and give a campaign."},
			{Name: "campaign_id", Label: "Campaign", Input: "ref", Resolve: campaignRef},
			{Name: "actor_id", Label: "Actor", Input: "ref", Resolve: actorRef, Help: "A threat actor's name, alias or id."},
			{Name: "attributed_by", Label: "Attributed by", Input: "text", Help: "Who made the attribution: a government, a company, a researcher."},
			{Name: "attributed_on", Label: "Attributed on", Input: "date", Help: dateHelp},
			{Name: "basis", Label: "Basis", Input: "textarea", Help: "On what evidence."},
			{Name: "confidence", Label: "Confidence", Input: "select", Options: vocab.Confidence.Values},
			sources,
		}, trace.GetAttribution,
			func(ctx context.Context, tx *db.Tx, r *http.Request, a *trace.Attribution) error {
				_, err := trace.SaveAttribution(ctx, tx, a)
				return err
			},
			func(a *trace.Attribution) string { return a.ID },
			func(a *trace.Attribution) string {
				if a.IncidentID == "" {
					return "/campaigns/" + a.CampaignID
				}
				return "/incidents/" + a.IncidentID
			},
			func(r *http.Request, a *trace.Attribution) { a.IncidentID = r.URL.Query().Get("incident_id") }),

		formOf("organisations", "organisation", []Field{
			{Name: "name", Label: "Name", Input: "text"},
			{Name: "aliases", Label: "Other names", Input: "list", Help: "One a line."},
			{Name: "kind", Label: "Kind", Input: "select", Options: vocab.OrganisationKinds.Values},
			{Name: "sector", Label: "Sector", Input: "select", Options: vocab.Sectors(), Optional: true},
			{Name: "naics", Label: "NAICS code", Input: "text"},
			{Name: "country", Label: "Country", Input: "text", Help: "ISO 3166-1 alpha-2 code."},
			{Name: "healthcare", Label: "Provides health care", Input: "bool"},
			{Name: "humanitarian", Label: "Humanitarian", Input: "bool"},
			{Name: "civil_society", Label: "Civil society, media or human rights", Input: "bool"},
			{Name: "critical_infrastructure", Label: "Critical infrastructure it runs", Input: "text", Help: "energy, water, …; empty for none."},
			{Name: "description", Label: "Description", Input: "textarea"},
		}, trace.GetOrganisation,
			saveAs(trace.SaveOrganisation),
			func(o *trace.Organisation) string { return o.ID },
			func(o *trace.Organisation) string { return "/work/organisations?saved=" + o.ID },
			nil),

		formOf("sources", "source", []Field{
			{Name: "title", Label: "Title", Input: "text"},
			{Name: "url", Label: "URL", Input: "text"},
			{Name: "publisher", Label: "Publisher", Input: "text"},
			{Name: "published", Label: "Published", Input: "date", Help: dateHelp},
			{Name: "kind", Label: "Kind", Input: "select", Options: vocab.SourceKinds.Values},
			{Name: "reliability", Label: "Reliability of the source (admiralty A–F)", Input: "select", Options: vocab.Reliability.Values,
				Help: "A: completely reliable … E: unreliable; F: cannot be judged."},
			{Name: "credibility", Label: "Credibility of the information (1–6)", Input: "number", Options: []string{"1", "2", "3", "4", "5", "6"},
				Help: "1: confirmed by other sources … 5: improbable; 6: cannot be judged."},
		}, trace.GetSource,
			saveAs(trace.SaveSource),
			func(s *trace.Source) string { return s.ID },
			func(s *trace.Source) string { return "/work/sources?saved=" + s.ID },
			func(r *http.Request, s *trace.Source) { s.Reliability, s.Credibility = "F", 6 }),

		formOf("actors", "threat actor", []Field{
			{Name: "name", Label: "Name", Input: "text"},
			{Name: "aliases", Label: "Aliases", Input: "list", Help: "One a line."},
			{Name: "type", Label: "Type", Input: "select", Options: vocab.ActorTypes.Values},
			{Name: "origin_country", Label: "Origin country", Input: "text", Help: "ISO 3166-1 alpha-2 code; empty when unknown."},
			{Name: "description", Label: "Description", Input: "textarea"},
		}, trace.GetActor,
			saveAs(trace.SaveActor),
			func(a *trace.Actor) string { return a.ID },
			func(a *trace.Actor) string { return "/actors/" + a.ID },
			func(r *http.Request, a *trace.Actor) { a.Type = "unknown" }),

		formOf("campaigns", "campaign", []Field{
			{Name: "name", Label: "Name", Input: "text"},
			{Name: "first_seen", Label: "First seen", Input: "date", Help: dateHelp},
			{Name: "last_seen", Label: "Last seen", Input: "date", Help: dateHelp},
			{Name: "description", Label: "Description", Input: "textarea"},
		}, trace.GetCampaign,
			saveAs(trace.SaveCampaign),
			func(c *trace.Campaign) string { return c.ID },
			func(c *trace.Campaign) string { return "/campaigns/" + c.ID },
			nil),
	}
	out := map[string]*Form{}
	for _, f := range forms {
		f.Fields = append(f.Fields, marking...)
		out[f.Kind] = f
	}
	out["incidents"].Remove = deleteIncident
	out["harms"].Remove = harm.Delete
	out["attributions"].Remove = trace.DeleteAttribution
	return out
}

// deleteIncident deletes an incident after its harms and attributions, so
// that each leaves its last version in the revisions.
func deleteIncident(ctx context.Context, tx *db.Tx, id string) error {
	harms, err := harm.OfIncident(ctx, tx, id)
	if err != nil {
		return err
	}
	for _, h := range harms {
		if err := harm.Delete(ctx, tx, h.ID); err != nil {
			return err
		}
	}
	attrs, err := db.Column[string](ctx, tx, `SELECT id FROM attributions WHERE incident_id = ?`, id)
	if err != nil {
		return err
	}
	for _, a := range attrs {
		if err := trace.DeleteAttribution(ctx, tx, a); err != nil {
			return err
		}
	}
	return trace.DeleteIncident(ctx, tx, id)
}

// saveAs adapts a catalogue record's save function, which needs nothing
// of the request, to a Form.
func saveAs[T any](save func(context.Context, *db.Tx, *T) (revision.Outcome, error)) func(context.Context, *db.Tx, *http.Request, *T) error {
	return func(ctx context.Context, tx *db.Tx, _ *http.Request, rec *T) error {
		_, err := save(ctx, tx, rec)
		return err
	}
}

// resolver turns what a person types into the id of a record of kind that
// the viewer may see: an id as it is, or what find returns for the text.
func resolver(v access.Viewer, kind, idPrefix string,
	find func(context.Context, db.Querier, string) ([]string, error)) func(context.Context, db.Querier, string) (string, error) {
	return func(ctx context.Context, q db.Querier, text string) (string, error) {
		var ids []string
		var err error
		if strings.Contains(text, "--") || find == nil {
			ids = []string{text}
		} else if ids, err = find(ctx, q, text); err != nil {
			return "", err
		}
		var seen []string
		for _, id := range ids {
			ok, err := report.RecordVisible(ctx, q, v, id)
			if err != nil {
				return "", err
			}
			if ok {
				seen = append(seen, id)
			}
		}
		switch {
		case len(seen) == 1:
			return seen[0], nil
		case len(seen) > 1:
			return "", Unresolved(fmt.Sprintf("several %ss match %q: give the id (%s…)", kind, text, idPrefix))
		case strings.Contains(text, "--"):
			return "", Unresolved(fmt.Sprintf("no %s with the id %q", kind, text))
		}
		return "", Unresolved(fmt.Sprintf("no %s matches %q: record it first, or give its id", kind, text))
	}
}

func teamRef(ctx context.Context, q db.Querier, name string) (string, error) {
	return accountRef(account.TeamIDs(ctx, q, []string{name}))
}

func userRef(ctx context.Context, q db.Querier, email string) (string, error) {
	return accountRef(account.UserIDs(ctx, q, []string{email}))
}

// accountRef shows an unknown name next to its field; other errors are
// the store's.
func accountRef(ids []string, err error) (string, error) {
	if errors.Is(err, account.ErrNoSuch) {
		_, msg, _ := strings.Cut(err.Error(), ": ")
		return "", Unresolved(msg)
	}
	if err != nil {
		return "", err
	}
	return ids[0], nil
}
