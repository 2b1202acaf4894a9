package web

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/interchange/stix"
	"github.com/harmtrace/harmtrace/internal/report"
)

// A read-only TAXII 2.1 server (OASIS TAXII 2.1, sections 4 and 5), so
// that threat-intelligence platforms can pull harmtrace's incidents as
// STIX 2.1. It has one API root and one collection: the incidents the
// caller may see, with their victims, harm figures, attributions, actors,
// campaigns and sources, as the STIX download writes them. The public
// gets what is marked clear; a signed-in user or an API token gets what
// its markings allow (internal/access). Objects carry no separate date of
// addition: their "modified" time stands for it.

const (
	taxiiMedia     = "application/taxii+json;version=2.1"
	stixMedia      = "application/stix+json;version=2.1"
	taxiiRoot      = "/taxii2/api/"
	taxiiPageLimit = 1000
)

// taxiiCollection is the one collection; its id is fixed so that clients
// can keep it.
var taxiiCollection = map[string]any{
	"id": "4b1e2c0a-6d0f-5f7e-9a51-2f6c3e8d1a40", "title": "Incidents",
	"description": "Cyber incidents against vulnerable organisations, their harm to people, attributions and sources (harmtrace)",
	"can_read":    true, "can_write": false, "media_types": []string{stixMedia},
}

func (s *Server) routeTAXII(mux *router) {
	id := taxiiCollection["id"].(string)
	col := taxiiRoot + "collections/" + id + "/"
	for pattern, h := range map[string]func(http.ResponseWriter, *http.Request) error{
		"GET /taxii2/{$}":          s.taxiiDiscovery,
		"GET " + taxiiRoot + "{$}": s.taxiiAPIRoot,
		"GET " + taxiiRoot + "collections/{$}": func(w http.ResponseWriter, r *http.Request) error {
			return writeTAXII(w, http.StatusOK, map[string]any{"collections": []any{taxiiCollection}})
		},
		"GET " + col + "{$}": func(w http.ResponseWriter, r *http.Request) error {
			return writeTAXII(w, http.StatusOK, taxiiCollection)
		},
		"GET " + col + "objects/{$}":                   s.taxiiObjects,
		"GET " + col + "objects/{object}/{$}":          s.taxiiObjects,
		"GET " + col + "objects/{object}/versions/{$}": s.taxiiVersions,
		"GET " + col + "manifest/{$}":                  s.taxiiManifest,
	} {
		mux.Handle(pattern, s.handle(acceptsTAXII(h)))
	}
	mux.Handle("/taxii2/", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return taxiiError(w, http.StatusNotFound, "Not found", "no such TAXII resource; start at /taxii2/")
	}))
}

// acceptsTAXII answers 406 to a client that accepts neither TAXII 2.1 nor
// anything.
func acceptsTAXII(h func(http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		accept := strings.ReplaceAll(r.Header.Get("Accept"), " ", "")
		if accept != "" && !strings.Contains(accept, "application/taxii+json") && !strings.Contains(accept, "*/*") {
			return taxiiError(w, http.StatusNotAcceptable, "Not acceptable", "this server answers "+taxiiMedia)
		}
		return h(w, r)
	}
}

