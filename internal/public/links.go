package public

import (
	"html/template"
	"net/url"
	"strconv"

	"github.com/harmtrace/harmtrace/internal/report"
)

// links are the addresses of one selection: the list of its incidents and
// its three downloads. They are whole URLs built from url.Values, never a
// query string spliced into a template after a "?": html/template escapes
// "=" and "&" there, and such a link selected every incident.
type links struct {
	List, CSV, JSON, STIX template.URL
	values                url.Values
}

// linksOf returns the links of the filter's selection.
func linksOf(f report.Filter) links {
	v := filterValues(f)
	return links{List: href("/incidents", v), CSV: href("/download/incidents.csv", v),
		JSON: href("/download/incidents.json", v), STIX: href("/download/incidents.stix", v), values: v}
}

// Page is the address of one page of the list.
func (l links) Page(n int) template.URL {
	v := url.Values{}
	for k, s := range l.values {
		v[k] = s
	}
	v.Set("page", strconv.Itoa(n))
	return href("/incidents", v)
}

// href joins a path of ours and a query. The path is a constant of the
// code and the query is encoded, so the URL is safe as it is.
func href(path string, v url.Values) template.URL {
	u := url.URL{Path: path, RawQuery: v.Encode()}
	return template.URL(u.String())
}

// filterValues writes a filter back as query values, for links and downloads.
func filterValues(f report.Filter) url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"sector": f.Sector, "country": f.Country, "attack_type": f.AttackType, "since": f.Since,
		"until": f.Until, "actor": f.Actor, "campaign": f.Campaign, "determination": f.Determination, "q": f.Query} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}
