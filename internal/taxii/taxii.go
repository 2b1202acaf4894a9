// Package taxii is a read-only TAXII 2.1 server (OASIS TAXII 2.1, sections
// 4 and 5), so that threat-intelligence platforms can pull harmtrace's
// incidents as STIX 2.1. It has one API root and one collection: the
// incidents the caller may see, with their victims, harm figures,
// attributions, actors, campaigns and sources, as the STIX download writes
// them. The public gets what is marked clear; a signed-in user or an API
// token gets what its markings allow (internal/access). Objects carry no
// separate date of addition: their "modified" time stands for it.
package taxii

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/interchange/stix"
	"github.com/harmtrace/harmtrace/internal/report"
)

const (
	// MediaType is the media type of every TAXII answer.
	MediaType = "application/taxii+json;version=2.1"
	root      = "/taxii2/api/"
	pageLimit = 1000
)

// Server serves the TAXII routes.
type Server struct {
	log   *slog.Logger
	store *db.DB
	index *report.Index
	// collections keep each viewer's collection until the store changes:
	// a client pages through one with many requests, and writing it is
	// most of the work of each.
	collections *httpkit.UntilChange[access.Viewer, []object]
}

// New returns the TAXII surface of store, whose incidents index selects
// (store nil: the routes only).
func New(log *slog.Logger, store *db.DB, index *report.Index) *Server {
	return &Server{log: log, store: store, index: index, collections: httpkit.NewUntilChange[access.Viewer, []object](64)}
}

// collection is the one collection; its id is fixed so that clients
// can keep it.
var collection = map[string]any{
	"id": "4b1e2c0a-6d0f-5f7e-9a51-2f6c3e8d1a40", "title": "Incidents",
	"description": "Cyber incidents against vulnerable organisations, their harm to people, attributions and sources (harmtrace)",
	"can_read":    true, "can_write": false, "media_types": []string{stix.MediaType},
}

// Routes registers the TAXII routes; every other path under /taxii2/ is
// answered with a TAXII 404.
func (s *Server) Routes(mux httpkit.Router) {
	id := collection["id"].(string)
	col := root + "collections/" + id + "/"
	for pattern, h := range map[string]httpkit.HandlerFunc{
		"GET /taxii2/{$}":     s.discovery,
		"GET " + root + "{$}": s.apiRoot,
		"GET " + root + "collections/{$}": func(w http.ResponseWriter, r *http.Request) error {
			return write(w, http.StatusOK, map[string]any{"collections": []any{collection}})
		},
		"GET " + col + "{$}": func(w http.ResponseWriter, r *http.Request) error {
			return write(w, http.StatusOK, collection)
		},
		"GET " + col + "objects/{$}":                   s.objects,
		"GET " + col + "objects/{object}/{$}":          s.objects,
		"GET " + col + "objects/{object}/versions/{$}": s.versions,
		"GET " + col + "manifest/{$}":                  s.manifest,
	} {
		mux.Handle(pattern, httpkit.Handle(s.log, acceptsTAXII(h)))
	}
	mux.Handle("/taxii2/", httpkit.Handle(s.log, func(w http.ResponseWriter, r *http.Request) error {
		return Error(w, http.StatusNotFound, "Not found", "no such TAXII resource; start at /taxii2/")
	}))
}

// acceptsTAXII answers 406 to a client that accepts neither TAXII 2.1 nor
// anything.
func acceptsTAXII(h httpkit.HandlerFunc) httpkit.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		accept := strings.ReplaceAll(r.Header.Get("Accept"), " ", "")
		if accept != "" && !strings.Contains(accept, "application/taxii+json") && !strings.Contains(accept, "*/*") {
			return Error(w, http.StatusNotAcceptable, "Not acceptable", "this server answers "+MediaType)
		}
		return h(w, r)
	}
}

