package web

import (
	"github.com/harmtrace/harmtrace/internal/httpkit"
	"github.com/harmtrace/harmtrace/internal/workspace"
)

// routeWorkspace registers the analysts' workspace (internal/workspace)
// and returns its suggestions' API, which routeAPI registers with the
// rest of the API.
func (s *Server) routeWorkspace(mux *router) []httpkit.Endpoint {
	ws, err := workspace.New(s.log, s.store, s.index)
	if err != nil {
		panic(err) // embedded templates, parsed by every test of this package
	}
	ws.Routes(mux)
	return ws.Endpoints()
}
