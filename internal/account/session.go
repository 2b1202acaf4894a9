package account

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
)

// SessionTTL is how long a session lasts without a new sign-in.
const SessionTTL = 12 * time.Hour

// NewSession starts a session for a user and returns its secret, which
// only the browser's cookie keeps; the store keeps its hash.
func NewSession(ctx context.Context, tx *db.Tx, u *User, address string) (string, error) {
	secret := NewSecret()
	_, err := tx.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		hashSecret(secret), u.ID, tx.Stamp(), db.Timestamp(tx.Now.Add(SessionTTL)))
	if err != nil {
		return "", err
	}
	return secret, Audit(ctx, tx, u.Email, "session.sign-in", "", address, "")
}

// SessionUser returns the user of a live session, or nil.
func SessionUser(ctx context.Context, q db.Querier, secret string, now time.Time) (*User, error) {
	return userBy(ctx, q, `SELECT `+userColumns+` FROM sessions s JOIN users u ON u.id = s.user_id JOIN teams t ON t.id = u.team_id
		WHERE s.token_hash = ? AND s.expires_at > ? AND NOT u.disabled`, hashSecret(secret), db.Timestamp(now))
}

// EndSession signs a session out.
func EndSession(ctx context.Context, tx *db.Tx, secret string) error {
	_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hashSecret(secret))
	return err
}

// NewToken creates an API token for a user, scoped to a role no higher than
// the user's, and returns it: it is shown once and stored as a hash.
func NewToken(ctx context.Context, tx *db.Tx, email, role, name string) (string, error) {
	var u *User
	u, err := userBy(ctx, tx, `SELECT `+userColumns+` FROM users u JOIN teams t ON t.id = u.team_id WHERE u.email = ?`, email)
	if err != nil {
		return "", err
	}
	if u == nil || u.Disabled {
		return "", errors.New("no active user with this email")
	}
	if err := Roles.Check(role); err != nil {
		return "", err
	}
	if rank(role) < rank(u.Role) {
		return "", errors.New("a token's role cannot be above its user's role")
	}
	secret := "ht_" + NewSecret()
	_, err = tx.Exec(ctx, `INSERT INTO api_tokens (token_hash, user_id, role, name, created_at) VALUES (?, ?, ?, ?, ?)`,
		hashSecret(secret), u.ID, role, name, tx.Stamp())
	if err != nil {
		return "", err
	}
	return secret, Audit(ctx, tx, tx.Author.Who, "token.create", email, "", "role "+role+", name "+name)
}

// TokenUser returns the user of a valid API token, with the token's role.
func TokenUser(ctx context.Context, q db.Querier, secret string) (*User, error) {
	var role string
	err := q.QueryRow(ctx, `SELECT role FROM api_tokens WHERE token_hash = ? AND NOT revoked`, hashSecret(secret)).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := userBy(ctx, q, `SELECT `+userColumns+` FROM api_tokens k JOIN users u ON u.id = k.user_id JOIN teams t ON t.id = u.team_id
		WHERE k.token_hash = ? AND NOT u.disabled`, hashSecret(secret))
	if u != nil {
		u.Role = role
	}
	return u, err
}

func userBy(ctx context.Context, q db.Querier, query string, args ...any) (*User, error) {
	u, err := scanUser(q.QueryRow(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return u, err
}

// rank orders roles: 0 is the most trusted.
func rank(role string) int {
	for i, r := range Roles.Values {
		if r == role {
			return i
		}
	}
	return len(Roles.Values)
}

// Allows reports whether a user's role is at least role.
func (u *User) Allows(role string) bool { return u != nil && rank(u.Role) <= rank(role) }
