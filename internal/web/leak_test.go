package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/web"
)

// marked is one incident per marking, each with its own victim name.
var marked = []struct {
	tlp, victim string
}{
	{"clear", "Alpha Clinic"}, {"green", "Bravo Clinic"}, {"amber", "Charlie Clinic"},
	{"amber+strict", "Delta Clinic"}, {"red", "Echo Clinic"},
}

// TestLeakMatrix checks every viewer against every marking on every public
// surface: the dashboard's count, the list's count, search hits, the
// incident page, the CSV download, and the actor and country pages' counts.
// A viewer sees an incident on a surface exactly when its marking allows.
func TestLeakMatrix(t *testing.T) {
	ctx := context.Background()
	store := dbtest.SQLite(t)
	users := map[string]*account.User{}
	ids := map[string]string{}
	var actorID string
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		for _, u := range []struct{ email, role, team string }{
			{"owner@a.example", "viewer", "Team A"}, {"partner@b.example", "analyst", "Team B"},
			{"other@c.example", "viewer", "Team C"}, {"reader@c.example", "viewer", "Team C"},
			{"admin@d.example", "admin", "Team D"}, {"analyst@d.example", "analyst", "Team D"},
			{"caseworker@d.example", "case-worker", "Team D"}, {"volunteer@d.example", "volunteer", "Team D"},
			{"owner-admin@a.example", "admin", "Team A"},
		} {
			user, _, err := account.AddUser(ctx, tx, u.email, u.role, u.team, "")
			if err != nil {
				return err
			}
			users[u.email] = user
		}
		src := &trace.Source{Title: "test", Kind: "news", TLP: "clear"}
		if _, err := trace.SaveSource(ctx, tx, src); err != nil {
			return err
		}
		actor := &trace.Actor{Name: "Matrix Spider", Type: "criminal", TLP: "clear"}
		if _, err := trace.SaveActor(ctx, tx, actor); err != nil {
			return err
		}
		actorID = actor.ID
		for _, m := range marked {
			marking := access.Marking{TLP: m.tlp, Owner: users["owner@a.example"].TeamID}
			if m.tlp == "amber" {
				marking.SharedWith = []string{users["partner@b.example"].TeamID}
			}
			if m.tlp == "red" {
				marking.Readers = []string{users["reader@c.example"].ID}
			}
			// The victim is named by this incident alone: it takes its marking.
			org := &trace.Organisation{Name: m.victim, Kind: "healthcare-provider", Country: "FR", Sector: "Health", Marking: marking}
			if _, err := trace.SaveOrganisation(ctx, tx, org); err != nil {
				return err
			}
			in := &trace.Incident{Title: "Attack on " + m.victim, AttackTypes: []string{"ransomware"}, Determination: "confirmed",
				Start: "2025-01", Marking: marking, Victims: []trace.Victim{{OrganisationID: org.ID}},
				SourceIDs: []string{src.ID}}
			if _, err := trace.SaveIncident(ctx, tx, in); err != nil {
				return err
			}
			ids[m.tlp] = in.ID
			a := &trace.Attribution{IncidentID: in.ID, ActorID: actor.ID, AttributedBy: "test", Confidence: "likely", SourceIDs: []string{src.ID},
				Marking: marking}
			if _, err := trace.SaveAttribution(ctx, tx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	viewers := []struct {
		name    string
		email   string // "" for the public
		bearer  bool
		visible string // markings this viewer may see
	}{
		{"public", "", false, "clear"},
		{"owning team", "owner@a.example", false, "clear green amber amber+strict"},
		{"owning team by API token", "owner@a.example", true, "clear green amber amber+strict"},
		{"team shared with", "partner@b.example", false, "clear green amber"},
		{"other team", "other@c.example", false, "clear green"},
		{"named reader", "reader@c.example", false, "clear green red"},
		// Roles rank what a user may do, not what they may see: an admin of
		// another team sees no more than its volunteer.
		{"admin of another team", "admin@d.example", false, "clear green"},
		{"analyst of another team", "analyst@d.example", false, "clear green"},
		{"case worker of another team", "caseworker@d.example", false, "clear green"},
		{"volunteer of another team", "volunteer@d.example", false, "clear green"},
		{"admin of the owning team", "owner-admin@a.example", false, "clear green amber amber+strict"},
	}
	for _, v := range viewers {
		t.Run(v.name, func(t *testing.T) {
			auth := func(req *http.Request) {}
			if v.email != "" {
				var secret string
				err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) (err error) {
					if v.bearer {
						secret, err = account.NewToken(ctx, tx, v.email, users[v.email].Role, "test")
					} else {
						secret, err = account.NewSession(ctx, tx, users[v.email], "")
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				auth = func(req *http.Request) {
					if v.bearer {
						req.Header.Set("Authorization", "Bearer "+secret)
					} else {
						req.AddCookie(&http.Cookie{Name: "harmtrace_session", Value: secret})
					}
				}
			}
			fetch := func(path string) (int, string) {
				req := httptest.NewRequest("GET", path, nil)
				auth(req)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec.Code, rec.Body.String()
			}
			want := 0
			for _, m := range marked {
				allowed := strings.Contains(" "+v.visible+" ", " "+m.tlp+" ")
				if allowed {
					want++
				}
				code, _ := fetch("/incidents/" + ids[m.tlp])
				if (code == 200) != allowed {
					t.Errorf("%s incident page: %d (allowed %v)", m.tlp, code, allowed)
				}
				_, body := fetch("/incidents?q=" + strings.ReplaceAll(m.victim, " ", "+"))
				if got := count(t, body, `id="result-count">([0-9,]+) incidents`); (got == 1) != allowed {
					t.Errorf("%s search hits: %d (allowed %v)", m.tlp, got, allowed)
				}
				if _, body := fetch(collection + "objects/"); strings.Contains(body, m.victim) != allowed {
					t.Errorf("%s in the TAXII collection: %v (allowed %v)", m.tlp, !allowed, allowed)
				}
				for _, file := range []string{"csv", "json", "stix"} {
					if _, body := fetch("/download/incidents." + file); strings.Contains(body, m.victim) != allowed {
						t.Errorf("%s in the %s download: %v (allowed %v)", m.tlp, file, !allowed, allowed)
					}
				}
				if v.email != "" && users[v.email].Allows("analyst") && !v.bearer {
					for _, path := range []string{"/work/incidents/", "/history/"} {
						if code, _ := fetch(path + ids[m.tlp]); (code == 200) != allowed {
							t.Errorf("%s at %s: %d (allowed %v)", m.tlp, path, code, allowed)
						}
					}
					if _, body := fetch("/work"); strings.Contains(body, m.victim) != allowed {
						t.Errorf("%s in the workspace's list: %v (allowed %v)", m.tlp, !allowed, allowed)
					}
				}
				for _, path := range []string{"/api/v1/incidents/", "/api/v1/revisions/"} {
					if code, _ := fetch(path + ids[m.tlp]); (code == 200) != allowed {
						t.Errorf("%s at %s: %d (allowed %v)", m.tlp, path, code, allowed)
					}
				}
				for _, path := range []string{"/api/v1/organisations", "/api/v1/incidents"} {
					_, body := fetch(path + "?q=" + strings.ReplaceAll(m.victim, " ", "+"))
					if got := count(t, body, `"total": ([0-9]+)`); (got == 1) != allowed {
						t.Errorf("%s hits at %s: %d (allowed %v)", m.tlp, path, got, allowed)
					}
				}
			}
			for _, surface := range []struct{ path, pattern string }{
				{"/", `id="incidents">([0-9,]+)<`},
				{"/incidents", `id="result-count">([0-9,]+) incidents`},
				{"/actors/" + actorID, `[Aa]t least ([0-9,]+) cyberattack`},
				{"/countries/FR", `[Aa]t least ([0-9,]+) cyberattack`},
				{"/api/v1/report", `"incidents": ([0-9]+)`},
				{"/api/v1/report?country=FR&attack_type=ransomware", `"incidents": ([0-9]+)`},
			} {
				_, body := fetch(surface.path)
				if got := count(t, body, surface.pattern); got != want {
					t.Errorf("%s counts %d incidents, want %d", surface.path, got, want)
				}
			}
		})
	}
}

// count reads the first number the pattern captures; 0 when absent.
func count(t *testing.T, body, pattern string) int {
	m := regexp.MustCompile(pattern).FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	var n int
	fmt.Sscanf(strings.ReplaceAll(m[1], ",", ""), "%d", &n)
	return n
}
