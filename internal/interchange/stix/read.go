package stix

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// object holds the STIX properties harmtrace reads; the raw body is kept
// beside it so nothing is lost.
type object struct {
	Type               string                     `json:"type"`
	ID                 string                     `json:"id"`
	Created            string                     `json:"created"`
	Modified           string                     `json:"modified"`
	CreatedByRef       string                     `json:"created_by_ref"`
	Name               string                     `json:"name"`
	Description        string                     `json:"description"`
	Aliases            []string                   `json:"aliases"`
	ObjectMarkingRefs  []string                   `json:"object_marking_refs"`
	ExternalReferences []externalReference        `json:"external_references"`
	Confidence         *int                       `json:"confidence"`
	Revoked            bool                       `json:"revoked"`
	IdentityClass      string                     `json:"identity_class"`
	Sectors            []string                   `json:"sectors"`
	Country            string                     `json:"country"`
	ThreatActorTypes   []string                   `json:"threat_actor_types"`
	FirstSeen          string                     `json:"first_seen"`
	LastSeen           string                     `json:"last_seen"`
	RelationshipType   string                     `json:"relationship_type"`
	SourceRef          string                     `json:"source_ref"`
	TargetRef          string                     `json:"target_ref"`
	StartTime          string                     `json:"start_time"`
	EndTime            string                     `json:"end_time"`
	ImpactCategory     string                     `json:"impact_category"`
	ImpactedRefs       []string                   `json:"impacted_refs"`
	DefinitionType     string                     `json:"definition_type"`
	Definition         map[string]json.RawMessage `json:"definition"`
	Extensions         map[string]json.RawMessage `json:"extensions"`
	Role               string                     `json:"x_harmtrace_role"`
	raw                json.RawMessage
}

type externalReference struct {
	SourceName  string `json:"source_name"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
	ExternalID  string `json:"external_id,omitempty"`
}

// harmtraceExtension is harmtrace's property extension: the record as
// harmtrace keeps it, and the sources it cites, so that harmtrace's own
// exports come back without loss.
type harmtraceExtension struct {
	ExtensionType string          `json:"extension_type"`
	Record        json.RawMessage `json:"record"`
	Sources       []trace.Source  `json:"sources,omitempty"`
}

// Options tune a STIX import.
type Options struct {
	// DefaultTLP marks objects that carry no TLP marking.
	DefaultTLP string
}

// reader turns one bundle into a Document.
type reader struct {
	file     string
	opts     Options
	doc      *interchange.Document
	objects  map[string]*object
	tlps     map[string]string // marking-definition id → TLP, from the bundle's own TLP definitions
	bundle   trace.Source      // the bundle itself, cited where an object cites nothing
	usedFile bool
	sources  map[string]bool
	orgs     map[string]int // id → index in doc.Organisations
	incs     map[string]int // id → index in doc.Incidents
	impacts  []*object      // read after every incident is known
	camps    map[string]bool
	actors   map[string]bool
}

// Read decodes a STIX 2.0 or 2.1 bundle.
func Read(data []byte, file string, opts Options) (*interchange.Document, error) {
	var bundle struct {
		Type    string            `json:"type"`
		ID      string            `json:"id"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(data, &bundle); err != nil {
		return nil, fmt.Errorf("%s: not a STIX bundle: %w", file, err)
	}
	if bundle.Type != "bundle" && strings.HasPrefix(bundle.ID, bundle.Type+"--") {
		// A single STIX object: read it as a bundle of one.
		bundle.Objects = []json.RawMessage{data}
		bundle.Type, bundle.ID = "bundle", "bundle--"+strings.TrimPrefix(bundle.ID, bundle.Type+"--")
	}
	if bundle.Type != "bundle" {
		return nil, fmt.Errorf("%s: field \"type\": want \"bundle\", got %q", file, bundle.Type)
	}
	if opts.DefaultTLP == "" {
		opts.DefaultTLP = trace.DefaultTLP
	}
	r := &reader{file: file, opts: opts, doc: &interchange.Document{}, objects: map[string]*object{},
		tlps: map[string]string{}, sources: map[string]bool{}, orgs: map[string]int{},
		incs: map[string]int{}, camps: map[string]bool{}, actors: map[string]bool{}}
	r.bundle = trace.Source{ID: trace.DerivedID("source", "stix-bundle|"+bundle.ID), Kind: "dataset",
		Title: "STIX bundle " + bundle.ID + " (" + filepath.Base(file) + ")"}
	order, err := decodeObjects(bundle.Objects)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	order = newest(order)
	for _, o := range order {
		r.objects[o.ID] = o
	}
	for _, o := range order {
		if o.Type == "marking-definition" {
			r.readMarking(o)
		}
	}
	// Records first, then the relationships that link them.
	for _, o := range order {
		if err := r.readObject(o); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, o.ID, err)
		}
	}
	impactOf := r.impactOwners()
	for _, o := range r.impacts {
		if err := r.readImpact(o, impactOf[o.ID]); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, o.ID, err)
		}
	}
	for _, o := range order {
		if o.Type == "relationship" {
			if err := r.readRelationship(o); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", file, o.ID, err)
			}
		}
	}
	r.finish()
	return r.doc, nil
}

