package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
)

// runUser manages accounts: add, list, disable, token.
func runUser(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: harmtrace user add|list|disable|token (-h for flags)", errUsage)
	}
	sub := args[0]
	fs := newFlags(env, "user "+sub, "EMAIL")
	role := fs.String("role", "", "role: "+strings.Join(account.Roles.Values, ", "))
	org := fs.String("org", "", "the organisation (team) the user belongs to")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input instead of printing a one-time one")
	name := fs.String("name", "api", "what the token is for")
	rest, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	switch sub {
	case "list":
		users, err := account.ListUsers(ctx, store)
		if err != nil {
			return err
		}
		for _, u := range users {
			state := ""
			if u.Disabled {
				state = " (disabled)"
			}
			fmt.Fprintf(env.Stdout, "%-32s %-12s %s%s\n", u.Email, u.Role, u.Team, state)
		}
		return nil
	case "add", "disable", "token":
	default:
		return fmt.Errorf("%w: unknown user command %q", errUsage, sub)
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: give one email", errUsage)
	}
	email := rest[0]
	return store.Write(ctx, author("user "+sub), func(tx *db.Tx) error {
		switch sub {
		case "disable":
			if err := account.DisableUser(ctx, tx, email); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%s disabled; their sessions and tokens no longer work\n", email)
		case "token":
			token, err := account.NewToken(ctx, tx, email, *role, *name)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%s\n(shown once; it is stored only as a hash)\n", token)
		case "add":
			password := ""
			if *fromStdin {
				line, err := bufio.NewReader(env.Stdin).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("read the password from standard input: %w", err)
				}
				password = strings.TrimRight(line, "\r\n")
			}
			u, oneTime, err := account.AddUser(ctx, tx, email, *role, *org, password)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%s added as %s of %s\n", u.Email, u.Role, u.Team)
			if !*fromStdin {
				fmt.Fprintf(env.Stdout, "one-time password: %s\n", oneTime)
			}
		}
		return nil
	})
}

// runAudit prints the latest entries of the audit log.
func runAudit(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "audit", "")
	limit := fs.Int("n", 50, "how many entries, newest first")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	entries, err := account.AuditLog(ctx, store, *limit)
	if err != nil {
		return err
	}
	for _, e := range entries {
		fmt.Fprintf(env.Stdout, "%s  %-28s %-18s %s %s %s\n", e.At.Format("2006-01-02 15:04:05Z"), e.Actor, e.Action, e.Target, e.Address, e.Detail)
	}
	return nil
}
