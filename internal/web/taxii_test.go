package web_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
)

const collection = "/taxii2/api/collections/4b1e2c0a-6d0f-5f7e-9a51-2f6c3e8d1a40/"

// TestTAXIIBasicAuthentication: a TAXII client that speaks only Basic
// authentication sends an API token as the password, and the server
// (web.New, which finds the viewer) reads the collection as its user; a
// password that is no token is answered 401 as TAXII. The collection
// itself is tested in internal/taxii.
func TestTAXIIBasicAuthentication(t *testing.T) {
	site := newWorkSite(t, dbtest.SQLite(t))
	var token string
	err := site.store.Write(context.Background(), db.Author{Who: "test"}, func(tx *db.Tx) (err error) {
		token, err = account.NewToken(context.Background(), tx, "analyst@b.example", "viewer", "taxii")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for password, want := range map[string]bool{token: true, "not-a-token": false} {
		req := httptest.NewRequest("GET", collection+"objects/", nil)
		req.SetBasicAuth("opencti", password)
		rec := httptest.NewRecorder()
		site.h.ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), site.hidden) != want {
			t.Errorf("Basic authentication with password %.8s…: sees Team B's incident %v, want %v", password, !want, want)
		}
		if !want && (rec.Code != 401 || rec.Header().Get("Content-Type") != "application/taxii+json;version=2.1" ||
			len(rec.Header().Values("WWW-Authenticate")) != 2) {
			t.Errorf("a wrong password: %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Values("WWW-Authenticate"))
		}
	}
}