func write(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// Unauthorized answers 401 to credentials that name no user, as TAXII
// clients read it: clients that speak only Basic send an API token as the
// password, so both schemes are offered.
func Unauthorized(w http.ResponseWriter, message string) error {
	w.Header().Add("WWW-Authenticate", `Bearer realm="harmtrace", error="invalid_token"`)
	w.Header().Add("WWW-Authenticate", `Basic realm="harmtrace", charset="UTF-8"`)
	return write(w, http.StatusUnauthorized, map[string]any{"title": "Unauthorized", "description": message,
		"http_status": "401", "code": "unauthenticated"})
}

// Error answers the TAXII error message resource.
func Error(w http.ResponseWriter, status int, title, description string) error {
	return write(w, status, map[string]any{"title": title, "description": description, "http_status": strconv.Itoa(status)})
}

// discovery names the API root by its path, which clients resolve
// against the discovery URL they asked: built from the Host header, which
// the client chooses, the URL could point TAXII clients (and their
// tokens) at another server.
func (s *Server) discovery(w http.ResponseWriter, r *http.Request) error {
	return write(w, http.StatusOK, map[string]any{"title": "harmtrace",
		"description": "Cyber incidents against vulnerable organisations and their harm to people, as STIX 2.1",
		"default":     root, "api_roots": []string{root}})
}

func (s *Server) apiRoot(w http.ResponseWriter, r *http.Request) error {
	return write(w, http.StatusOK, map[string]any{"title": "harmtrace incidents", "versions": []string{MediaType},
		"max_content_length": 0})
}

// object is an object of the collection with what the filters need.
type object struct {
	ID, Type, SpecVersion, Modified string
	Body                            json.RawMessage
}

// visibleObjects returns the caller's objects, kept per viewer until the
// store changes.
func (s *Server) visibleObjects(r *http.Request) ([]object, error) {
	return s.collections.Get(r.Context(), s.store, httpkit.Access(r), func() ([]object, error) { return s.writeObjects(r) })
}

// writeObjects writes the caller's incidents as the STIX download does
// and returns the objects, oldest modification first.
func (s *Server) writeObjects(r *http.Request) ([]object, error) {
	f := report.Filter{Viewer: httpkit.AccessOf(r)}
	ids, err := s.index.IncidentIDs(r.Context(), s.store, f)
	if err != nil {
		return nil, err
	}
	doc, err := interchange.LoadIncidents(r.Context(), s.store, httpkit.ExportScope(r), ids)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := stix.Write(&buf, doc, httpkit.ExportTLP(r)); err != nil {
		return nil, err
	}
	var bundle struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(buf.Bytes(), &bundle); err != nil {
		return nil, err
	}
	out := make([]object, 0, len(bundle.Objects))
	for _, raw := range bundle.Objects {
		var head struct {
			ID, Type, Created, Modified string
			SpecVersion                 string `json:"spec_version"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, err
		}
		out = append(out, object{head.ID, head.Type, head.SpecVersion, cmp.Or(head.Modified, head.Created), raw})
	}
	slices.SortStableFunc(out, func(a, b object) int { return cmp.Or(cmp.Compare(a.Modified, b.Modified), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// filter is a request's filters and page (TAXII 2.1 section 3.4).
type filter struct {
	addedAfter        time.Time
	ids, types, specs []string
	version           string
	limit, offset     int
	wantOneObject     string
}

func filterOf(r *http.Request) (filter, error) {
	q := r.URL.Query()
	f := filter{limit: pageLimit, version: cmp.Or(q.Get("match[version]"), "last"), wantOneObject: r.PathValue("object")}
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
		f.limit = min(n, pageLimit)
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

func (f filter) keeps(o object) bool {
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

// selectPage selects the filtered objects of one page and tells whether more follow.
func (s *Server) selectPage(w http.ResponseWriter, r *http.Request) (page []object, more bool, next string, ok bool, err error) {
	f, ferr := filterOf(r)
	if ferr != nil {
		return nil, false, "", false, Error(w, http.StatusBadRequest, "Bad filter", ferr.Error())
	}
	all, err := s.visibleObjects(r)
	if err != nil {
		return nil, false, "", false, err
	}
	var kept []object
	for _, o := range all {
		if f.keeps(o) {
			kept = append(kept, o)
		}
	}
	if f.wantOneObject != "" && len(kept) == 0 {
		return nil, false, "", false, Error(w, http.StatusNotFound, "Not found", "no such object in this collection")
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

func (s *Server) objects(w http.ResponseWriter, r *http.Request) error {
	page, more, next, ok, err := s.selectPage(w, r)
	if !ok {
		return err
	}
	objects := make([]json.RawMessage, len(page))
	for i, o := range page {
		objects[i] = o.Body
	}
	return write(w, http.StatusOK, envelope(more, next, "objects", objects))
}

func (s *Server) manifest(w http.ResponseWriter, r *http.Request) error {
	page, more, next, ok, err := s.selectPage(w, r)
	if !ok {
		return err
	}
	records := make([]map[string]string, len(page))
	for i, o := range page {
		records[i] = map[string]string{"id": o.ID, "date_added": o.Modified, "version": o.Modified, "media_type": stix.MediaType}
	}
	return write(w, http.StatusOK, envelope(more, next, "objects", records))
}

func (s *Server) versions(w http.ResponseWriter, r *http.Request) error {
	page, more, next, ok, err := s.selectPage(w, r)
	if !ok {
		return err
	}
	versions := make([]string, len(page))
	for i, o := range page {
		versions[i] = o.Modified
	}
	return write(w, http.StatusOK, envelope(more, next, "versions", versions))
}

func envelope(more bool, next, key string, list any) map[string]any {
	out := map[string]any{"more": more, key: list}
	if next != "" {
		out["next"] = next
	}
	return out
}
