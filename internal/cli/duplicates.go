package cli

import (
	"context"
	"fmt"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// runDuplicates lists the incidents an import found possibly to be the same
// attack, and lets an analyst merge or dismiss a pair.
func runDuplicates(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "duplicates", "[merge KEEP OTHER | dismiss A B]")
	status := fs.String("status", "open", "list pairs with this `status`: open, merged, dismissed, all")
	format := fs.String("format", "text", "output `format`: text or json")
	reason := fs.String("reason", "", "why (kept in the revisions)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	if len(rest) > 0 {
		if len(rest) != 3 || (rest[0] != "merge" && rest[0] != "dismiss") {
			return fmt.Errorf("%w: harmtrace duplicates [merge KEEP OTHER | dismiss A B]", errUsage)
		}
		why := *reason
		if why == "" {
			why = rest[0] + " duplicate"
		}
		return store.Write(ctx, author(why), func(tx *db.Tx) error {
			if rest[0] == "merge" {
				return interchange.MergeIncidents(ctx, tx, rest[1], rest[2])
			}
			return interchange.DismissDuplicate(ctx, tx, rest[1], rest[2])
		})
	}
	if *status == "all" {
		*status = ""
	}
	pairs, err := interchange.Duplicates(ctx, store, *status)
	if err != nil {
		return err
	}
	if *format == "json" {
		if pairs == nil {
			pairs = []interchange.Duplicate{}
		}
		return printJSON(env, pairs)
	}
	if len(pairs) == 0 {
		fmt.Fprintln(env.Stdout, "no possible duplicates")
		return nil
	}
	for _, p := range pairs {
		fmt.Fprintf(env.Stdout, "%s  %s\n  %s\n  %s\n  %s\n", p.Status, p.Reason, p.IncidentID, title(ctx, store, p.IncidentID),
			p.OtherID+"  "+title(ctx, store, p.OtherID))
	}
	return nil
}

func title(ctx context.Context, q db.Querier, id string) string {
	in, err := trace.GetIncident(ctx, q, id)
	if err != nil {
		return "(deleted)"
	}
	return in.Title + " [" + string(in.Start) + string(in.Disclosed) + "]"
}
