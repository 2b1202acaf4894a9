package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/importer"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/interchange/csvmap"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// errDryRun rolls back a dry run's transaction after everything was checked.
var errDryRun = errors.New("dry run")

func runImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "import", "FILE|FOLDER...")
	var opts importer.Options
	fs.StringVar(&opts.Format, "format", "", "input `format` (default: detected from content): "+strings.Join(importer.Formats, ", "))
	fs.StringVar(&opts.TLP, "tlp", trace.DefaultTLP, "marking of imported records that carry none")
	mapping := fs.String("mapping", "", "mapping `file` for --format csv (docs/formats.md)")
	fs.StringVar(&opts.Encoding, "encoding", "", "`encoding` of the files when not UTF-8: windows-1252 (also latin-1)")
	dryRun := fs.Bool("dry-run", false, "check everything and print what would change, change nothing")
	reason := fs.String("reason", "", "why the data is imported (kept in the revisions)")
	team := fs.String("team", "", "the `team` (organisation name) the new records belong to; without it they join the public catalogue,\nwhich only admins change and nobody reads unless marked clear or green")
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := vocab.TLP.Check(opts.TLP); err != nil {
		return fmt.Errorf("%w: --tlp: %v", errUsage, err)
	}
	if *mapping != "" {
		data, err := os.ReadFile(*mapping)
		if err != nil {
			return err
		}
		if opts.Mapping, err = csvmap.LoadMapping(data, *mapping); err != nil {
			return err
		}
		if opts.Format == "" {
			opts.Format = "csv"
		}
	}
	files, err := importer.ExpandFolders(args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%w: give at least one file or folder", errUsage)
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	if *team != "" {
		ids, err := account.TeamIDs(ctx, store, []string{*team})
		if err != nil {
			return fmt.Errorf("%w: --team: %v", errUsage, err)
		}
		opts.Owner = ids[0]
	}
	sum := interchange.NewSummary()
	why := *reason
	if why == "" {
		why = "import " + strings.Join(args, " ")
	}
	bars := newProgress(env.Stdout)
	err = store.Write(ctx, author(why), func(tx *db.Tx) error {
		for _, file := range files {
			if err := importer.File(ctx, tx, file, opts, sum, bars.add(file)); err != nil {
				return err
			}
		}
		if *dryRun {
			return errDryRun
		}
		return nil
	})
	bars.wait()
	if errors.Is(err, importer.ErrUsage) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err != nil && !errors.Is(err, errDryRun) {
		return fmt.Errorf("nothing imported: %w", err)
	}
	printSummary(env, sum, *dryRun)
	return nil
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
	if sum.Merged > 0 {
		fmt.Fprintf(env.Stdout, "  merged %d incidents into the same attack already stored\n", sum.Merged)
	}
	if sum.PossibleDuplicates > 0 {
		fmt.Fprintf(env.Stdout, "  %d possible duplicates left for an analyst: harmtrace duplicates\n", sum.PossibleDuplicates)
	}
	for _, n := range sum.Notes {
		fmt.Fprintf(env.Stdout, "  %s\n", n)
	}
	for _, w := range sum.Warnings {
		fmt.Fprintf(env.Stdout, "  warning: %s\n", w)
	}
}
