package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// listFlag is a flag that may be repeated or given comma-separated values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// optionalInt is an integer flag that knows whether it was given.
type optionalInt struct{ v *int64 }

func (o *optionalInt) String() string {
	if o.v == nil {
		return ""
	}
	return strconv.FormatInt(*o.v, 10)
}
func (o *optionalInt) Set(s string) error {
	n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	o.v = &n
	return nil
}

// addKinds builds the record of each kind from its flags; save stores it.
var addKinds = map[string]func(fs *flag.FlagSet) (save func(ctx context.Context, tx *db.Tx) (string, error)){
	"organisation": addOrganisation,
	"source":       addSource,
	"actor":        addActor,
	"campaign":     addCampaign,
	"incident":     addIncident,
	"harm":         addHarm,
	"attribution":  addAttribution,
}

func runAdd(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || addKinds[args[0]] == nil {
		return fmt.Errorf("%w: harmtrace add incident|organisation|actor|campaign|source|harm|attribution [flags] (-h for flags)", errUsage)
	}
	kind := args[0]
	fs := newFlags(env, "add "+kind, "")
	reason := fs.String("reason", "", "why the record is added (kept in its revision)")
	save := addKinds[kind](fs)
	rest, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	var id string
	err = store.Write(ctx, author(*reason), func(tx *db.Tx) error {
		id, err = save(ctx, tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s not added: %w", kind, err)
	}
	fmt.Fprintln(env.Stdout, id)
	return nil
}

func addOrganisation(fs *flag.FlagSet) func(context.Context, *db.Tx) (string, error) {
	o := &trace.Organisation{}
	var aliases listFlag
	fs.StringVar(&o.Name, "name", "", "name (required)")
	fs.Var(&aliases, "alias", "another name (repeatable)")
	fs.StringVar(&o.Kind, "kind", "", "ngo, humanitarian, healthcare-provider, government, company, … (required)")
	fs.StringVar(&o.Sector, "sector", "", "sector, as in the MISP sector galaxy (Health, NGO, Water, …)")
	fs.StringVar(&o.NAICS, "naics", "", "NAICS code")
	fs.StringVar(&o.Country, "country", "", "ISO 3166-1 alpha-2 country code")
	fs.BoolVar(&o.Humanitarian, "humanitarian", false, "a humanitarian organisation")
	fs.BoolVar(&o.Healthcare, "healthcare", false, "provides health care")
	fs.StringVar(&o.CriticalInfrastructure, "critical-infrastructure", "", "type of critical infrastructure it runs")
	fs.BoolVar(&o.CivilSociety, "civil-society", false, "civil society, media or human-rights organisation")
	fs.StringVar(&o.Description, "description", "", "description")
	return func(ctx context.Context, tx *db.Tx) (string, error) {
		o.Aliases = aliases
		_, err := trace.SaveOrganisation(ctx, tx, o)
		return o.ID, err
	}
}

func addSource(fs *flag.FlagSet) func(context.Context, *db.Tx) (string, error) {
	s := &trace.Source{}
	var published string
	fs.StringVar(&s.URL, "url", "", "URL")
	fs.StringVar(&s.Title, "title", "", "title (default: the URL)")
	fs.StringVar(&s.Publisher, "publisher", "", "publisher")
	fs.StringVar(&published, "published", "", "publication date YYYY[-MM[-DD]]")
	fs.StringVar(&s.Kind, "kind", "", "news, official-statement, threat-report, victim-statement, attacker-claim, dataset (required)")
	fs.StringVar(&s.Reliability, "reliability", "", "admiralty source reliability A–F (default F)")
	fs.IntVar(&s.Credibility, "credibility", 0, "admiralty information credibility 1–6 (default 6)")
	return func(ctx context.Context, tx *db.Tx) (string, error) {
		s.Published = trace.Date(published)
		_, err := trace.SaveSource(ctx, tx, s)
		return s.ID, err
	}
}

func addActor(fs *flag.FlagSet) func(context.Context, *db.Tx) (string, error) {
	a := &trace.Actor{}
	var aliases listFlag
	fs.StringVar(&a.Name, "name", "", "name (required)")
	fs.Var(&aliases, "alias", "another name (repeatable)")
	fs.StringVar(&a.Type, "type", "unknown", "state, state-affiliated, hacktivist, criminal, unknown")
	fs.StringVar(&a.OriginCountry, "origin", "", "country of origin, ISO alpha-2")
	fs.StringVar(&a.Description, "description", "", "description")
	return func(ctx context.Context, tx *db.Tx) (string, error) {
		a.Aliases = aliases
		_, err := trace.SaveActor(ctx, tx, a)
		return a.ID, err
	}
}

func addCampaign(fs *flag.FlagSet) func(context.Context, *db.Tx) (string, error) {
	c := &trace.Campaign{}
	var first, last string
	fs.StringVar(&c.Name, "name", "", "name (required)")
	fs.StringVar(&first, "first-seen", "", "start of the campaign YYYY[-MM[-DD]]")
	fs.StringVar(&last, "last-seen", "", "end of the campaign YYYY[-MM[-DD]]")
	fs.StringVar(&c.Description, "description", "", "description")
	return func(ctx context.Context, tx *db.Tx) (string, error) {
		c.FirstSeen, c.LastSeen = trace.Date(first), trace.Date(last)
		_, err := trace.SaveCampaign(ctx, tx, c)
		return c.ID, err
	}
}

func addIncident(fs *flag.FlagSet) func(context.Context, *db.Tx) (string, error) {
	in := &trace.Incident{}
	var attackTypes, victims, countries, articles, sources listFlag
	var start, end, discovered, disclosed, campaign string
	fs.StringVar(&in.Title, "title", "", "title (required)")
	fs.StringVar(&in.Summary, "summary", "", "summary")
	fs.Var(&attackTypes, "attack-type", "ransomware, ddos, data-breach, … (repeatable; at least one)")
	fs.StringVar(&in.Determination, "determination", "suspected", "claimed, suspected, confirmed, false-positive")
	fs.StringVar(&start, "start", "", "start date YYYY[-MM[-DD]]")
	fs.StringVar(&end, "end", "", "end date")
	fs.StringVar(&discovered, "discovered", "", "discovery date")
	fs.StringVar(&disclosed, "disclosed", "", "disclosure date")
	fs.Var(&victims, "victim", "victim organisation id, optionally id:role (repeatable)")
	fs.Var(&countries, "country", "country affected, ISO alpha-2 (repeatable)")
	fs.StringVar(&campaign, "campaign", "", "campaign id or exact name")
	fs.StringVar(&in.TLP, "tlp", trace.DefaultTLP, "marking: clear, green, amber, amber+strict, red")
	fs.Var(&articles, "article", "UN Convention against Cybercrime offence article 7–17 (repeatable)")
	fs.Var(&sources, "source", "source id (repeatable; at least one)")
	return func(ctx context.Context, tx *db.Tx) (string, error) {
		in.AttackTypes, in.Countries, in.SourceIDs = attackTypes, countries, sources
		in.Start, in.End, in.Discovered, in.Disclosed = trace.Date(start), trace.Date(end), trace.Date(discovered), trace.Date(disclosed)
		for _, v := range victims {
			id, role, _ := strings.Cut(v, ":")
			in.Victims = append(in.Victims, trace.Victim{OrganisationID: id, Role: role})
		}
		for _, a := range articles {
			n, err := strconv.Atoi(a)
			if err != nil {
				return "", fmt.Errorf("--article %q is not an article number", a)
			}
			in.Articles = append(in.Articles, n)
		}
		if campaign != "" && !strings.HasPrefix(campaign, "campaign--") {
			id, err := trace.FindCampaignByName(ctx, tx, campaign)
			if err != nil || id == "" {
				return "", fmt.Errorf("--campaign: no campaign named %q", campaign)
			}
			campaign = id
		}
		in.CampaignID = campaign
		_, err := trace.SaveIncident(ctx, tx, in)
		return in.ID, err
	}
}

func addHarm(fs *flag.FlagSet) func(context.Context, *db.Tx) (string, error) {
	h := &harm.Harm{}
	var lo, hi, exact optionalInt
	var dataTypes, sources listFlag
	fs.StringVar(&h.IncidentID, "incident", "", "incident id (required)")
	fs.StringVar(&h.OrganisationID, "victim", "", "victim organisation id, when the figure is for one victim")
	fs.StringVar(&h.Indicator, "indicator", "", "records-exposed, people-affected, patients-affected, service-disruption-days, … (required)")
	fs.StringVar(&h.Category, "category", "", "harm category (default: the indicator's)")
	fs.Var(&exact, "value", "the exact figure")
	fs.Var(&lo, "min", "lower bound")
	fs.Var(&hi, "max", "upper bound")
	fs.StringVar(&h.Unit, "unit", "", "unit (default: the indicator's; a currency code for money)")
	fs.Var(&dataTypes, "data-type", "health, personal, credentials, financial, … (repeatable)")
	fs.StringVar(&h.Certainty, "certainty", "reported", "confirmed, reported, claimed, estimated")
	fs.StringVar(&h.Description, "description", "", "description")
	fs.Var(&sources, "source", "source id (repeatable; at least one)")
	return func(ctx context.Context, tx *db.Tx) (string, error) {
		h.Min, h.Max = lo.v, hi.v
		if exact.v != nil {
			if lo.v != nil || hi.v != nil {
				return "", fmt.Errorf("give --value or --min/--max, not both")
			}
			h.Min, h.Max = exact.v, exact.v
		}
		h.DataTypes, h.SourceIDs = dataTypes, sources
		_, err := harm.Save(ctx, tx, h)
		return h.ID, err
	}
}

func addAttribution(fs *flag.FlagSet) func(context.Context, *db.Tx) (string, error) {
	a := &trace.Attribution{}
	var on string
	var sources listFlag
	fs.StringVar(&a.IncidentID, "incident", "", "incident id (or --campaign)")
	fs.StringVar(&a.CampaignID, "campaign", "", "campaign id (or --incident)")
	fs.StringVar(&a.ActorID, "actor", "", "actor id (required)")
	fs.StringVar(&a.AttributedBy, "by", "", "who made the attribution (required)")
	fs.StringVar(&on, "on", "", "date of the attribution")
	fs.StringVar(&a.Basis, "basis", "", "on what basis")
	fs.StringVar(&a.Confidence, "confidence", "", "almost-certain, very-likely, likely, roughly-even-chance, unlikely, … (required)")
	fs.Var(&sources, "source", "source id (repeatable; at least one)")
	return func(ctx context.Context, tx *db.Tx) (string, error) {
		a.AttributedOn, a.SourceIDs = trace.Date(on), sources
		_, err := trace.SaveAttribution(ctx, tx, a)
		return a.ID, err
	}
}
