// Package workspace is the analysts' workspace: create, edit and delete
// every kind of record (the forms of internal/records, drawn by one
// template, form.go), see the history of a record with its changes
// (history.go), settle the duplicates an import proposed and import a file
// (tasks.go), and suggest corrections of records one may read but not
// change (suggestions.go, with their API). Every route needs the analyst
// role (Routes); every record is reached only when the analyst may see it
// (report.RecordVisible), with the answer a missing record gets.
package workspace

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/records"
	"github.com/harmtrace/harmtrace/internal/report"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Server serves the workspace.
type Server struct {
	log   *slog.Logger
	store *db.DB
	index *report.Index
	pages *template.Template
}

// New returns the workspace of store, whose incidents index lists (store
// nil: the routes only).
func New(log *slog.Logger, store *db.DB, index *report.Index) (*Server, error) {
	pages, err := httpkit.ParsePages(template.FuncMap{
		"label": func(f fieldState, option string) string {
			if l, ok := f.Labels[option]; ok {
				return l
			}
			return option
		},
	}, templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &Server{log: log, store: store, index: index, pages: pages}, nil
}

// Routes registers the workspace's pages, each behind the analyst role.
// The suggestions' API is in Endpoints, for the API's route table.
func (s *Server) Routes(mux httpkit.Router) {
	for pattern, h := range map[string]httpkit.HandlerFunc{
		"GET /work":                            s.workHome,
		"GET /work/{kind}":                     s.workList,
		"GET /work/{kind}/{id}":                s.workEdit,
		"POST /work/{kind}/{id}":               s.workEdit,
		"POST /work/{kind}/{id}/delete":        s.workDelete,
		"GET /history/{id}":                    s.workHistory,
		"GET /work/duplicates":                 s.workDuplicates,
		"POST /work/duplicates":                s.workSettle,
		"GET /work/suggestions":                s.workSuggestions,
		"POST /work/suggestions":               s.workSuggest,
		"POST /work/suggestions/{id}/decision": s.workDecide,
		"GET /work/import":                     s.workImportForm,
		"POST /work/import":                    s.workImport,
	} {
		mux.Handle(pattern, s.analyst(h))
	}
	// "New" is routed kind by kind: /work/{kind}/new would clash with the
	// cases' /work/cases/{id} (internal/casework), neither being the more
	// specific.
	for kind := range records.Forms(access.Public) {
		for _, method := range []string{"GET", "POST"} {
			mux.Handle(method+" /work/"+kind+"/new", s.analyst(func(w http.ResponseWriter, r *http.Request) error {
				r.SetPathValue("kind", kind)
				return s.workNew(w, r)
			}))
		}
	}
}

// analyst lets through analysts and those above them (httpkit.Require).
func (s *Server) analyst(h httpkit.HandlerFunc) http.Handler {
	return httpkit.Handle(s.log, httpkit.Require(s.pages, "analyst", h))
}

// render executes a page template (httpkit.Render).
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) error {
	return httpkit.Render(w, s.pages, status, name, data)
}
