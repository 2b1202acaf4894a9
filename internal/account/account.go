package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// Roles, from the most to the least trusted.
var Roles = vocab.List{Name: "role", Values: []string{"admin", "analyst", "case-worker", "volunteer", "viewer"}}

// User is a person who signs in.
type User struct {
	ID       string    `json:"id"`
	Email    string    `json:"email"`
	Role     string    `json:"role"`
	TeamID   string    `json:"team_id"`
	Team     string    `json:"team"`
	Disabled bool      `json:"disabled"`
	Created  time.Time `json:"created"`
}

// ErrBadCredentials is returned for an unknown email, a wrong password or
// a disabled account alike, so a sign-in form does not tell them apart.
var ErrBadCredentials = errors.New("wrong email or password")

// teamID returns the id of the team with this name, creating it.
func teamID(ctx context.Context, tx *db.Tx, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", errors.New("field \"org\": every user belongs to an organisation")
	}
	ids, err := db.Column[string](ctx, tx, `SELECT id FROM teams WHERE name = ?`, name)
	if err != nil || len(ids) > 0 {
		if len(ids) > 0 {
			return ids[0], nil
		}
		return "", err
	}
	id := trace.NewID("team")
	_, err = tx.Exec(ctx, `INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?)`, id, name, tx.Stamp())
	return id, err
}

// MaxEmail is the longest email address, in bytes, that SMTP can carry
// (RFC 5321's 256-octet path less its angle brackets); sign-in refuses
// longer ones before doing anything with them.
const MaxEmail = 254

// AddUser creates a user with a password (a random one when empty, which
// is returned so it can be shown once).
func AddUser(ctx context.Context, tx *db.Tx, email, role, team, password string) (*User, string, error) {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != strings.TrimSpace(email) {
		return nil, "", fmt.Errorf("field \"email\": %q is not an email address", email)
	}
	if len(addr.Address) > MaxEmail {
		return nil, "", fmt.Errorf("field \"email\": longer than %d bytes", MaxEmail)
	}
	if err := Roles.Check(role); err != nil {
		return nil, "", fmt.Errorf("field \"role\": %w", err)
	}
	if password == "" {
		password = NewSecret()[:20]
	} else if len(password) < 12 {
		return nil, "", errors.New("field \"password\": use at least 12 characters")
	}
	tid, err := teamID(ctx, tx, team)
	if err != nil {
		return nil, "", err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, "", err
	}
	u := &User{ID: trace.NewID("user"), Email: strings.ToLower(addr.Address), Role: role, TeamID: tid, Team: team, Created: tx.Now}
	_, err = tx.Exec(ctx, `INSERT INTO users (id, email, role, team_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.Role, u.TeamID, hash, tx.Stamp())
	if err != nil {
		return nil, "", fmt.Errorf("add user %s: %w (is the email already used?)", u.Email, err)
	}
	return u, password, Audit(ctx, tx, tx.Author.Who, "user.add", u.Email, "", "role "+role+", organisation "+team)
}

const userColumns = `u.id, u.email, u.role, u.team_id, t.name, u.disabled, u.created_at`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var created string
	if err := row.Scan(&u.ID, &u.Email, &u.Role, &u.TeamID, &u.Team, &u.Disabled, &created); err != nil {
		return nil, err
	}
	u.Created, _ = time.Parse(time.RFC3339Nano, created)
	return &u, nil
}

// ListUsers returns every user, by email.
func ListUsers(ctx context.Context, q db.Querier) ([]User, error) {
	return listUsers(ctx, q, `SELECT `+userColumns+` FROM users u JOIN teams t ON t.id = u.team_id ORDER BY u.email`)
}

// TeamUsers returns the users of a team who are not disabled, by email.
func TeamUsers(ctx context.Context, q db.Querier, teamID string) ([]User, error) {
	return listUsers(ctx, q, `SELECT `+userColumns+` FROM users u JOIN teams t ON t.id = u.team_id
		WHERE u.team_id = ? AND u.disabled = ? ORDER BY u.email`, teamID, false)
}

func listUsers(ctx context.Context, q db.Querier, query string, args ...any) ([]User, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// DisableUser disables an account and ends its sessions and tokens.
func DisableUser(ctx context.Context, tx *db.Tx, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	res, err := tx.Exec(ctx, `UPDATE users SET disabled = TRUE WHERE email = ?`, email)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %s: %w", email, db.ErrNotFound)
	}
	for _, q := range []string{`DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE email = ?)`,
		`UPDATE api_tokens SET revoked = TRUE WHERE user_id IN (SELECT id FROM users WHERE email = ?)`} {
		if _, err := tx.Exec(ctx, q, email); err != nil {
			return err
		}
	}
	return Audit(ctx, tx, tx.Author.Who, "user.disable", email, "", "")
}

// Authenticate checks an email and password.
func Authenticate(ctx context.Context, q db.Querier, email, password string) (*User, error) {
	var hash string
	row := q.QueryRow(ctx, `SELECT `+userColumns+`, u.password_hash FROM users u JOIN teams t ON t.id = u.team_id WHERE u.email = ?`,
		strings.ToLower(strings.TrimSpace(email)))
	var u User
	var created string
	err := row.Scan(&u.ID, &u.Email, &u.Role, &u.TeamID, &u.Team, &u.Disabled, &created, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		// Spend the same time as a real check, so timing does not tell
		// which emails exist.
		_, _ = CheckPassword(dummyHash, password)
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	ok, err := CheckPassword(hash, password)
	if err != nil || !ok || u.Disabled {
		return nil, ErrBadCredentials
	}
	return &u, nil
}

// dummyHash is checked against for unknown emails.
var dummyHash, _ = HashPassword("harmtrace timing equaliser")
