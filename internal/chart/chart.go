// Package chart draws the dashboard's charts and world map as SVG on the
// server, so pages work without JavaScript and print as they look. Every
// chart carries a title and a text alternative for screen readers.
package chart

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// Bar is one labelled value.
type Bar struct {
	Label string
	Value float64
	// Note is shown after the value (e.g. "at least 12,000 people").
	Note string
}

// Bars draws horizontal bars, largest first as given, for breakdowns.
func Bars(title string, bars []Bar, format func(float64) string) template.HTML {
	const width, rowH, labelW, pad = 480, 22, 200, 4
	if len(bars) == 0 {
		return template.HTML(`<p class="muted">No data.</p>`)
	}
	maxV := 0.0
	for _, b := range bars {
		maxV = math.Max(maxV, b.Value)
	}
	height := len(bars)*rowH + pad*2
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg role="img" aria-labelledby="%[1]s" viewBox="0 0 %d %d" width="100%%" xmlns="http://www.w3.org/2000/svg">`,
		id(title), width, height)
	fmt.Fprintf(&sb, `<title id="%s">%s</title>`, id(title), esc(title+": "+describe(bars, format)))
	for i, b := range bars {
		y := pad + i*rowH
		w := 0.0
		if maxV > 0 {
			w = (width - labelW - 90) * b.Value / maxV
		}
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end" font-size="12" fill="#1a1a1a">%s</text>`, labelW-6, y+15, esc(truncate(b.Label, 30)))
		fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="#0b5394"><title>%s: %s</title></rect>`,
			labelW, y+3, w, rowH-6, esc(b.Label), esc(format(b.Value)))
		fmt.Fprintf(&sb, `<text x="%.1f" y="%d" font-size="12" fill="#1a1a1a">%s</text>`, float64(labelW)+w+6, y+15, esc(format(b.Value)+b.Note))
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String()) // built from escaped parts only
}

// Columns draws vertical columns in the order given, for timelines.
func Columns(title string, bars []Bar, format func(float64) string) template.HTML {
	const width, height, bottom, top, left = 640, 220, 28, 16, 8
	if len(bars) == 0 {
		return template.HTML(`<p class="muted">No data.</p>`)
	}
	maxV := 0.0
	for _, b := range bars {
		maxV = math.Max(maxV, b.Value)
	}
	slot := float64(width-2*left) / float64(len(bars))
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg role="img" aria-labelledby="%[1]s" viewBox="0 0 %d %d" width="100%%" xmlns="http://www.w3.org/2000/svg">`,
		id(title), width, height)
	fmt.Fprintf(&sb, `<title id="%s">%s</title>`, id(title), esc(title+": "+describe(bars, format)))
	every := int(math.Ceil(float64(len(bars)) / 14))
	for i, b := range bars {
		h := 0.0
		if maxV > 0 {
			h = float64(height-bottom-top) * b.Value / maxV
		}
		x := float64(left) + float64(i)*slot
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#0b5394"><title>%s: %s</title></rect>`,
			x+slot*0.1, float64(height-bottom)-h, slot*0.8, h, esc(b.Label), esc(format(b.Value)))
		if i%every == 0 {
			fmt.Fprintf(&sb, `<text x="%.1f" y="%d" text-anchor="middle" font-size="11" fill="#1a1a1a">%s</text>`, x+slot/2, height-10, esc(b.Label))
		}
	}
	fmt.Fprintf(&sb, `<text x="%d" y="12" font-size="11" fill="#555">max %s</text>`, left, esc(format(maxV)))
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

func describe(bars []Bar, format func(float64) string) string {
	parts := make([]string, 0, len(bars))
	for _, b := range bars {
		parts = append(parts, b.Label+" "+format(b.Value))
	}
	return strings.Join(parts, "; ")
}

func esc(s string) string { return html.EscapeString(s) }

func id(title string) string {
	var b strings.Builder
	b.WriteString("chart-")
	for _, r := range strings.ToLower(title) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
