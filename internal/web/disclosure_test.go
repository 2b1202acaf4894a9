package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/harm"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/web"
)

// mixed is a clear incident whose other records are marked stricter: an
// amber victim of Team A, a red harm naming Team A's analyst, amber
// attributions (to an amber actor and to a clear one), an amber campaign
// and an amber source.
type mixed struct {
	incident, hiddenOrg, redHarm, hiddenAttr, openActor, hiddenActor, campaign, hiddenSource string
	sessions                                                                                 map[string]string // email → session secret
}

// Names and figures of the stricter records; none may show to a viewer who
// may not read them, nor in any figure of the clear incident.
const (
	hiddenVictim   = "Hidden Harbour Refuge"
	hiddenSector   = "Immigration"
	hiddenCountry  = "NO"
	redFigure      = "777,777"
	hiddenActor    = "Shadow Spider"
	hiddenCampaign = "Quiet Campaign"
	hiddenSource   = "Team A field notes"
)

func newMixed(t *testing.T, store *db.DB) *mixed {
	ctx := context.Background()
	m := &mixed{sessions: map[string]string{}}
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		users := map[string]*account.User{}
		for _, u := range []struct{ email, role, team string }{
			{"analyst@a.example", "analyst", "Team A"}, {"viewer@b.example", "viewer", "Team B"},
		} {
			user, _, err := account.AddUser(ctx, tx, u.email, u.role, u.team, "")
			if err != nil {
				return err
			}
			users[u.email] = user
			if m.sessions[u.email], err = account.NewSession(ctx, tx, user, ""); err != nil {
				return err
			}
		}
		teamA := access.Marking{TLP: "amber", Owner: users["analyst@a.example"].TeamID}
		src := &trace.Source{Title: "Public report", Kind: "news", TLP: "clear"}
		notes := &trace.Source{Title: hiddenSource, Kind: "victim-statement", Marking: teamA}
		open := &trace.Organisation{Name: "Open Clinic", Kind: "healthcare-provider", Sector: "Health", Country: "FR", Healthcare: true, TLP: "clear"}
		hidden := &trace.Organisation{Name: hiddenVictim, Kind: "ngo", Sector: hiddenSector, Country: hiddenCountry, Humanitarian: true, Marking: teamA}
		camp := &trace.Campaign{Name: hiddenCampaign, Marking: teamA}
		openActor := &trace.Actor{Name: "Open Spider", Type: "criminal", TLP: "clear"}
		shadow := &trace.Actor{Name: hiddenActor, Type: "criminal", Marking: teamA}
		for _, save := range []func() error{
			func() error { _, err := trace.SaveSource(ctx, tx, src); return err },
			func() error { _, err := trace.SaveSource(ctx, tx, notes); return err },
			func() error { _, err := trace.SaveOrganisation(ctx, tx, open); return err },
			func() error { _, err := trace.SaveOrganisation(ctx, tx, hidden); return err },
			func() error { _, err := trace.SaveCampaign(ctx, tx, camp); return err },
			func() error { _, err := trace.SaveActor(ctx, tx, openActor); return err },
			func() error { _, err := trace.SaveActor(ctx, tx, shadow); return err },
		} {
			if err := save(); err != nil {
				return err
			}
		}
		in := &trace.Incident{Title: "Ransomware at two shelters", AttackTypes: []string{"ransomware"}, Determination: "confirmed",
			Start: "2024-03", Countries: []string{"BE"}, CampaignID: camp.ID, SourceIDs: []string{src.ID, notes.ID},
			Victims: []trace.Victim{{OrganisationID: open.ID}, {OrganisationID: hidden.ID}},
			Marking: access.Marking{TLP: "clear", Owner: teamA.Owner}}
		if _, err := trace.SaveIncident(ctx, tx, in); err != nil {
			return err
		}
		records := &harm.Harm{IncidentID: in.ID, Indicator: "records-exposed", Min: harm.Exact(1234), Max: harm.Exact(1234),
			Certainty: "confirmed", SourceIDs: []string{src.ID}, TLP: "clear"}
		red := &harm.Harm{IncidentID: in.ID, Indicator: "people-affected", Min: harm.Exact(777777), Max: harm.Exact(777777),
			DataTypes: []string{"children"}, Certainty: "confirmed", SourceIDs: []string{src.ID},
			Marking: access.Marking{TLP: "red", Owner: teamA.Owner, Readers: []string{users["analyst@a.example"].ID}}}
		for _, h := range []*harm.Harm{records, red} {
			if _, err := harm.Save(ctx, tx, h); err != nil {
				return err
			}
		}
		var attrs []*trace.Attribution
		for _, actor := range []string{shadow.ID, openActor.ID} {
			a := &trace.Attribution{IncidentID: in.ID, ActorID: actor, AttributedBy: "Team A", Confidence: "likely",
				SourceIDs: []string{src.ID}, Marking: teamA}
			if _, err := trace.SaveAttribution(ctx, tx, a); err != nil {
				return err
			}
			attrs = append(attrs, a)
		}
		m.incident, m.hiddenOrg, m.redHarm, m.hiddenAttr = in.ID, hidden.ID, red.ID, attrs[0].ID
		m.openActor, m.hiddenActor, m.campaign, m.hiddenSource = openActor.ID, shadow.ID, camp.ID, notes.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestStricterRecordsOfAClearIncident checks that a clear incident's
// stricter records count in none of its figures, for anyone, and show on
// its own page and in the API only to whoever may read them.
func TestStricterRecordsOfAClearIncident(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		m := newMixed(t, store)
		h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		fetch := func(email, path string) (int, string) {
			req := httptest.NewRequest("GET", path, nil)
			if email != "" {
				req.AddCookie(&http.Cookie{Name: "harmtrace_session", Value: m.sessions[email]})
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec.Code, rec.Body.String()
		}
		// Names and ids of what Team A's analyst alone may read. Pages with
		// the filter form list every sector and country, so the hidden
		// victim's sector and country are looked for on the others only.
		secrets := []string{hiddenVictim, m.hiddenOrg, redFigure, "777777", hiddenActor, m.hiddenActor, m.redHarm, m.hiddenAttr,
			hiddenCampaign, m.campaign, hiddenSource, m.hiddenSource}
		located := []string{hiddenSector, "/countries/" + hiddenCountry}
		viewers := []string{"", "viewer@b.example", "analyst@a.example"}

		// The figures are the same for everyone: the stricter records count
		// in none of them.
		figures := []struct {
			name, path string
			extra      []string // more that must not show
		}{
			{"dashboard", "/", nil},
			{"dashboard by sector", "/?sector=Health", nil},
			{"incident list", "/incidents", nil},
			{"country page", "/countries/FR", located},
			{"hidden victim's country page", "/countries/" + hiddenCountry, nil},
			{"clear actor's page", "/actors/" + m.openActor, located},
			{"API report", "/api/v1/report", located},
			{"API report by country", "/api/v1/report?country=FR", located},
		}
		for _, email := range viewers {
			for _, f := range figures {
				t.Run(f.name+" for "+or(email, "the public"), func(t *testing.T) {
					code, body := fetch(email, f.path)
					if code != 200 {
						t.Fatalf("status %d", code)
					}
					for _, s := range append(slices.Clone(secrets), f.extra...) {
						if strings.Contains(body, s) {
							t.Errorf("shows %q", s)
						}
					}
				})
			}
			t.Run("report figures for "+or(email, "the public"), func(t *testing.T) {
				for _, path := range []string{"/api/v1/report", "/api/v1/report?attack_type=ransomware"} {
					_, body := fetch(email, path)
					var r report.Report
					if err := json.Unmarshal([]byte(body), &r); err != nil {
						t.Fatal(err)
					}
					got := []int{r.Incidents, r.Organisations, r.Countries, r.Actors, int(r.PeopleAffected.Min), r.PeopleAffected.UnknownIncidents,
						int(r.RecordsExposed.Min)}
					if want := []int{1, 1, 2, 0, 0, 1, 1234}; !slices.Equal(got, want) {
						t.Errorf("%s: incidents, organisations, countries, actors, people, unknown, records = %v, want %v", path, got, want)
					}
					keys := func(b []report.Bucket) string {
						var out []string
						for _, k := range b {
							out = append(out, k.Key)
						}
						slices.Sort(out)
						return strings.Join(out, " ")
					}
					for _, c := range []struct{ name, got, want string }{
						{"sectors", keys(r.BySector), "Health Unknown"}, {"countries", keys(r.ByCountry), "BE FR"},
						{"groups", keys(r.ByGroup), "health care"}, {"data types", keys(r.ByDataType), ""},
					} {
						if c.got != c.want {
							t.Errorf("%s: %s %q, want %q", path, c.name, c.got, c.want)
						}
					}
				}
			})
			t.Run("filters for "+or(email, "the public"), func(t *testing.T) {
				for _, path := range []string{"/?sector=" + hiddenSector, "/?country=" + hiddenCountry, "/?actor=" + m.openActor,
					"/?actor=" + m.hiddenActor, "/?actor=" + strings.ReplaceAll(hiddenActor, " ", "+")} {
					if code, body := fetch(email, path); code != 200 || count(t, body, `id="incidents">([0-9,]+)<`) != 0 {
						t.Errorf("%s: status %d, counts the incident", path, code)
					}
				}
				if _, body := fetch(email, "/incidents?sector="+hiddenSector); count(t, body, `id="result-count">([0-9,]+) incidents`) != 0 {
					t.Errorf("the list by the hidden victim's sector has the incident")
				}
			})
		}

		// The incident's own page and the API show each record to whoever
		// may read it.
		pages := []struct {
			name, path string
			shown      []string // what only Team A's analyst may read
			withheld   []string // what stands for the records left out
		}{
			{"incident page", "/incidents/" + m.incident, []string{hiddenVictim, hiddenSector, "/countries/" + hiddenCountry, redFigure,
				hiddenActor, "/actors/" + m.hiddenActor, hiddenCampaign, m.campaign, hiddenSource}, []string{"a victim not disclosed"}},
			{"API incident", "/api/v1/incidents/" + m.incident, []string{m.hiddenOrg, m.redHarm, "777777", m.hiddenAttr, m.hiddenActor,
				m.campaign, m.hiddenSource}, []string{`"undisclosed_victims": 1`}},
			{"API incidents", "/api/v1/incidents", []string{m.hiddenOrg, m.campaign, m.hiddenSource}, []string{`"undisclosed_victims": 1`}},
			{"API incidents by sector", "/api/v1/incidents?sector=Health", []string{m.hiddenOrg, m.campaign, m.hiddenSource},
				[]string{`"undisclosed_victims": 1`}},
		}
		for _, email := range viewers {
			reads := email == "analyst@a.example"
			for _, p := range pages {
				t.Run(p.name+" for "+or(email, "the public"), func(t *testing.T) {
					code, body := fetch(email, p.path)
					if code != 200 {
						t.Fatalf("status %d", code)
					}
					if !strings.Contains(body, "Open Clinic") && !strings.Contains(body, `"organisation_id"`) {
						t.Errorf("the readable victim is missing: %.300s", body)
					}
					for _, s := range p.shown {
						if strings.Contains(body, s) != reads {
							t.Errorf("shows %q: %v, want %v", s, !reads, reads)
						}
					}
					for _, s := range p.withheld {
						if strings.Contains(body, s) == reads {
							t.Errorf("says %q: %v, want %v", s, reads, !reads)
						}
					}
				})
			}
			// A hidden actor's page answers like a missing one.
			if code, _ := fetch(email, "/actors/"+m.hiddenActor); (code == 200) != reads {
				t.Errorf("the hidden actor's page for %s: %d", or(email, "the public"), code)
			}
		}
	})
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
