package chart

import (
	"strings"
	"testing"
)

func TestWorldMapCoversTheCountries(t *testing.T) {
	shapes := loadShapes()
	if len(shapes) < 170 {
		t.Fatalf("%d country shapes, want the 177 of Natural Earth 110m", len(shapes))
	}
	codes := map[string]bool{}
	for _, s := range shapes {
		codes[s.code] = true
		if !strings.HasPrefix(s.path, "M") || !strings.HasSuffix(s.path, "Z") {
			t.Fatalf("%s: path %.40s… is not closed", s.name, s.path)
		}
	}
	for _, cc := range []string{"US", "FR", "UA", "KE", "BR", "IN", "AU", "SD", "RU", "FJ"} {
		if !codes[cc] {
			t.Errorf("no shape for %s", cc)
		}
	}
	svg := string(WorldMap("Incidents by country", map[string]int{"US": 1398, "FR": 3}, func(c string) string { return "/countries/" + c }))
	if !strings.Contains(svg, `href="/countries/US"`) || !strings.Contains(svg, "United States of America: 1398") {
		t.Error("map lacks the link or title of the United States")
	}
	if !strings.Contains(svg, "<title id=") {
		t.Error("map has no text alternative")
	}
}

func TestBarsEscapeLabels(t *testing.T) {
	svg := string(Bars("By sector", []Bar{{Label: `<script>x</script>`, Value: 3}}, func(v float64) string { return "3" }))
	if strings.Contains(svg, "<script>") {
		t.Error("a label was not escaped")
	}
}
