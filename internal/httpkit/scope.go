package httpkit

import (
	"net/http"
	"strings"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/report"
)

// AccessOf is Access as report.Filter takes it: what the request's viewer
// may see (the public sees TLP:CLEAR only).
func AccessOf(r *http.Request) *access.Viewer {
	v := Access(r)
	return &v
}

// ExportScope is what a download may hold: what the viewer may read, and
// for the public only what is marked clear.
func ExportScope(r *http.Request) interchange.Scope {
	return interchange.Scope{Viewer: Access(r), MaxTLP: ExportTLP(r)}
}

// ExportTLP is the marking limit for writing a download: clear for the
// public; signed-in viewers' downloads are limited by their access instead.
func ExportTLP(r *http.Request) string {
	if User(r) == nil {
		return "clear"
	}
	return ""
}

// FilterParams are the query parameters of a filter (FilterOf), as the
// dashboard and the API take them.
var FilterParams = []string{"sector", "country", "attack_type", "actor", "campaign", "since", "until", "determination", "q"}

// FilterOf reads the dashboard's filter from the query string, limited to
// what the viewer may see.
func FilterOf(r *http.Request) report.Filter {
	q := r.URL.Query()
	return report.Filter{Sector: q.Get("sector"), Country: strings.ToUpper(q.Get("country")), AttackType: q.Get("attack_type"),
		Since: q.Get("since"), Until: q.Get("until"), Actor: q.Get("actor"), Campaign: q.Get("campaign"),
		Determination: q.Get("determination"), Query: q.Get("q"), Viewer: AccessOf(r)}
}