func writeTAXII(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", taxiiMedia)
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// taxiiError is the TAXII error message resource.
func taxiiError(w http.ResponseWriter, status int, title, description string) error {
	return writeTAXII(w, status, map[string]any{"title": title, "description": description, "http_status": strconv.Itoa(status)})
}

// taxiiDiscovery names the API root by its path, which clients resolve
// against the discovery URL they asked: built from the Host header, which
// the client chooses, the URL could point TAXII clients (and their
// tokens) at another server.
func (s *Server) taxiiDiscovery(w http.ResponseWriter, r *http.Request) error {
	return writeTAXII(w, http.StatusOK, map[string]any{"title": "harmtrace",
		"description": "Cyber incidents against vulnerable organisations and their harm to people, as STIX 2.1",
		"default":     taxiiRoot, "api_roots": []string{taxiiRoot}})
}

func (s *Server) taxiiAPIRoot(w http.ResponseWriter, r *http.Request) error {
	return writeTAXII(w, http.StatusOK, map[string]any{"title": "harmtrace incidents", "versions": []string{taxiiMedia},
		"max_content_length": 0})
}

// stixObject is an object of the collection with what the filters need.
type stixObject struct {
	ID, Type, SpecVersion, Modified string
	Body                            json.RawMessage
}

// visibleObjects returns the caller's objects, kept per viewer until the
// store changes.
func (s *Server) visibleObjects(r *http.Request) ([]stixObject, error) {
	return s.collections.get(r.Context(), s, *accessOf(r), func() ([]stixObject, error) { return s.writeObjects(r) })
}

// writeObjects writes the caller's incidents as the STIX download does
// and returns the objects, oldest modification first.
func (s *Server) writeObjects(r *http.Request) ([]stixObject, error) {
	f := report.Filter{Viewer: accessOf(r)}
	ids, err := s.index.IncidentIDs(r.Context(), s.store, f)
	if err != nil {
		return nil, err
	}
	doc, err := interchange.LoadIncidents(r.Context(), s.store, exportScope(r), ids)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := stix.Write(&buf, doc, exportTLP(r)); err != nil {
		return nil, err
	}
	var bundle struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(buf.Bytes(), &bundle); err != nil {
		return nil, err
	}
	out := make([]stixObject, 0, len(bundle.Objects))
	for _, raw := range bundle.Objects {
		var head struct {
			ID, Type, Created, Modified string
			SpecVersion                 string `json:"spec_version"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, err
		}
		out = append(out, stixObject{head.ID, head.Type, head.SpecVersion, cmp.Or(head.Modified, head.Created), raw})
	}
	slices.SortStableFunc(out, func(a, b stixObject) int { return cmp.Or(cmp.Compare(a.Modified, b.Modified), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// taxiiFilter is a request's filters and page (TAXII 2.1 section 3.4).
type taxiiFilter struct {
	addedAfter        time.Time
	ids, types, specs []string
	version           string
	limit, offset     int
	wantOneObject     string
}

func filterOfTAXII(r *http.Request) (taxiiFilter, error) {
	q := r.URL.Query()
	f := taxiiFilter{limit: taxiiPageLimit, version: cmp.Or(q.Get("match[version]"), "last"), wantOneObject: r.PathValue("object")}
	split := func(k string) []string {
		if v := q.Get(k); v != "" {
			return strings.Split(v, ",")
		}
		return nil
	}
	f.ids, f.types, f.specs = split("match[id]"), split("match[type]"), split("match[spec_version]")
	if v := q.Get("added_after"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return f, fmt.Errorf("added_after: %q is not a timestamp", v)
		}
		f.addedAfter = t
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return f, fmt.Errorf("limit: %q is not a positive number", v)
		}
		f.limit = min(n, taxiiPageLimit)
	}
	if v := q.Get("next"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return f, fmt.Errorf("next: %q is not a page of this server", v)
		}
		f.offset = n
	}
	return f, nil
}

func (f taxiiFilter) keeps(o stixObject) bool {
	if f.wantOneObject != "" && o.ID != f.wantOneObject {
		return false
	}
	if !f.addedAfter.IsZero() {
		t, err := time.Parse(time.RFC3339Nano, o.Modified)
		if err != nil || !t.After(f.addedAfter) {
			return false
		}
	}
	switch f.version {
	case "last", "first", "all": // one version of each object is kept
	default:
		if f.version != o.Modified {
			return false
		}
	}
	return (f.ids == nil || slices.Contains(f.ids, o.ID)) && (f.types == nil || slices.Contains(f.types, o.Type)) &&
		(f.specs == nil || slices.Contains(f.specs, cmp.Or(o.SpecVersion, "2.1")))
}

// page selects the filtered objects of one page and tells whether more follow.
func (s *Server) taxiiPage(w http.ResponseWriter, r *http.Request) (page []stixObject, more bool, next string, ok bool, err error) {
	f, ferr := filterOfTAXII(r)
	if ferr != nil {
		return nil, false, "", false, taxiiError(w, http.StatusBadRequest, "Bad filter", ferr.Error())
	}
	all, err := s.visibleObjects(r)
	if err != nil {
		return nil, false, "", false, err
	}
	var kept []stixObject
	for _, o := range all {
		if f.keeps(o) {
			kept = append(kept, o)
		}
	}
	if f.wantOneObject != "" && len(kept) == 0 {
		return nil, false, "", false, taxiiError(w, http.StatusNotFound, "Not found", "no such object in this collection")
	}
	end := min(f.offset+f.limit, len(kept))
	if f.offset < len(kept) {
		page = kept[f.offset:end]
	}
	if end < len(kept) {
		more, next = true, strconv.Itoa(end)
	}
	if len(page) > 0 {
		w.Header().Set("X-TAXII-Date-Added-First", page[0].Modified)
		w.Header().Set("X-TAXII-Date-Added-Last", page[len(page)-1].Modified)
	}
	return page, more, next, true, nil
}

func (s *Server) taxiiObjects(w http.ResponseWriter, r *http.Request) error {
	page, more, next, ok, err := s.taxiiPage(w, r)
	if !ok {
		return err
	}
	objects := make([]json.RawMessage, len(page))
	for i, o := range page {
		objects[i] = o.Body
	}
	return writeTAXII(w, http.StatusOK, envelope(more, next, "objects", objects))
}

func (s *Server) taxiiManifest(w http.ResponseWriter, r *http.Request) error {
	page, more, next, ok, err := s.taxiiPage(w, r)
	if !ok {
		return err
	}
	records := make([]map[string]string, len(page))
	for i, o := range page {
		records[i] = map[string]string{"id": o.ID, "date_added": o.Modified, "version": o.Modified, "media_type": stixMedia}
	}
	return writeTAXII(w, http.StatusOK, envelope(more, next, "objects", records))
}

func (s *Server) taxiiVersions(w http.ResponseWriter, r *http.Request) error {
	page, more, next, ok, err := s.taxiiPage(w, r)
	if !ok {
		return err
	}
	versions := make([]string, len(page))
	for i, o := range page {
		versions[i] = o.Modified
	}
	return writeTAXII(w, http.StatusOK, envelope(more, next, "versions", versions))
}

func envelope(more bool, next, key string, list any) map[string]any {
	out := map[string]any{"more": more, key: list}
	if next != "" {
		out["next"] = next
	}
	return out
}