func (r *reader) readMarking(o *object) {
	if t, ok := tlpIDs[o.ID]; ok {
		r.tlps[o.ID] = t
		return
	}
	if raw, ok := o.Extensions[ExtTLP2]; ok {
		var ext struct {
			TLP string `json:"tlp_2_0"`
		}
		if json.Unmarshal(raw, &ext) == nil && ext.TLP != "" {
			r.tlps[o.ID] = strings.ToLower(ext.TLP)
			return
		}
	}
	if o.DefinitionType == "tlp" {
		var t string
		if json.Unmarshal(o.Definition["tlp"], &t) == nil {
			t = strings.ToLower(t)
			if t == "white" {
				t = "clear"
			}
			r.tlps[o.ID] = t
		}
	}
}

// tlpOf returns the most restrictive TLP marking of an object, or the
// default when it carries none.
func (r *reader) tlpOf(o *object) string {
	if t := r.ownTLP(o); t != "" {
		return t
	}
	return r.opts.DefaultTLP
}

// ownTLP returns the most restrictive TLP marking an object carries, ""
// when none: the record made of it then takes its referrers' marking or
// the default (interchange.SettleMarkings).
func (r *reader) ownTLP(o *object) string {
	best := ""
	rank := map[string]int{"clear": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}
	for _, ref := range o.ObjectMarkingRefs {
		if t, ok := r.tlps[ref]; ok {
			if best == "" || rank[t] > rank[best] {
				best = t
			}
		} else if t, ok := tlpIDs[ref]; ok && (best == "" || rank[t] > rank[best]) {
			best = t
		}
	}
	return best
}

// mark makes a record at least as strict as the object it was read from
// (a record from harmtrace's extension carries a marking of its own).
func (r *reader) mark(o *object, m *access.Marking) {
	m.TLP = access.Stricter(m.TLP, r.ownTLP(o))
}

// keep stores the object verbatim; modelled says whether it also became a record.
func (r *reader) keep(o *object, modelled bool) {
	r.doc.Objects = append(r.doc.Objects, interchange.Object{ID: o.ID, Type: o.Type, Modelled: modelled,
		TLP: r.tlpOf(o), Body: o.raw})
}

