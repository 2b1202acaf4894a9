package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/seed"
)

func runSeed(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "seed", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	return loadSeed(ctx, env, store)
}

// loadSeed loads the bundled open data with progress bars on a terminal,
// and tells in a few lines what it loaded: one line per file with its
// counts, then the rows skipped and the warnings in one summary (`harmtrace
// import` of a file lists them one by one).
func loadSeed(ctx context.Context, env *Env, store *db.DB) error {
	bars := newProgress(env.Stdout)
	total, files, err := seed.LoadFiles(ctx, store, bars.add)
	bars.wait()
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintf(env.Stdout, "loaded %s: %s\n", f.File, countsOf(f.Summary))
	}
	printSkipped(env.Stdout, total)
	return nil
}

// countsOf says what a summary created and updated: "1398 incidents,
// 1308 organisations", or that nothing changed.
func countsOf(sum *interchange.Summary) string {
	kinds := make([]string, 0, len(sum.Counts))
	for k := range sum.Counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var parts []string
	unchanged := 0
	for _, k := range kinds {
		c := sum.Counts[k]
		if n := c.Created + c.Updated; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
		unchanged += c.Unchanged
	}
	if len(parts) == 0 {
		return fmt.Sprintf("nothing new (%d records unchanged)", unchanged)
	}
	return strings.Join(parts, ", ")
}

// printSkipped sums the skipped rows by their reason's first words (the
// part before a colon: "not a cyberattack") in one line, and the warnings.
func printSkipped(w io.Writer, sum *interchange.Summary) {
	groups := map[string]int{}
	all := 0
	for reason, n := range sum.Skipped {
		head, _, _ := strings.Cut(reason, ":")
		groups[head] += n
		all += n
	}
	if all > 0 {
		heads := make([]string, 0, len(groups))
		for h := range groups {
			heads = append(heads, h)
		}
		sort.Slice(heads, func(i, j int) bool {
			return groups[heads[i]] > groups[heads[j]] || groups[heads[i]] == groups[heads[j]] && heads[i] < heads[j]
		})
		parts := make([]string, len(heads))
		for i, h := range heads {
			parts[i] = fmt.Sprintf("%d %s", groups[h], h)
		}
		if len(heads) == 1 {
			parts[0] = heads[0]
		}
		fmt.Fprintf(w, "skipped %d rows: %s\n", all, strings.Join(parts, ", "))
	}
	if n := len(sum.Warnings); n > 0 {
		fmt.Fprintf(w, "%d warnings, such as: %s\n", n, sum.Warnings[0])
	}
}
