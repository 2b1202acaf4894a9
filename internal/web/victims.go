package web

import (
	"github.com/harmtrace/harmtrace/internal/casework"
	"github.com/harmtrace/harmtrace/internal/victim"
)

// routeVictims registers the victims' pages (internal/victim) and the
// cases (internal/casework), each a surface of its own on the shared
// plumbing (internal/httpkit).
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
}
