package public

import (
	"html"
	"html/template"
	"regexp"
	"strconv"
	"strings"
)

// markdown renders the project's own Markdown (docs/harm-method.md,
// NOTICE.md) as HTML: headings, paragraphs, lists, tables, code spans,
// bold, italics and links. It is not a general Markdown renderer and needs
// to be none: it reads files of this repository, and escapes every piece
// of their text, so that even a stray "<" stays text. A link's address is
// kept only when it is http(s), a path of this site or a fragment.
// Headings are shifted down by demote levels, for a document shown inside
// a page that has its own title.
func markdown(src string, demote int) template.HTML {
	var b strings.Builder
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			i++
		case strings.HasPrefix(trimmed, "```"):
			j := i + 1
			for j < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[j]), "```") {
				j++
			}
			b.WriteString("<pre><code>" + html.EscapeString(strings.Join(lines[i+1:min(j, len(lines))], "\n")) + "</code></pre>\n")
			i = j + 1
		case strings.HasPrefix(trimmed, "#"):
			hashes := len(trimmed) - len(strings.TrimLeft(trimmed, "#"))
			text := strings.TrimSpace(trimmed[hashes:])
			tag := "h" + strconv.Itoa(min(hashes+demote, 6))
			b.WriteString("<" + tag + " id=\"" + slug(text) + "\">" + inline(text) + "</" + tag + ">\n")
			i++
		case strings.HasPrefix(trimmed, "|"):
			j := i
			for j < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[j]), "|") {
				j++
			}
			b.WriteString(table(lines[i:j]))
			i = j
		case listItem.MatchString(line):
			j := i
			b.WriteString(listTag(line, true))
			for j < len(lines) && listItem.MatchString(lines[j]) {
				item := listItem.ReplaceAllString(lines[j], "")
				j++
				// An item continues on indented lines.
				for j < len(lines) && strings.HasPrefix(lines[j], "  ") && !listItem.MatchString(lines[j]) && strings.TrimSpace(lines[j]) != "" {
					item += " " + strings.TrimSpace(lines[j])
					j++
				}
				b.WriteString("<li>" + inline(item) + "</li>\n")
			}
			b.WriteString(listTag(line, false))
			i = j
		default:
			j := i
			var para []string
			for j < len(lines) && strings.TrimSpace(lines[j]) != "" && !blockStart(lines[j]) {
				para = append(para, strings.TrimSpace(lines[j]))
				j++
			}
			b.WriteString("<p>" + inline(strings.Join(para, " ")) + "</p>\n")
			i = j
		}
	}
	return template.HTML(b.String())
}

var (
	listItem = regexp.MustCompile(`^\s{0,3}(?:[-*]|[0-9]+\.)\s+`)
	ordered  = regexp.MustCompile(`^\s{0,3}[0-9]+\.\s`)
	link     = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
	code     = regexp.MustCompile("`([^`]+)`")
	bold     = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	italic   = regexp.MustCompile(`(^|[\s(])\*([^*\s][^*]*)\*`)
)

func blockStart(line string) bool {
	t := strings.TrimSpace(line)
	return strings.HasPrefix(t, "#") || strings.HasPrefix(t, "|") || strings.HasPrefix(t, "```") || listItem.MatchString(line)
}

func listTag(line string, open bool) string {
	tag := "ul"
	if ordered.MatchString(line) {
		tag = "ol"
	}
	if open {
		return "<" + tag + ">\n"
	}
	return "</" + tag + ">\n"
}

// table renders a pipe table; its second line is the separator.
func table(rows []string) string {
	cells := func(row string) []string {
		row = strings.TrimSpace(row)
		row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
		parts := strings.Split(row, "|")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts
	}
	var b strings.Builder
	b.WriteString("<div class=\"scroll\"><table>\n")
	for i, row := range rows {
		if i == 1 && strings.Trim(strings.TrimSpace(row), "|-: ") == "" {
			continue
		}
		tag := "td"
		if i == 0 {
			tag = "th"
		}
		b.WriteString("<tr>")
		for _, c := range cells(row) {
			b.WriteString("<" + tag + ">" + inline(c) + "</" + tag + ">")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table></div>\n")
	return b.String()
}

// inline escapes text, then marks up code spans, links, bold and italics.
// Code spans are set aside first, so nothing inside them is marked up.
func inline(text string) string {
	var spans []string
	text = code.ReplaceAllStringFunc(text, func(m string) string {
		spans = append(spans, "<code>"+html.EscapeString(m[1:len(m)-1])+"</code>")
		return "\x00" + strconv.Itoa(len(spans)-1) + "\x00"
	})
	text = html.EscapeString(text)
	text = link.ReplaceAllStringFunc(text, func(m string) string {
		parts := link.FindStringSubmatch(m)
		addr := html.UnescapeString(parts[2])
		if !strings.HasPrefix(addr, "https://") && !strings.HasPrefix(addr, "http://") && !strings.HasPrefix(addr, "/") && !strings.HasPrefix(addr, "#") {
			return parts[1]
		}
		return `<a href="` + html.EscapeString(addr) + `">` + parts[1] + `</a>`
	})
	text = bold.ReplaceAllString(text, "<strong>$1</strong>")
	text = italic.ReplaceAllString(text, "$1<em>$2</em>")
	for i, s := range spans {
		text = strings.Replace(text, "\x00"+strconv.Itoa(i)+"\x00", s, 1)
	}
	return text
}

// slug is a heading's anchor: lower case, words joined by hyphens.
func slug(text string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(text) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
