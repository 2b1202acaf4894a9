package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/interchange/stix"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// errDryRun rolls back a dry run's transaction after everything was checked.
var errDryRun = errors.New("dry run")

func runImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "import", "FILE...")
	format := fs.String("format", "", "input format (default: detected from content): harmtrace, stix")
	tlp := fs.String("tlp", trace.DefaultTLP, "marking of imported records that carry none")
	dryRun := fs.Bool("dry-run", false, "check everything and print what would change, change nothing")
	reason := fs.String("reason", "", "why the data is imported (kept in the revisions)")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%w: give at least one file", errUsage)
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	sum := interchange.NewSummary()
	why := *reason
	if why == "" {
		why = "import"
	}
	err = store.Write(ctx, author(why), func(tx *db.Tx) error {
		for _, file := range files {
			if err := importFile(ctx, tx, file, *format, *tlp, sum); err != nil {
				return err
			}
		}
		if *dryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return fmt.Errorf("nothing imported: %w", err)
	}
	printSummary(env, sum, *dryRun)
	return nil
}

func importFile(ctx context.Context, tx *db.Tx, file, format, tlp string, sum *interchange.Summary) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if format == "" {
		format = interchange.Detect(data)
	}
	switch format {
	case "harmtrace":
		doc, err := interchange.DecodeNative(data, file)
		if err != nil {
			return err
		}
		return interchange.Write(ctx, tx, file, doc, sum)
	case "stix":
		doc, err := stix.Read(data, file, stix.Options{DefaultTLP: tlp})
		if err != nil {
			return err
		}
		return interchange.Write(ctx, tx, file, doc, sum)
	case "":
		return fmt.Errorf("%s: format not recognised; give --format", file)
	}
	return fmt.Errorf("%w: unknown format %q", errUsage, format)
}

func printSummary(env *Env, sum *interchange.Summary, dryRun bool) {
	verb := "imported"
	if dryRun {
		verb = "would import (dry run, nothing changed)"
	}
	fmt.Fprintf(env.Stdout, "%s:\n", verb)
	kinds := make([]string, 0, len(sum.Counts))
	for k := range sum.Counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		c := sum.Counts[k]
		fmt.Fprintf(env.Stdout, "  %-14s %6d created %6d updated %6d unchanged\n", k, c.Created, c.Updated, c.Unchanged)
	}
	reasons := make([]string, 0, len(sum.Skipped))
	for r := range sum.Skipped {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(env.Stdout, "  skipped %6d: %s\n", sum.Skipped[r], r)
	}
}
