package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/trace"
)

func dbOpenOnly(ctx context.Context, env *Env) (*db.DB, error) {
	if err := env.Config.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	return db.Open(ctx, env.Config.DSN())
}

// getRecord loads any record by its id, whose prefix names its kind.
func getRecord(ctx context.Context, q db.Querier, id string) (any, error) {
	kind, _, _ := strings.Cut(id, "--")
	switch kind {
	case "incident":
		return trace.GetIncident(ctx, q, id)
	case "identity":
		return trace.GetOrganisation(ctx, q, id)
	case "source":
		return trace.GetSource(ctx, q, id)
	case "threat-actor", "intrusion-set":
		return trace.GetActor(ctx, q, id)
	case "campaign":
		return trace.GetCampaign(ctx, q, id)
	case "relationship":
		return trace.GetAttribution(ctx, q, id)
	case "impact":
		return harm.Get(ctx, q, id)
	}
	return nil, fmt.Errorf("%w: %q is not a harmtrace id (incident--…, identity--…, source--…, threat-actor--…, campaign--…, relationship--…, impact--…)", errUsage, id)
}

func runShow(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "show", "ID")
	ids, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return fmt.Errorf("%w: give one record id", errUsage)
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	rec, err := getRecord(ctx, store, ids[0])
	if err != nil {
		return err
	}
	if in, ok := rec.(*trace.Incident); ok {
		harms, err := harm.OfIncident(ctx, store, in.ID)
		if err != nil {
			return err
		}
		rec = struct {
			*trace.Incident
			Harms []harm.Harm `json:"harms"`
		}{in, harms}
	}
	return printJSON(env, rec)
}

func runRevisions(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "revisions", "ID")
	format := fs.String("format", "text", "output `format`: text or json")
	ids, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return fmt.Errorf("%w: give one record id", errUsage)
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	revs, err := revision.List(ctx, store, ids[0])
	if err != nil {
		return err
	}
	if len(revs) == 0 {
		return fmt.Errorf("no revisions of %s: %w", ids[0], db.ErrNotFound)
	}
	if *format == "json" {
		return printJSON(env, revs)
	}
	for _, r := range revs {
		fmt.Fprintf(env.Stdout, "#%d %s %s by %s", r.ID, r.Time.Format("2006-01-02 15:04:05Z"), r.Action, r.Author)
		if r.Reason != "" {
			fmt.Fprintf(env.Stdout, " — %s", r.Reason)
		}
		fmt.Fprintln(env.Stdout)
		for _, c := range r.Changes {
			fmt.Fprintf(env.Stdout, "    %s: %s → %s\n", c.Field, c.Old, c.New)
		}
	}
	return nil
}

func printJSON(env *Env, v any) error {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
