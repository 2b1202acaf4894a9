package chart

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"sort"
	"strings"
	"sync"

	"golang.org/x/text/language"
)

// The Natural Earth 110m country shapes, as TopoJSON by world-atlas (ISC;
// Natural Earth is public domain). Ids are ISO 3166 numeric codes.
//
//go:embed data/countries-110m.json
var worldJSON []byte

type topology struct {
	Arcs      [][][2]float64 `json:"arcs"`
	Transform struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Objects struct {
		Countries struct {
			Geometries []struct {
				Type       string          `json:"type"`
				ID         string          `json:"id"`
				Arcs       json.RawMessage `json:"arcs"`
				Properties struct {
					Name string `json:"name"`
				} `json:"properties"`
			} `json:"geometries"`
		} `json:"countries"`
	} `json:"objects"`
}

// shape is one country's outline as an SVG path in a 1000×500 frame.
type shape struct {
	code, name, path string
}

const mapW, mapH = 1000.0, 500.0

var loadShapes = sync.OnceValue(func() []shape {
	var t topology
	if err := json.Unmarshal(worldJSON, &t); err != nil {
		panic("chart: embedded world map: " + err.Error())
	}
	// Decode the delta-encoded, quantized arcs into projected points
	// (equirectangular).
	arcs := make([][][2]float64, len(t.Arcs))
	for i, arc := range t.Arcs {
		var x, y float64
		for _, p := range arc {
			x, y = x+p[0], y+p[1]
			lon := x*t.Transform.Scale[0] + t.Transform.Translate[0]
			lat := y*t.Transform.Scale[1] + t.Transform.Translate[1]
			arcs[i] = append(arcs[i], [2]float64{(lon + 180) / 360 * mapW, (90 - lat) / 180 * mapH})
		}
	}
	var out []shape
	for _, g := range t.Objects.Countries.Geometries {
		var polygons [][][]int
		switch g.Type {
		case "Polygon":
			var rings [][]int
			if json.Unmarshal(g.Arcs, &rings) != nil {
				continue
			}
			polygons = [][][]int{rings}
		case "MultiPolygon":
			if json.Unmarshal(g.Arcs, &polygons) != nil {
				continue
			}
		default:
			continue
		}
		code := alpha2(g.ID)
		if code == "AQ" {
			continue // Antarctica takes space and has no victims
		}
		out = append(out, shape{code: code, name: g.Properties.Name, path: path(arcs, polygons)})
	}
	return out
})

// alpha2 turns an ISO 3166 numeric code into the alpha-2 code.
func alpha2(numeric string) string {
	r, err := language.ParseRegion(numeric)
	if err != nil {
		return ""
	}
	return r.String()
}

func path(arcs [][][2]float64, polygons [][][]int) string {
	var b strings.Builder
	for _, rings := range polygons {
		for _, ring := range rings {
			var pts [][2]float64
			for _, a := range ring {
				var seg [][2]float64
				if a < 0 {
					seg = reversed(arcs[^a]) // a negative index means the arc ~a, walked backwards
				} else {
					seg = arcs[a]
				}
				if len(pts) > 0 && len(seg) > 0 {
					seg = seg[1:] // arcs share their end points
				}
				pts = append(pts, seg...)
			}
			for i, p := range pts {
				// A ring that crosses the antimeridian would draw a line
				// across the whole map: start a new subpath there instead.
				if i == 0 || math.Abs(p[0]-pts[i-1][0]) > mapW/2 {
					fmt.Fprintf(&b, "M%.1f %.1f", p[0], p[1])
				} else {
					fmt.Fprintf(&b, "L%.1f %.1f", p[0], p[1])
				}
			}
			b.WriteString("Z")
		}
	}
	return b.String()
}

func reversed(s [][2]float64) [][2]float64 {
	out := make([][2]float64, len(s))
	for i, p := range s {
		out[len(s)-1-i] = p
	}
	return out
}

// palette runs from no incidents to the most, light to dark, with enough
// contrast between steps to read without colour vision.
var palette = []string{"#eef3f8", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"}

// WorldMap draws a choropleth of counts by ISO alpha-2 code, in five
// classes on a log scale, each country titled with its name and count.
func WorldMap(title string, counts map[string]int, link func(code string) string) template.HTML {
	maxV := 0
	for _, n := range counts {
		maxV = max(maxV, n)
	}
	class := func(n int) int {
		if n <= 0 || maxV == 0 {
			return 0
		}
		c := 1 + int(4*math.Log1p(float64(n))/math.Log1p(float64(maxV)))
		return min(c, 5)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg role="img" aria-labelledby="%[1]s" viewBox="0 20 %v %v" width="100%%" xmlns="http://www.w3.org/2000/svg">`, id(title), mapW, mapH-80)
	fmt.Fprintf(&b, `<title id="%s">%s</title>`, id(title), esc(title+": "+mapSummary(counts)))
	for _, s := range loadShapes() {
		n := counts[s.code]
		shapeSVG := fmt.Sprintf(`<path d="%s" fill="%s" stroke="#7f8c99" stroke-width="0.4"><title>%s: %d</title></path>`,
			s.path, palette[class(n)], esc(s.name), n)
		if n > 0 && link != nil {
			fmt.Fprintf(&b, `<a href="%s">%s</a>`, esc(link(s.code)), shapeSVG)
		} else {
			b.WriteString(shapeSVG)
		}
	}
	for i, c := range palette {
		fmt.Fprintf(&b, `<rect x="%d" y="404" width="24" height="12" fill="%s" stroke="#7f8c99" stroke-width="0.4"/>`, 20+i*26, c)
	}
	fmt.Fprintf(&b, `<text x="20" y="432" font-size="12" fill="#1a1a1a">none → most (%d)</text>`, maxV)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func mapSummary(counts map[string]int) string {
	type kv struct {
		k string
		v int
	}
	var list []kv
	for k, v := range counts {
		list = append(list, kv{k, v})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].v > list[j].v || (list[i].v == list[j].v && list[i].k < list[j].k) })
	var parts []string
	for i, e := range list {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more", len(list)-10))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", e.k, e.v))
	}
	return strings.Join(parts, ", ")
}
