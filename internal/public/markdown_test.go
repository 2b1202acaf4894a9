package public

import (
	"strings"
	"testing"
)

// TestMarkdown pins down what the renderer of the project's documents
// writes, and that no text of theirs becomes markup it did not mean.
func TestMarkdown(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"heading with its anchor", "## Counting one incident", `<h2 id="counting-one-incident">Counting one incident</h2>`},
		{"demoted heading", "# Data notice", `<h3 id="data-notice">Data notice</h3>`},
		{"paragraph joined from lines", "one\ntwo", "<p>one two</p>"},
		{"bold, italics and code", "**smallest** *sum* `min`", "<p><strong>smallest</strong> <em>sum</em> <code>min</code></p>"},
		{"code keeps its stars", "`a*b*c`", "<p><code>a*b*c</code></p>"},
		{"list with a continued item", "- one\n  more\n- two", "<ul>\n<li>one more</li>\n<li>two</li>\n</ul>"},
		{"numbered list", "1. first\n2. second", "<ol>\n<li>first</li>\n<li>second</li>\n</ol>"},
		{"table", "| a | b |\n|---|---|\n| 1 | 2 |", "<tr><th>a</th><th>b</th></tr>\n<tr><td>1</td><td>2</td></tr>"},
		{"link", "[method](/method)", `<a href="/method">method</a>`},
		{"a script's link is text", "[x](javascript:alert(1))", "<p>x)</p>"},
		{"markup is escaped", "<script>alert(1)</script> & co", "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			demote := 0
			if strings.HasPrefix(tt.src, "# ") {
				demote = 2
			}
			if got := string(markdown(tt.src, demote)); !strings.Contains(got, tt.want) {
				t.Errorf("markdown(%q) =\n%s\nwant it to hold\n%s", tt.src, got, tt.want)
			}
		})
	}
}
