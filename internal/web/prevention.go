package web

import "github.com/harmtrace/harmtrace/internal/prevention"

// routePrevention registers the prevention surface (internal/prevention):
// inventories and alerts, re-targeting warnings, volunteers, and the
// notifications outbox.
func (s *Server) routePrevention(mux *router) {
	p, err := prevention.New(s.log, s.store, prevention.Options{Cases: s.opts.Cases, HoursCap: s.opts.HoursCap})
	if err != nil {
		panic(err) // embedded templates, parsed by every test of this package
	}
	p.Routes(mux)
}
