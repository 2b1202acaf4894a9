package web

import (
	"github.com/harmtrace/harmtrace/internal/api"
	"github.com/harmtrace/harmtrace/internal/httpkit"
)

// routeAPI registers the JSON API (internal/api), with the figures it
// shares with the dashboard and the endpoints of the other surfaces: the
// workspace's suggestions, which it registers with its own, and those
// that the victims' and prevention surfaces register themselves
// (victimEndpoints), listed in its documents.
func (s *Server) routeAPI(mux *router, suggestions []httpkit.Endpoint) {
	a, err := api.New(s.log, s.store, api.Options{Index: s.index, Reports: s.reports,
		Endpoints: append(suggestions, victimEndpoints()...)})
	if err != nil {
		panic(err) // embedded templates, parsed by every test of this package
	}
	a.Routes(mux)
}
