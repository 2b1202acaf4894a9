package cli

import (
	"context"

	"github.com/harmtrace/harmtrace/internal/db"
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

// loadSeed loads the bundled open data with progress bars on a terminal.
func loadSeed(ctx context.Context, env *Env, store *db.DB) error {
	bars := newProgress(env.Stdout)
	sum, err := seed.Load(ctx, store, bars.add)
	bars.wait()
	if err != nil {
		return err
	}
	printSummary(env, sum, false)
	return nil
}
