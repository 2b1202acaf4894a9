package web

import "github.com/harmtrace/harmtrace/internal/api"

// routeAPI registers the JSON API (internal/api) with the figures it
// shares with the dashboard; the endpoints of the other surfaces are
// listed in its documents (and the suggestions registered by it).
func (s *Server) routeAPI(mux *router) {
	a, err := api.New(s.log, s.store, api.Options{Index: s.index, Reports: s.reports,
		Endpoints: append(s.suggestionEndpoints(), victimEndpoints()...)})
	if err != nil {
		panic(err) // embedded templates, parsed by every test of this package
	}
	a.Routes(mux)
}
