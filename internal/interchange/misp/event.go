package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

type event struct {
	UUID string `json:"uuid"`
	Info string `json:"info"`
	Date string `json:"date"`
	Orgc struct {
		Name string `json:"name"`
	} `json:"Orgc"`
	Tag    []tag `json:"Tag"`
	Galaxy []struct {
		Type          string    `json:"type"`
		GalaxyCluster []cluster `json:"GalaxyCluster"`
	} `json:"Galaxy"`
	Object []struct {
		Name      string      `json:"name"`
		Attribute []attribute `json:"Attribute"`
	} `json:"Object"`
	Attribute []attribute `json:"Attribute"`
}

type tag struct {
	Name string `json:"name"`
}

type attribute struct {
	ObjectRelation string `json:"object_relation"`
	Type           string `json:"type"`
	Value          string `json:"value"`
}

// DetectEvent reports whether data is a MISP event.
func DetectEvent(data []byte) bool {
	head := data[:min(len(data), 4096)]
	return bytes.Contains(head, []byte(`"Event"`)) ||
		(bytes.Contains(data, []byte(`"info"`)) && bytes.Contains(data, []byte(`"threat_level_id"`)))
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ReadEvent reads one MISP event. The event always becomes a report: a
// source, with its indicators, tags and galaxies kept whole in an
// x-misp-event STIX object, and its threat actors as actors. It also
// becomes an incident only when it describes an attack on a victim: a
// "victim" object, or target sector or country tags. defaultTLP marks
// events without a tlp tag.
func ReadEvent(data []byte, file, defaultTLP string) (*interchange.Document, error) {
	var wrapped struct {
		Event json.RawMessage `json:"Event"`
	}
	body := data
	if json.Unmarshal(data, &wrapped) == nil && len(wrapped.Event) > 0 {
		body = wrapped.Event
	}
	var e event
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if !uuidPattern.MatchString(e.UUID) {
		return nil, fmt.Errorf("%s: event %q: field \"uuid\": %q is not a UUID", file, e.Info, e.UUID)
	}
	uuid := strings.ToLower(e.UUID)
	published, _ := trace.ParseDate(e.Date)
	tlp := tlpOf(e.Tag, defaultTLP)
	reliability, credibility := admiralty(e.Tag)
	// Every record read from the event carries the event's marking.
	src := trace.Source{ID: "source--" + uuid, Title: e.Info, Publisher: e.Orgc.Name, Published: published,
		Kind: "threat-report", Reliability: reliability, Credibility: credibility, TLP: tlp}
	doc := &interchange.Document{Sources: []trace.Source{src}}
	kept, err := keptEvent(body, uuid, e, tlp)
	if err != nil {
		return nil, fmt.Errorf("%s: event %s: %w", file, e.UUID, err)
	}
	doc.Objects = kept
	for _, g := range e.Galaxy {
		if g.Type != "threat-actor" && g.Type != "mitre-intrusion-set" {
			continue
		}
		for _, c := range g.GalaxyCluster {
			a, err := actorOf(c, g.Type)
			if err != nil {
				return nil, fmt.Errorf("%s: event %s: galaxy cluster %q: %w", file, e.UUID, c.Value, err)
			}
			a.TLP = tlp
			doc.Actors = append(doc.Actors, a)
		}
	}
	if in, ok := incidentOf(e, uuid, tlp, doc); ok {
		in.SourceIDs = []string{src.ID}
		doc.Incidents = append(doc.Incidents, in)
		for _, a := range doc.Actors {
			doc.Attributions = append(doc.Attributions, trace.Attribution{
				ID: trace.DerivedID("relationship", "misp|"+uuid+"|"+a.ID), IncidentID: in.ID, ActorID: a.ID,
				AttributedBy: orDefault(e.Orgc.Name, "MISP event author"), AttributedOn: published,
				Basis: "threat-actor galaxy of MISP event " + e.UUID, Confidence: "unknown", SourceIDs: []string{src.ID}, TLP: tlp})
		}
	}
	return doc, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// keptEvent keeps the whole event as a custom STIX object and a report
// that points to it, so a STIX export gives the indicators back.
func keptEvent(body []byte, uuid string, e event, tlp string) ([]interchange.Object, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		return nil, err
	}
	created := e.Date + "T00:00:00.000Z"
	if _, err := trace.ParseDate(e.Date); err != nil || len(e.Date) != 10 {
		created = "2000-01-01T00:00:00.000Z"
	}
	eventID := "x-misp-event--" + uuid
	raw, err := json.Marshal(map[string]any{"type": "x-misp-event", "spec_version": "2.1", "id": eventID,
		"created": created, "modified": created, "name": e.Info, "x_misp_event": json.RawMessage(compact.Bytes())})
	if err != nil {
		return nil, err
	}
	report, err := json.Marshal(map[string]any{"type": "report", "spec_version": "2.1", "id": "report--" + uuid,
		"created": created, "modified": created, "name": e.Info, "published": created, "report_types": []string{"threat-report"},
		"object_refs": []string{eventID}})
	if err != nil {
		return nil, err
	}
	return []interchange.Object{
		{ID: eventID, Type: "x-misp-event", TLP: tlp, Body: raw},
		{ID: "report--" + uuid, Type: "report", TLP: tlp, Body: report},
	}, nil
}

func tlpOf(tags []tag, def string) string {
	for _, t := range tags {
		name := strings.ToLower(t.Name)
		if v, ok := strings.CutPrefix(name, "tlp:"); ok {
			if v == "white" {
				v = "clear"
			}
			if vocab.TLP.Has(v) {
				return v
			}
		}
	}
	return def
}

// admiralty reads the admiralty-scale tags of an event.
func admiralty(tags []tag) (string, int) {
	reliability, credibility := "", 0
	for _, t := range tags {
		if v, ok := strings.CutPrefix(t.Name, `admiralty-scale:source-reliability="`); ok {
			reliability = strings.ToUpper(strings.TrimSuffix(v, `"`))
		}
		if v, ok := strings.CutPrefix(t.Name, `admiralty-scale:information-credibility="`); ok {
			fmt.Sscanf(strings.TrimSuffix(v, `"`), "%d", &credibility)
		}
	}
	if !vocab.Reliability.Has(reliability) {
		reliability = ""
	}
	return reliability, credibility
}
