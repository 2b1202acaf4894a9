package treaty

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes a result for a reader: the outcome, each finding with
// its articles, and the articles with how far their entries were checked.
func WriteText(w io.Writer, req *Request, res *Result) {
	fmt.Fprintf(w, "%s: %s from %s to %s for %s\n\n", strings.ToUpper(res.Outcome), req.Measure, req.RequestingState,
		req.RequestedState, strings.Join(req.Conduct, ", "))
	for _, f := range res.Findings {
		fmt.Fprintf(w, "[%s] %s — %s\n", f.Severity, f.Rule, f.Explanation)
		if f.Condition != "" {
			fmt.Fprintf(w, "       condition: %s\n", f.Condition)
		}
		fmt.Fprintf(w, "       %s\n", strings.Join(f.Articles, "; "))
	}
	fmt.Fprintln(w, "\nArticles cited:")
	for _, c := range res.Citations {
		note := ""
		if c.Status != Verified {
			note = " (" + Articles().Statuses[c.Status] + ")"
		}
		fmt.Fprintf(w, "  %-20s %s%s\n", c.Article, c.Title, note)
	}
}
