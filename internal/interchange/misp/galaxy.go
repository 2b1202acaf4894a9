// Package misp reads MISP event JSON (with or without its "Event" wrapper)
// and MISP galaxy cluster files such as the threat-actor catalogue.
package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// cluster is one value of a MISP galaxy.
type cluster struct {
	Value       string          `json:"value"`
	UUID        string          `json:"uuid"`
	Description string          `json:"description"`
	Meta        json.RawMessage `json:"meta"`
}

type clusterMeta struct {
	Synonyms     []string `json:"synonyms"`
	Country      any      `json:"country"`
	StateSponsor any      `json:"cfr-suspected-state-sponsor"`
	Incident     any      `json:"cfr-type-of-incident"`
}

// DetectGalaxy reports whether data is a galaxy cluster file.
func DetectGalaxy(data []byte) bool {
	var probe struct {
		Type   string            `json:"type"`
		Values []json.RawMessage `json:"values"`
		UUID   string            `json:"uuid"`
	}
	return json.Unmarshal(data, &probe) == nil && probe.Type != "" && probe.UUID != "" && len(probe.Values) > 0 &&
		!bytes.Contains(data[:min(len(data), 200)], []byte(`"spec_version"`))
}

// ReadGalaxy reads the threat actors of a galaxy cluster file: names,
// aliases from meta.synonyms, origin from meta.country.
func ReadGalaxy(data []byte, file string, sum *interchange.Summary) (*interchange.Document, error) {
	var g struct {
		Type   string    `json:"type"`
		Values []cluster `json:"values"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if g.Type != "threat-actor" && g.Type != "mitre-intrusion-set" {
		return nil, fmt.Errorf("%s: field \"type\": galaxy %q holds no threat actors (want threat-actor or mitre-intrusion-set)", file, g.Type)
	}
	doc := &interchange.Document{}
	seen := map[string]bool{}
	for i, c := range g.Values {
		a, err := actorOf(c, g.Type)
		if err != nil {
			return nil, fmt.Errorf("%s: values[%d] (%s): %w", file, i, c.Value, err)
		}
		if seen[a.ID] {
			sum.Warn("%s: values[%d] (%s): uuid %s repeats an earlier value; kept the first", file, i, c.Value, c.UUID)
			continue
		}
		seen[a.ID] = true
		doc.Actors = append(doc.Actors, a)
	}
	return doc, nil
}

func actorOf(c cluster, galaxy string) (trace.Actor, error) {
	var meta clusterMeta
	if len(c.Meta) > 0 {
		if err := json.Unmarshal(c.Meta, &meta); err != nil {
			return trace.Actor{}, fmt.Errorf("field \"meta\": %w", err)
		}
	}
	prefix := "threat-actor"
	name := c.Value
	if galaxy == "mitre-intrusion-set" {
		prefix = "intrusion-set"
		name, _, _ = strings.Cut(name, " - ")
	}
	if strings.TrimSpace(name) == "" {
		return trace.Actor{}, fmt.Errorf("field \"value\": is empty")
	}
	// A cluster copied into an event may lack its uuid: its name then
	// gives a stable id.
	id := prefix + "--" + strings.ToLower(c.UUID)
	if c.UUID == "" {
		id = trace.DerivedID(prefix, "misp|"+trace.NameKey(name))
	}
	a := trace.Actor{ID: id, Name: name, Description: c.Description, Type: "unknown"}
	for _, s := range meta.Synonyms {
		if s != name {
			a.Aliases = append(a.Aliases, s)
		}
	}
	if country, ok := meta.Country.(string); ok {
		if _, known := vocab.LookupCountry(country); known {
			a.OriginCountry = strings.ToUpper(country)
		}
	}
	if meta.StateSponsor != nil {
		a.Type = "state-affiliated"
	}
	return a, nil
}
