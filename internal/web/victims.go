package web

import (
	"github.com/harmtrace/harmtrace/internal/casework"
	"github.com/harmtrace/harmtrace/internal/evidence"
	"github.com/harmtrace/harmtrace/internal/victim"
)

// routeVictims registers the victims' pages (internal/victim), the cases
// (internal/casework) and the evidence locker (internal/evidence), each a
// surface of its own on the shared plumbing (internal/httpkit).
func (s *Server) routeVictims(mux *router) {
	v, err := victim.New(s.log, s.opts.Cases)
	if err != nil {
		panic(err) // embedded templates, parsed by every test of this package
	}
	v.Routes(mux)
	c, err := casework.New(s.log, s.opts.Cases, s.opts.FirstResponse)
	if err != nil {
		panic(err)
	}
	c.Routes(mux)
	e, err := evidence.NewWeb(s.log, s.opts.Evidence)
	if err != nil {
		panic(err)
	}
	e.Routes(mux)
}
