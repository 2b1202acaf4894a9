package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/interchange/csvmap"
	"github.com/harmtrace/harmtrace/internal/interchange/hhs"
	"github.com/harmtrace/harmtrace/internal/interchange/misp"
	"github.com/harmtrace/harmtrace/internal/interchange/stix"
	"github.com/harmtrace/harmtrace/internal/interchange/veris"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// errDryRun rolls back a dry run's transaction after everything was checked.
var errDryRun = errors.New("dry run")

// formats lists the import formats, in the order detection tries them.
var formats = []string{"harmtrace", "stix", "misp-galaxy", "misp", "veris", "hhs-ocr", "csv"}

// importOptions are the flags of one import.
type importOptions struct {
	format  string
	tlp     string
	mapping *csvmap.Mapping
}

func runImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "import", "FILE|FOLDER...")
	var opts importOptions
	fs.StringVar(&opts.format, "format", "", "input `format` (default: detected from content): "+strings.Join(formats, ", "))
	fs.StringVar(&opts.tlp, "tlp", trace.DefaultTLP, "marking of imported records that carry none")
	mapping := fs.String("mapping", "", "mapping `file` for --format csv (docs/formats.md)")
	dryRun := fs.Bool("dry-run", false, "check everything and print what would change, change nothing")
	reason := fs.String("reason", "", "why the data is imported (kept in the revisions)")
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := vocab.TLP.Check(opts.tlp); err != nil {
		return fmt.Errorf("%w: --tlp: %v", errUsage, err)
	}
	if *mapping != "" {
		data, err := os.ReadFile(*mapping)
		if err != nil {
			return err
		}
		if opts.mapping, err = csvmap.LoadMapping(data, *mapping); err != nil {
			return err
		}
		if opts.format == "" {
			opts.format = "csv"
		}
	}
	files, err := expandFolders(args)
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
	sum := interchange.NewSummary()
	why := *reason
	if why == "" {
		why = "import " + strings.Join(args, " ")
	}
	bars := newProgress(env.Stdout)
	err = store.Write(ctx, author(why), func(tx *db.Tx) error {
		for _, file := range files {
			if err := importFile(ctx, tx, file, opts, sum, bars); err != nil {
				return err
			}
		}
		if *dryRun {
			return errDryRun
		}
		return nil
	})
	bars.wait()
	if err != nil && !errors.Is(err, errDryRun) {
		return fmt.Errorf("nothing imported: %w", err)
	}
	printSummary(env, sum, *dryRun)
	return nil
}

// expandFolders replaces each folder by the JSON files in it (.json or
// .JSON, as VERIS collections mix both), sorted by path.
func expandFolders(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		info, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			files = append(files, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.EqualFold(filepath.Ext(path), ".json") {
				found = append(found, path)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}

// detect names the format of a file from its content.
func detect(data []byte) string {
	if f := interchange.Detect(data); f != "" {
		return f
	}
	switch {
	case misp.DetectGalaxy(data):
		return "misp-galaxy"
	case misp.DetectEvent(data):
		return "misp"
	case veris.Detect(data):
		return "veris"
	case hhs.Detect(data):
		return "hhs-ocr"
	}
	return ""
}

func importFile(ctx context.Context, tx *db.Tx, file string, opts importOptions, sum *interchange.Summary, bars *progress) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	format := opts.format
	if format == "" {
		if format = detect(data); format == "" {
			return fmt.Errorf("%s: format not recognised; give --format (%s)", file, strings.Join(formats, ", "))
		}
	}
	doc, err := decode(data, file, format, opts, sum)
	if err != nil {
		return err
	}
	bar := bars.add(file, doc.Len())
	defer bar.done()
	return interchange.Write(ctx, tx, file, doc, sum, bar.increment)
}

func decode(data []byte, file, format string, opts importOptions, sum *interchange.Summary) (*interchange.Document, error) {
	switch format {
	case "harmtrace":
		return interchange.DecodeNative(data, file)
	case "stix":
		return stix.Read(data, file, stix.Options{DefaultTLP: opts.tlp})
	case "misp-galaxy":
		return misp.ReadGalaxy(data, file, sum)
	case "misp":
		return misp.ReadEvent(data, file, opts.tlp)
	case "veris":
		return veris.Read(data, file, opts.tlp, sum)
	case "hhs-ocr":
		return hhs.Read(bytes.NewReader(data), file, opts.tlp, sum)
	case "csv":
		if opts.mapping == nil {
			return nil, fmt.Errorf("%w: --format csv needs --mapping FILE", errUsage)
		}
		return csvmap.Read(bytes.NewReader(data), file, opts.mapping)
	}
	return nil, fmt.Errorf("%w: unknown format %q (%s)", errUsage, format, strings.Join(formats, ", "))
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
	for _, w := range sum.Warnings {
		fmt.Fprintf(env.Stdout, "  warning: %s\n", w)
	}
}
