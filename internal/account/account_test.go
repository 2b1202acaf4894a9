package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
)

var ctx = context.Background()

func TestPasswordHashing(t *testing.T) {
	hash, err := account.HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash = %s", hash)
	}
	for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapler": false, "": false} {
		if ok, err := account.CheckPassword(hash, pw); ok != want || err != nil {
			t.Errorf("CheckPassword(%q) = %v, %v", pw, ok, err)
		}
	}
	other, _ := account.HashPassword("correct horse battery staple")
	if other == hash {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestUsersSessionsTokensAndAudit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		var u *account.User
		var password, session, token string
		write := func(fn func(tx *db.Tx) error) {
			t.Helper()
			if err := store.Write(ctx, db.Author{Who: "admin@example.org"}, fn); err != nil {
				t.Fatal(err)
			}
		}
		write(func(tx *db.Tx) (err error) {
			u, password, err = account.AddUser(ctx, tx, "Analyst@Example.org", "analyst", "Example CERT", "")
			return err
		})
		if u.Email != "analyst@example.org" || len(password) < 20 {
			t.Fatalf("user %+v, one-time password %q", u, password)
		}
		if _, err := account.Authenticate(ctx, store, "analyst@example.org", "wrong password!"); !errors.Is(err, account.ErrBadCredentials) {
			t.Errorf("a wrong password: %v", err)
		}
		if _, err := account.Authenticate(ctx, store, "nobody@example.org", password); !errors.Is(err, account.ErrBadCredentials) {
			t.Errorf("an unknown email: %v", err)
		}
		got, err := account.Authenticate(ctx, store, "ANALYST@example.org", password)
		if err != nil || got.ID != u.ID || got.Team != "Example CERT" {
			t.Fatalf("authenticate = %+v, %v", got, err)
		}
		write(func(tx *db.Tx) (err error) {
			session, err = account.NewSession(ctx, tx, got, "192.0.2.1")
			if err != nil {
				return err
			}
			token, err = account.NewToken(ctx, tx, u.Email, "viewer", "dashboard script")
			return err
		})
		// The store keeps only hashes of the secrets and of the password.
		for _, q := range []string{`SELECT COUNT(*) FROM sessions WHERE token_hash = ?`, `SELECT COUNT(*) FROM api_tokens WHERE token_hash = ?`,
			`SELECT COUNT(*) FROM users WHERE password_hash = ?`} {
			for _, secret := range []string{session, token, password} {
				var n int
				if err := store.QueryRow(ctx, q, secret).Scan(&n); err != nil || n != 0 {
					t.Errorf("%s holds a secret in clear (%v)", q, err)
				}
			}
		}
		if su, err := account.SessionUser(ctx, store, session, time.Now()); err != nil || su == nil || su.ID != u.ID {
			t.Errorf("session user = %+v, %v", su, err)
		}
		if su, _ := account.SessionUser(ctx, store, session, time.Now().Add(account.SessionTTL+time.Minute)); su != nil {
			t.Error("an expired session still signs in")
		}
		if tu, err := account.TokenUser(ctx, store, token); err != nil || tu == nil || tu.Role != "viewer" {
			t.Errorf("token user = %+v, %v; want the analyst scoped to viewer", tu, err)
		}
		write(func(tx *db.Tx) error {
			_, err := account.NewToken(ctx, tx, u.Email, "admin", "escalation")
			if err == nil {
				t.Error("a token above its user's role was created")
			}
			return account.DisableUser(ctx, tx, u.Email)
		})
		if su, _ := account.SessionUser(ctx, store, session, time.Now()); su != nil {
			t.Error("a disabled user's session still works")
		}
		if tu, _ := account.TokenUser(ctx, store, token); tu != nil {
			t.Error("a disabled user's token still works")
		}
		if _, err := account.Authenticate(ctx, store, u.Email, password); !errors.Is(err, account.ErrBadCredentials) {
			t.Error("a disabled user signs in")
		}
		log, err := account.AuditLog(ctx, store, 10)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range log {
			actions = append(actions, e.Action)
		}
		if got := strings.Join(actions, ","); got != "user.disable,token.create,session.sign-in,user.add" {
			t.Errorf("audit log = %s", got)
		}
	})
}

func TestAddUserValidation(t *testing.T) {
	store := dbtest.SQLite(t)
	for _, tt := range []struct{ email, role, team, password, want string }{
		{"not an email", "analyst", "X", "", `"email"`},
		{"a@example.org", "boss", "X", "", `"role"`},
		{"a@example.org", "analyst", "", "", `"org"`},
		{"a@example.org", "analyst", "X", "short", `"password"`},
	} {
		err := store.Write(ctx, db.Author{Who: "t"}, func(tx *db.Tx) error {
			_, _, err := account.AddUser(ctx, tx, tt.email, tt.role, tt.team, tt.password)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("AddUser(%q, %q, %q) = %v, want an error naming %s", tt.email, tt.role, tt.team, err, tt.want)
		}
	}
}