// decodeObjects decodes a bundle's objects, in order, on every core: a
// bundle can hold tens of thousands of objects that decode independently,
// and decoding is most of the time of reading one. Each keeps its body
// without the whitespace between tokens.
func decodeObjects(raws []json.RawMessage) ([]*object, error) {
	out := make([]*object, len(raws))
	errs := make([]error, len(raws))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(raws); i += workers {
				o := &object{}
				if err := json.Unmarshal(raws[i], o); err != nil {
					errs[i] = err
					continue
				}
				o.raw = compact(raws[i])
				out[i] = o
			}
		})
	}
	wg.Wait()
	for i, o := range out {
		switch {
		case errs[i] != nil:
			return nil, fmt.Errorf("objects[%d]: %w", i, errs[i])
		case o.ID == "" || o.Type == "" || !strings.HasPrefix(o.ID, o.Type+"--"):
			return nil, fmt.Errorf("objects[%d] (%s): field \"id\": %q is not an id of type %q", i, o.ID, o.ID, o.Type)
		}
	}
	return out, nil
}

// newest keeps one version of each object of a bundle, the latest
// modified (else the last given), where the bundle holds several: read in
// turn, each would overwrite the last, and every re-import of the bundle
// would write new revisions.
func newest(order []*object) []*object {
	at := map[string]int{}
	out := order[:0:0]
	for _, o := range order {
		j, seen := at[o.ID]
		switch {
		case !seen:
			at[o.ID] = len(out)
			out = append(out, o)
		case o.Modified >= out[j].Modified:
			out[j] = o
		}
	}
	return out
}

// compact drops the whitespace between the tokens of an object that
// json.Unmarshal has already checked, so it need not check it again as
// json.Compact would (a third of the time of reading a large bundle).
func compact(raw json.RawMessage) json.RawMessage {
	out := make([]byte, 0, len(raw))
	inString, escaped := false, false
	for _, c := range raw {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		}
		out = append(out, c)
	}
	return out
}

func (r *reader) ext(o *object) (*harmtraceExtension, error) {
	raw, ok := o.Extensions[ExtHarmtrace]
	if !ok {
		return nil, nil
	}
	var e harmtraceExtension
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("field \"extensions\": harmtrace extension: %w", err)
	}
	return &e, nil
}

func (r *reader) readObject(o *object) error {
	if tlpIDs[o.ID] != "" || r.tlps[o.ID] != "" || o.ID == ExtHarmtrace || o.ID == harmtraceIdentity {
		return nil // TLP definitions and harmtrace's own are written anew on export
	}
	if o.Revoked {
		r.keep(o, false) // a revoked object stays as history, not as a record
		return nil
	}
	e, err := r.ext(o)
	if err != nil {
		return err
	}
	var modelled bool
	switch o.Type {
	case "identity":
		modelled, err = r.readIdentity(o, e)
	case "threat-actor", "intrusion-set":
		modelled, err = r.readActor(o, e)
	case "campaign":
		modelled, err = r.readCampaign(o, e)
	case "incident":
		modelled, err = r.readIncident(o, e)
	case "impact", "relationship":
		if o.Type == "impact" {
			r.impacts = append(r.impacts, o)
		}
		return nil // read once every record is known
	}
	if err != nil {
		return err
	}
	r.keep(o, modelled)
	return nil
}

func (r *reader) addSources(list []trace.Source) []string {
	var ids []string
	for _, s := range list {
		if !r.sources[s.ID] {
			r.sources[s.ID] = true
			r.doc.Sources = append(r.doc.Sources, s)
		}
		ids = append(ids, s.ID)
	}
	return ids
}

// citations returns the ids of the sources an object cites: its harmtrace
// sources, else its external references, else the bundle itself.
func (r *reader) citations(o *object, e *harmtraceExtension) []string {
	if e != nil && len(e.Sources) > 0 {
		return r.addSources(e.Sources)
	}
	list := sourcesOf(o)
	if len(list) == 0 {
		r.usedFile = true
		return []string{r.bundle.ID}
	}
	return r.addSources(list)
}

