package web

import "github.com/harmtrace/harmtrace/internal/public"

// routePublic registers the public pages (internal/public): the
// dashboard, the incidents, downloads, the reader's pages and the
// cooperation-request check, with the figures they share with the API.
func (s *Server) routePublic(mux *router) {
	p, err := public.New(s.log, s.store, public.Options{Index: s.index, Reports: s.reports, Cases: s.opts.Cases})
	if err != nil {
		panic(err) // embedded templates, parsed by every test of this package
	}
	p.Routes(mux)
}
