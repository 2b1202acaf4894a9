package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/alert"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/inventory"
	"github.com/harmtrace/harmtrace/internal/kev"
)

// runInventory keeps organisations' software: add, list, remove, import
// (CSV), keep (the helping team), member (the organisation's own team).
func runInventory(ctx context.Context, env *Env, args []string) error {
	const usage = "harmtrace inventory add|list|remove|import|keep|member --org ORG (-h for flags)"
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	sub := args[0]
	fs := newFlags(env, "inventory "+sub, "")
	org := fs.String("org", "", "the organisation: its id or its exact name")
	var it inventory.Item
	fs.StringVar(&it.Vendor, "vendor", "", "the software's vendor (add)")
	fs.StringVar(&it.Product, "product", "", "the software's product (add)")
	fs.StringVar(&it.Version, "version", "", "its version (add)")
	fs.StringVar(&it.CPE, "cpe", "", "its CPE name, cpe:2.3:a:vendor:product:… (add)")
	team := fs.String("team", "", "the team (keep: the helpers who keep the inventory; member: the organisation's own team)")
	format := fs.String("format", "text", "list output: text or json")
	rest, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if *org == "" {
		return fmt.Errorf("%w: --org is required: %s", errUsage, usage)
	}
	switch sub {
	case "add", "list", "keep", "member":
		if len(rest) > 0 {
			return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
		}
	case "remove", "import":
		if len(rest) != 1 {
			return fmt.Errorf("%w: harmtrace inventory %s --org ORG %s", errUsage, sub, map[string]string{"remove": "ITEM-ID", "import": "FILE.csv"}[sub])
		}
	default:
		return fmt.Errorf("%w: unknown inventory command %q: %s", errUsage, sub, usage)
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := kev.EnsureBundled(ctx, store); err != nil {
		return err
	}
	o, err := inventory.ResolveOrganisation(ctx, store, *org)
	if err != nil {
		return fmt.Errorf("%w: --org: %v", errUsage, err)
	}
	if sub == "list" {
		items, err := inventory.List(ctx, store, o.ID)
		if err != nil {
			return err
		}
		if *format == "json" {
			if items == nil {
				items = []inventory.Item{}
			}
			enc := json.NewEncoder(env.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(map[string]any{"organisation_id": o.ID, "items": items})
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "ID\tVENDOR\tPRODUCT\tVERSION\tCPE\n")
		for _, it := range items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", it.ID, it.Vendor, it.Product, it.Version, it.CPE)
		}
		return tw.Flush()
	}
	var teamID string
	if *team != "" {
		ids, err := account.TeamIDs(ctx, store, []string{*team})
		if err != nil {
			return fmt.Errorf("%w: --team: %v", errUsage, err)
		}
		teamID = ids[0]
	} else if sub == "member" {
		return fmt.Errorf("%w: --team is required", errUsage)
	}
	var items []inventory.Item
	if sub == "import" {
		f, err := os.Open(rest[0])
		if err != nil {
			return err
		}
		items, err = inventory.ReadCSV(f, o.ID)
		f.Close()
		if err != nil {
			return err
		}
	}
	return store.Write(ctx, author("inventory "+sub), func(tx *db.Tx) error {
		switch sub {
		case "keep":
			return inventory.Keep(ctx, tx, o.ID, teamID)
		case "member":
			if err := inventory.AddMember(ctx, tx, o.ID, teamID); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "the users of %s now read the inventory and alerts of %s\n", *team, o.Name)
			return nil
		case "remove":
			if err := inventory.Remove(ctx, tx, o.ID, rest[0]); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "removed %s from the inventory of %s (its alerts stay, with their history)\n", rest[0], o.Name)
			return nil
		case "add":
			it.OrganisationID = o.ID
			items = []inventory.Item{it}
		}
		added := 0
		for i := range items {
			created, err := inventory.Add(ctx, tx, teamID, &items[i])
			if err != nil {
				return err
			}
			if created {
				added++
			}
			if sub == "add" {
				fmt.Fprintf(env.Stdout, "%s\n", items[i].ID)
			}
		}
		raised, err := alert.Match(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		if sub == "import" {
			fmt.Fprintf(env.Stdout, "%d items added, %d already listed\n", added, len(items)-added)
		}
		fmt.Fprintf(env.Stdout, "%d new alerts for %s\n", len(raised), o.Name)
		return nil
	})
}

// runAlerts lists the alerts the inventories raise, known ransomware use
// first, then the oldest due date; or records a decision on one.
func runAlerts(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "alerts", "[decide ALERT-ID --state S --reason R]")
	org := fs.String("org", "", "one organisation's alerts: its id or its exact name")
	format := fs.String("format", "text", "output: text or json")
	state := fs.String("state", "", "list: keep alerts in this state; decide: the new state ("+strings.Join(alert.States, ", ")+")")
	reason := fs.String("reason", "", "decide: why (kept in the alert's history)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("%w: --format text or json", errUsage)
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := kev.EnsureBundled(ctx, store); err != nil {
		return err
	}
	if len(rest) > 0 {
		if rest[0] != "decide" || len(rest) != 2 {
			return fmt.Errorf("%w: harmtrace alerts [--org ORG] [--format text|json], or alerts decide ALERT-ID --state S --reason R", errUsage)
		}
		return store.Write(ctx, author(*reason), func(tx *db.Tx) error {
			if err := alert.Decide(ctx, tx, rest[1], *state, *reason); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%s is %s\n", rest[1], *state)
			return nil
		})
	}
	var f alert.Filter
	if *org != "" {
		o, err := inventory.ResolveOrganisation(ctx, store, *org)
		if err != nil {
			return fmt.Errorf("%w: --org: %v", errUsage, err)
		}
		f.OrganisationID = o.ID
	}
	if *state != "" {
		f.States = []string{*state}
	}
	alerts, err := alert.List(ctx, store, access.Operator, f)
	if err != nil {
		return err
	}
	if *format == "json" {
		return writeAlertsJSON(env, alerts)
	}
	cat, err := kev.Current(ctx, store)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "KEV catalog %s (released %s, %d entries): %d alerts\n", cat.Version, cat.Released[:10], cat.Entries, len(alerts))
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ORGANISATION\tCVE\tVENDOR\tPRODUCT\tRANSOMWARE\tDUE\tSTATE\tID\n")
	for _, a := range alerts {
		r := "unknown"
		if a.Ransomware {
			r = "known"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Organisation, a.CVE, a.Vendor, a.Product, r, a.DueDate, a.State, a.ID)
	}
	return tw.Flush()
}

// alertJSON is an alert as `harmtrace alerts --format json` writes it:
// exactly these fields.
type alertJSON struct {
	OrganisationID     string `json:"organisation_id"`
	CVE                string `json:"cve"`
	Vendor             string `json:"vendor"`
	Product            string `json:"product"`
	KnownRansomwareUse bool   `json:"known_ransomware_use"`
	DueDate            string `json:"due_date"`
	RequiredAction     string `json:"required_action"`
	DateAdded          string `json:"date_added"`
	State              string `json:"state"`
}

func writeAlertsJSON(env *Env, alerts []alert.Alert) error {
	out := struct {
		Alerts []alertJSON `json:"alerts"`
	}{Alerts: []alertJSON{}}
	for _, a := range alerts {
		out.Alerts = append(out.Alerts, alertJSON{a.OrganisationID, a.CVE, a.Vendor, a.Product, a.Ransomware, a.DueDate, a.RequiredAction, a.DateAdded, a.State})
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