// sourcesOf are the sources an object's external references name.
func sourcesOf(o *object) []trace.Source {
	var list []trace.Source
	for _, ref := range o.ExternalReferences {
		if ref.URL == "" && ref.ExternalID == "" && ref.Description == "" {
			continue
		}
		s := trace.Source{URL: ref.URL, Publisher: ref.SourceName, Kind: "threat-report", Title: ref.Description}
		if s.Title == "" {
			s.Title = strings.TrimSpace(ref.SourceName + " " + ref.ExternalID)
		}
		switch {
		case strings.HasPrefix(ref.ExternalID, "source--"):
			s.ID = ref.ExternalID
		case ref.URL != "":
			s.ID = trace.URLSourceID(ref.URL) // the same article in any format is one source
		default:
			s.ID = trace.DerivedID("source", ref.SourceName+"|"+ref.ExternalID+"|"+ref.URL+"|"+ref.Description)
		}
		list = append(list, s)
	}
	return list
}

func (r *reader) readIdentity(o *object, e *harmtraceExtension) (bool, error) {
	org := &trace.Organisation{}
	if e != nil && len(e.Record) > 0 {
		if err := json.Unmarshal(e.Record, org); err != nil {
			return false, fmt.Errorf("harmtrace extension: %w", err)
		}
	} else {
		*org = identityRecord(o)
	}
	org.ID = o.ID
	created(o, &org.Created, &org.Updated)
	r.mark(o, &org.Marking)
	r.doc.Organisations = append(r.doc.Organisations, *org)
	r.orgs[o.ID] = len(r.doc.Organisations) - 1
	return true, nil
}

// identityRecord is the organisation an identity describes. An individual
// stays an individual whatever its sectors; the first sector harmtrace
// knows gives the organisation's sector.
func identityRecord(o *object) trace.Organisation {
	org := trace.Organisation{ID: o.ID, Name: o.Name, Description: o.Description, Kind: "other"}
	switch o.IdentityClass {
	case "individual":
		org.Kind = "individual"
	case "organization":
		org.Kind = "company"
	}
	for _, s := range o.Sectors {
		if misp, ok := sectorMap[s]; ok && org.Sector == "" {
			org.Sector = misp
		}
		if s == "healthcare" {
			org.Healthcare = true
		}
		if org.Kind == "individual" {
			continue
		}
		switch s {
		case "healthcare":
			org.Kind = "healthcare-provider"
		case "non-profit":
			org.Kind = "ngo"
		case "government", "government-national", "government-regional", "government-local":
			org.Kind = "government"
		}
	}
	return org
}

// actorType is harmtrace's type of an actor of the given STIX types: the
// first that harmtrace knows.
func actorType(types []string) string {
	for _, t := range types {
		if mapped, ok := actorTypes[t]; ok {
			return mapped
		}
	}
	return "unknown"
}

// aliasesOf are an object's aliases without its own name.
func aliasesOf(o *object) []string {
	var out []string
	for _, alias := range o.Aliases {
		if alias != o.Name {
			out = append(out, alias)
		}
	}
	return out
}

func (r *reader) readActor(o *object, e *harmtraceExtension) (bool, error) {
	a := trace.Actor{}
	if e != nil && len(e.Record) > 0 {
		if err := json.Unmarshal(e.Record, &a); err != nil {
			return false, fmt.Errorf("harmtrace extension: %w", err)
		}
	} else {
		a.Name, a.Description, a.Type = o.Name, o.Description, actorType(o.ThreatActorTypes)
		a.Aliases = aliasesOf(o)
	}
	a.ID = o.ID
	created(o, &a.Created, &a.Updated)
	r.mark(o, &a.Marking)
	r.doc.Actors = append(r.doc.Actors, a)
	r.actors[o.ID] = true
	return true, nil
}

