package treaty

import (
	"fmt"
	"io"
	"strings"
)

// outcomeText writes the outcome as the JSON names it, with what "no
// treaty basis" means.
func outcomeText(outcome string) string {
	if outcome == NoTreatyBasis {
		return "NO-TREATY-BASIS (depends on bilateral or domestic law)"
	}
	return strings.ToUpper(outcome)
}

// WriteText writes a result for a reader: the outcome, which instrument
// binds the two states, each finding with its articles, and what each
// cited article says with how far that was checked.
func WriteText(w io.Writer, req *Request, res *Result) {
	fmt.Fprintf(w, "%s: %s from %s to %s for %s\n", outcomeText(res.Outcome), measureText(req.Measure), req.RequestingState,
		req.RequestedState, strings.Join(req.Conduct, ", "))
	fmt.Fprintf(w, "Treaty basis: %s\n\nWhich instrument binds both states:\n", res.Basis)
	for _, a := range res.Applicability {
		binds := "does not bind both"
		if a.BindsBoth {
			binds = "binds both"
		}
		fmt.Fprintf(w, "  %-9s %s (%s: %s; %s: %s). %s\n", a.Instrument, binds, req.RequestingState, a.Requesting,
			req.RequestedState, a.Requested, a.Note)
	}
	fmt.Fprintln(w)
	for _, f := range res.Findings {
		label := f.Rule
		if f.Basis == BasisPolicy {
			label += " (project safeguard)"
		}
		fmt.Fprintf(w, "[%s] %s — %s\n", f.Severity, label, f.Explanation)
		if f.Condition != "" {
			fmt.Fprintf(w, "       condition: %s\n", f.Condition)
		}
		if len(f.Articles) > 0 {
			fmt.Fprintf(w, "       %s", strings.Join(f.Articles, "; "))
			if len(f.NotBinding) > 0 {
				fmt.Fprintf(w, " (not binding between these states: %s)", strings.Join(f.NotBinding, ", "))
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w, "\nArticles cited:")
	for _, c := range res.Citations {
		fmt.Fprintf(w, "  %-20s %s — %s\n", c.Article, c.Title, c.Paraphrase)
		fmt.Fprintf(w, "  %-20s %s\n", "", verificationText(c.Verification))
	}
}

// verificationText says how far a paraphrase was checked.
func verificationText(v Verification) string {
	switch v.State {
	case Verified:
		return fmt.Sprintf("checked against %s on %s", v.Against, v.Checked)
	case Secondary:
		return "secondary source only, not checked against the treaty text: " + v.Note
	}
	return "not verified: " + strings.TrimPrefix(v.Note, "Not verified: ")
}
