package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/keys"
	"github.com/harmtrace/harmtrace/internal/outbox"
)

// runNotifications shows the outbox and manages webhooks: list
// [--status S], webhook --team T URL, retry ID.
func runNotifications(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "notifications", "[list | webhook --team T URL | retry ID]")
	status := fs.String("status", "", "list: only rows in this status (pending, sending, delivered, failed, withheld)")
	team := fs.String("team", "", "webhook: the team whose notifications it receives")
	limit := fs.Int("n", 50, "list: how many rows, newest first")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		rest = []string{"list"}
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	switch {
	case rest[0] == "list" && len(rest) == 1:
		counts, err := outbox.Counts(ctx, store, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "pending %d, sending %d, delivered %d, failed %d, withheld %d\n", counts[outbox.Pending], counts[outbox.Sending],
			counts[outbox.Delivered], counts[outbox.Failed], counts[outbox.Withheld])
		rows, err := outbox.List(ctx, store, "", *status, *limit)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "CREATED\tEVENT\tCHANNEL\tTO\tSTATUS\tATTEMPTS\tLAST ERROR\tID\n")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Created, r.Event, r.Channel, r.Recipient, r.Status, r.Attempts, r.LastError, r.ID)
		}
		return tw.Flush()
	case rest[0] == "webhook" && len(rest) == 2:
		ids, err := account.TeamIDs(ctx, store, []string{*team})
		if err != nil {
			return fmt.Errorf("%w: --team: %v", errUsage, err)
		}
		// The secret is sealed with a key of the data directory's ring.
		ring, err := keys.Open(env.Config.DataDir)
		if err != nil {
			return err
		}
		if _, err := outbox.Install(ctx, store, ring); err != nil {
			return err
		}
		return store.Write(ctx, author("webhook"), func(tx *db.Tx) error {
			h, secret, err := outbox.AddWebhook(ctx, tx, ids[0], rest[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%s for %s\nsigning secret (shown once): %s\n", h.ID, *team, secret)
			return nil
		})
	case rest[0] == "retry" && len(rest) == 2:
		return store.Write(ctx, author("retry notification"), func(tx *db.Tx) error {
			return outbox.Retry(ctx, tx, "", rest[1])
		})
	}
	return fmt.Errorf("%w: harmtrace notifications [list | webhook --team T URL | retry ID]", errUsage)
}