func (r *reader) readCampaign(o *object, e *harmtraceExtension) (bool, error) {
	c := trace.Campaign{}
	if e != nil && len(e.Record) > 0 {
		if err := json.Unmarshal(e.Record, &c); err != nil {
			return false, fmt.Errorf("harmtrace extension: %w", err)
		}
	} else {
		c.Name, c.Description = o.Name, o.Description
		var err error
		if c.FirstSeen, err = dateOf(o.FirstSeen); err != nil {
			return false, fmt.Errorf("field \"first_seen\": %w", err)
		}
		if c.LastSeen, err = dateOf(o.LastSeen); err != nil {
			return false, fmt.Errorf("field \"last_seen\": %w", err)
		}
	}
	c.ID = o.ID
	created(o, &c.Created, &c.Updated)
	r.mark(o, &c.Marking)
	r.doc.Campaigns = append(r.doc.Campaigns, c)
	r.camps[o.ID] = true
	return true, nil
}

// created gives a record read from o the times o was created and last
// modified, unless the record (from harmtrace's extension) carries its
// own: a record's created is when its author made it, not when harmtrace
// imported it.
func created(o *object, created, updated *time.Time) {
	if !created.IsZero() {
		return
	}
	if c, err := time.Parse(time.RFC3339Nano, o.Created); err == nil {
		*created = c.UTC()
	}
	if m, err := time.Parse(time.RFC3339Nano, o.Modified); err == nil {
		*updated = m.UTC()
	}
}

func dateOf(s string) (trace.Date, error) {
	if s == "" {
		return "", nil
	}
	return trace.ParseDate(s)
}

// iceCore is the part of the Incident Core Extension harmtrace reads.
type iceCore struct {
	Determination string   `json:"determination"`
	IncidentTypes []string `json:"incident_types"`
	ImpactRefs    []string `json:"impact_refs"`
}

func incidentCore(o *object) (iceCore, error) {
	var core iceCore
	if raw, ok := o.Extensions[ExtIncidentCore]; ok {
		if err := json.Unmarshal(raw, &core); err != nil {
			return core, fmt.Errorf("field \"extensions\": incident core extension: %w", err)
		}
	}
	return core, nil
}

// determinationOf maps the Incident Core Extension's determination; an
// incident without one is suspected, and a value the extension does not
// define is an error, not a guess.
func determinationOf(d string) (string, error) {
	if d == "" {
		return "suspected", nil
	}
	if mapped, ok := fromICEDetermination[d]; ok {
		return mapped, nil
	}
	return "", fmt.Errorf("unknown determination %q (want one of blocked, confirmed, failed-attempt, false-positive, suspected)", d)
}

// attackTypesOf reads the attack types of an incident's incident_types,
// else of its name and description.
func attackTypesOf(o *object, types []string) []string {
	var out []string
	for _, t := range types {
		out = append(out, vocab.GuessAttackType(t))
	}
	if len(out) == 0 {
		out = []string{vocab.GuessAttackType(o.Name + " " + o.Description)}
	}
	return out
}

func (r *reader) readIncident(o *object, e *harmtraceExtension) (bool, error) {
	in := &trace.Incident{}
	if e != nil && len(e.Record) > 0 {
		if err := json.Unmarshal(e.Record, in); err != nil {
			return false, fmt.Errorf("harmtrace extension: %w", err)
		}
	} else {
		core, err := incidentCore(o)
		if err != nil {
			return false, err
		}
		in.Title, in.Summary = o.Name, o.Description
		if in.Determination, err = determinationOf(core.Determination); err != nil {
			return false, fmt.Errorf("field \"extensions.%s.determination\": %w", ExtIncidentCore, err)
		}
		in.AttackTypes = attackTypesOf(o, core.IncidentTypes)
	}
	in.ID = o.ID
	created(o, &in.Created, &in.Updated)
	r.mark(o, &in.Marking)
	in.SourceIDs = r.citations(o, e)
	r.doc.Incidents = append(r.doc.Incidents, *in)
	r.incs[o.ID] = len(r.doc.Incidents) - 1
	return true, nil
}
