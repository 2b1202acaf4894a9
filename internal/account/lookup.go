package account

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
)

// ErrNoSuch is returned, wrapped, for a team name or an email that names
// no team or user.
var ErrNoSuch = errors.New("no such team or user")

// TeamIDs turns organisation (team) names into their ids, naming the first
// name that is not a team.
func TeamIDs(ctx context.Context, q db.Querier, names []string) ([]string, error) {
	return lookup(ctx, q, `SELECT id FROM teams WHERE name = ?`, names, "no organisation named %q has accounts here")
}

// TeamNames turns team ids back into names (an unknown id stays as it is).
func TeamNames(ctx context.Context, q db.Querier, ids []string) ([]string, error) {
	return reverse(ctx, q, `SELECT name FROM teams WHERE id = ?`, ids)
}

// UserIDs turns emails into user ids, naming the first unknown email.
func UserIDs(ctx context.Context, q db.Querier, emails []string) ([]string, error) {
	lower := make([]string, len(emails))
	for i, e := range emails {
		lower[i] = strings.ToLower(strings.TrimSpace(e))
	}
	return lookup(ctx, q, `SELECT id FROM users WHERE email = ?`, lower, "no user with the email %q")
}

// UserEmails turns user ids back into emails (an unknown id stays as it is).
func UserEmails(ctx context.Context, q db.Querier, ids []string) ([]string, error) {
	return reverse(ctx, q, `SELECT email FROM users WHERE id = ?`, ids)
}

func lookup(ctx context.Context, q db.Querier, query string, keys []string, unknown string) ([]string, error) {
	var out []string
	for _, k := range keys {
		ids, err := db.Column[string](ctx, q, query, k)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			return nil, fmt.Errorf("%w: "+unknown, ErrNoSuch, k)
		}
		out = append(out, ids[0])
	}
	return out, nil
}

func reverse(ctx context.Context, q db.Querier, query string, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		names, err := db.Column[string](ctx, q, query, id)
		if err != nil {
			return nil, err
		}
		if len(names) == 0 {
			out = append(out, id)
			continue
		}
		out = append(out, names[0])
	}
	return out, nil
}
