package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/harmtrace/harmtrace/internal/report"
)

func runReport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "report", "")
	format := fs.String("format", "text", "output `format`: text, md (a brief with tables and charts) or json")
	var f report.Filter
	fs.StringVar(&f.Sector, "sector", "", "only incidents with a victim in this sector")
	fs.StringVar(&f.Country, "country", "", "only incidents affecting this country (ISO alpha-2)")
	fs.StringVar(&f.AttackType, "attack-type", "", "only incidents of this attack type")
	fs.StringVar(&f.Since, "since", "", "only incidents on or after this date")
	fs.StringVar(&f.Until, "until", "", "only incidents on or before this date")
	fs.StringVar(&f.Actor, "actor", "", "only incidents attributed to this actor (name or id)")
	fs.StringVar(&f.Campaign, "campaign", "", "only incidents of this campaign (name or id)")
	fs.StringVar(&f.MaxTLP, "tlp", "", "only incidents marked at most this TLP (clear for what may be published)")
	fs.StringVar(&f.Determination, "determination", "", "only claimed, suspected or confirmed incidents")
	fs.StringVar(&f.Query, "q", "", "only incidents whose text matches these words")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" && *format != "md" {
		return fmt.Errorf("%w: --format must be text, md or json", errUsage)
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	r, err := report.Compute(ctx, store, f)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		return printJSON(env, r)
	case "md":
		return report.WriteMarkdown(env.Stdout, r)
	}
	writeText(env.Stdout, r)
	return nil
}

func writeText(w io.Writer, r *report.Report) {
	fmt.Fprintln(w, r.Headline)
	if r.OpenDuplicates > 0 {
		fmt.Fprintln(w, report.DuplicatesNote(r.OpenDuplicates))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "incidents      %s\n", report.Number(int64(r.Incidents)))
	fmt.Fprintf(w, "organisations  %s\n", report.Number(int64(r.Organisations)))
	fmt.Fprintf(w, "countries      %s\n", report.Number(int64(r.Countries)))
	fmt.Fprintf(w, "actors         %s\n", report.Number(int64(r.Actors)))
	fmt.Fprintf(w, "campaigns      %s\n", report.Number(int64(r.Campaigns)))
	for _, f := range r.Figures() {
		fmt.Fprintf(w, "%-20s %s\n", strings.ToLower(f.Name), report.RangeText(f.Range, f.Unit))
	}
	for _, b := range []struct {
		name    string
		buckets []report.Bucket
	}{{"by year", r.ByYear}, {"by sector", r.BySector}, {"by country", r.ByCountry}, {"by attack type", r.ByAttackType},
		{"by Convention article", r.ByConventionArticle}, {"by data exposed", r.ByDataType}, {"by vulnerable group", r.ByGroup}} {
		if len(b.buckets) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s\n", b.name)
		for _, k := range b.buckets {
			fmt.Fprintf(w, "  %-28s %8s incidents %14s people affected (at least)\n", k.Key, report.Number(int64(k.Incidents)),
				report.Number(k.PeopleAffectedMin))
		}
	}
	fmt.Fprintln(w)
	for _, c := range r.Caveats {
		fmt.Fprintln(w, c)
	}
	fmt.Fprintf(w, "Method: %s (docs/harm-method.md)\n", r.MethodURL)
}
