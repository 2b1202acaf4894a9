package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/inventory"
	"github.com/harmtrace/harmtrace/internal/kev"
	"github.com/harmtrace/harmtrace/internal/outbox"
	"github.com/harmtrace/harmtrace/internal/outbox/outboxtest"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// preventSite is the case site with the prevention records: an
// organisation (Matrix Refuge) whose inventory Team A keeps and whose own
// team (Refuge Team: an admin and a viewer) reads; its alerts; Team A's
// case about it, taken by worker@a and assigned to volunteer@a; a second
// incident naming it, hence a warning; a volunteer task on the case
// assigned to volunteer@a; a webhook of Team A.
type preventSite struct {
	*caseSite
	org, caseA, warning, task, alert, incident string
}

const (
	preventTitle    = "Matrix task: rotate the refuge's passwords"
	preventEmployer = "Matrix Employer Ltd"
	preventHook     = "https://hooks.matrix.example/team-a"
)

func newPreventSite(t *testing.T, store *db.DB) *preventSite {
	t.Helper()
	ctx := context.Background()
	s := &preventSite{caseSite: newCaseSite(t, store)}
	if err := kev.EnsureBundled(ctx, store); err != nil {
		t.Fatal(err)
	}
	err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		for _, u := range []struct{ email, role string }{{"admin@refuge.example", "admin"}, {"viewer@refuge.example", "viewer"}} {
			user, _, err := account.AddUser(ctx, tx, u.email, u.role, "Refuge Team", "")
			if err != nil {
				return err
			}
			s.ids[u.email] = user.ID
			if s.sessions[u.email], err = account.NewSession(ctx, tx, user, ""); err != nil {
				return err
			}
		}
		o := &trace.Organisation{Name: "Matrix Refuge", Kind: "ngo", Marking: access.Marking{TLP: "green"}}
		if _, err := trace.SaveOrganisation(ctx, tx, o); err != nil {
			return err
		}
		s.org = o.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	teamA, teamRefuge := s.team(t, "worker@a.example"), s.team(t, "admin@refuge.example")
	err = store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		it := inventory.Item{OrganisationID: s.org, Vendor: "Microsoft", Product: "Exchange Server", Version: "2019"}
		if _, err := inventory.Add(ctx, tx, teamA, &it); err != nil {
			return err
		}
		if err := inventory.AddMember(ctx, tx, s.org, teamRefuge); err != nil {
			return err
		}
		_, _, err := outbox.AddWebhook(ctx, tx, teamA, preventHook)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Items are matched as they are added through the API.
	if code, body := s.do("worker@a.example", "POST", "/api/v1/organisations/"+s.org+"/inventory", `{"vendor": "Git", "product": "Git"}`); code != 201 {
		t.Fatalf("add an item: %d %s", code, body)
	}
	s.alert = s.column(t, `SELECT id FROM alerts WHERE organisation_id = ? ORDER BY cve LIMIT 1`, s.org)
	// The case: reported, taken by worker@a with volunteer@a, linked.
	_, s.caseA = s.report(t, `{"organisation": {"name": "Matrix Refuge", "country": "FR"}, "attack_types": ["phishing"],
		"what_happened": "Matrix story of the refuge", "contact": {"email": "refuge@matrix.example"}, "consent": {"contact_me": true}}`)
	if code, body := s.do("worker@a.example", "PATCH", "/api/v1/cases/"+s.caseA,
		fmt.Sprintf(`{"assigned": [%q, %q]}`, s.ids["worker@a.example"], s.ids["volunteer@a.example"])); code != 200 {
		t.Fatalf("assign: %d %s", code, body)
	}
	if code, body := s.do("worker@a.example", "POST", "/work/cases/"+s.caseA+"/organisation", "organisation=Matrix+Refuge"); code != http.StatusSeeOther {
		t.Fatalf("link the case: %d %s", code, body)
	}
	// The volunteer's profile, vetted; a task on the case for them.
	if code, body := s.do("volunteer@a.example", "PUT", "/api/v1/volunteers/"+s.ids["volunteer@a.example"],
		`{"skills": ["email-security"], "languages": ["fr"], "time_zone": "Europe/Paris", "hours_per_month": 20, "employer": "`+preventEmployer+`"}`); code != 200 {
		t.Fatalf("profile: %d %s", code, body)
	}
	if code, body := s.do("worker@a.example", "POST", "/work/volunteers/"+s.ids["volunteer@a.example"], "vetting=vetted"); code != http.StatusSeeOther {
		t.Fatalf("vetting: %d %s", code, body)
	}
	code, body := s.do("worker@a.example", "POST", "/api/v1/cases/"+s.caseA+"/volunteer-tasks",
		`{"title": "`+preventTitle+`", "skills": ["email-security"], "languages": ["fr"], "time_zone": "Europe/Paris", "hours": 4}`)
	if code != 201 {
		t.Fatalf("task: %d %s", code, body)
	}
	s.task = s.column(t, `SELECT id FROM volunteer_tasks WHERE case_id = ?`, s.caseA)
	if code, body := s.do("worker@a.example", "POST", "/api/v1/volunteer-tasks/"+s.task+"/assign", fmt.Sprintf(`{"user_id": %q}`, s.ids["volunteer@a.example"])); code != 200 {
		t.Fatalf("assign the task: %d %s", code, body)
	}
	// A new incident names the refuge: a warning for the case.
	s.incident = s.newIncident(t, "Matrix Refuge attacked again")
	s.warning = s.column(t, `SELECT id FROM warnings WHERE case_id = ?`, s.caseA)
	return s
}

func (s *preventSite) team(t *testing.T, email string) string {
	return s.column(t, `SELECT team_id FROM users WHERE email = ?`, email)
}

func (s *preventSite) column(t *testing.T, query string, args ...any) string {
	t.Helper()
	ids, err := db.Column[string](context.Background(), s.store, query, args...)
	if err != nil || len(ids) == 0 {
		t.Fatalf("%s: %v %v", query, ids, err)
	}
	return ids[0]
}

// newIncident saves an incident naming the refuge, as an import would.
func (s *preventSite) newIncident(t *testing.T, title string) string {
	t.Helper()
	ctx := context.Background()
	var id string
	err := s.store.Write(ctx, db.Author{Who: "analyst@a.example"}, func(tx *db.Tx) error {
		src := &trace.Source{Title: "A news report on the refuge", Kind: "news", URL: "https://news.example/refuge", Marking: access.Marking{TLP: "green"}}
		if _, err := trace.SaveSource(ctx, tx, src); err != nil {
			return err
		}
		in := &trace.Incident{Title: title, AttackTypes: []string{"ransomware"}, Determination: "confirmed", SourceIDs: []string{src.ID},
			Victims: []trace.Victim{{OrganisationID: s.org, Role: "victim"}}, Marking: access.Marking{TLP: "green"}}
		if _, err := trace.SaveIncident(ctx, tx, in); err != nil {
			return err
		}
		id = in.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// preventRoute is a prevention route with the request the matrix sends;
// who says who may (the allowed set).
type preventRoute struct {
	route string
	path  string
	body  string
	who   []string
	// refused are those who get 403 (they may read, not do this).
	refused []string
}

var (
	inventoryReaders = []string{"worker@a.example", "admin@a.example", "admin@refuge.example", "viewer@refuge.example"}
	inventoryWriters = []string{"worker@a.example", "admin@a.example", "admin@refuge.example"}
	caseManagers     = []string{"worker@a.example", "admin@a.example"}
	taskWorkers      = []string{"worker@a.example", "admin@a.example", "volunteer@a.example"}
	helpers          = []string{"worker@a.example", "admin@a.example", "worker@b.example", "admin@refuge.example"}
	admins           = []string{"admin@a.example", "admin@refuge.example"}
	volunteers       = []string{"volunteer@a.example", "other-volunteer@a.example"}
	everyone         = []string{"worker@a.example", "admin@a.example", "analyst@a.example", "volunteer@a.example", "other-volunteer@a.example",
		"worker@b.example", "viewer@b.example", "admin@refuge.example", "viewer@refuge.example"}
)

func (s *preventSite) routes() []preventRoute {
	vol := s.ids["volunteer@a.example"]
	return []preventRoute{
		{"GET /work/organisations/{id}/inventory", "/work/organisations/{org}/inventory", "", inventoryReaders, nil},
		{"GET /work/organisations/{id}/alerts", "/work/organisations/{org}/alerts", "", inventoryReaders, nil},
		{"GET /api/v1/organisations/{id}/inventory", "/api/v1/organisations/{org}/inventory", "", inventoryReaders, nil},
		{"POST /work/organisations/{id}/inventory", "/work/organisations/{org}/inventory", "action=add&vendor=Git&product=Git", inventoryWriters, []string{"viewer@refuge.example"}},
		{"POST /api/v1/organisations/{id}/inventory", "/api/v1/organisations/{org}/inventory", `{"vendor": "Git", "product": "Git"}`, inventoryWriters, []string{"viewer@refuge.example"}},
		{"DELETE /api/v1/organisations/{id}/inventory/{item}", "/api/v1/organisations/{org}/inventory/{item}", "", inventoryWriters, []string{"viewer@refuge.example"}},
		{"POST /work/alerts/{id}", "/work/alerts/{alert}", "state=acknowledged&reason=matrix", inventoryWriters, []string{"viewer@refuge.example"}},
		{"PATCH /api/v1/alerts/{id}", "/api/v1/alerts/{alert}", `{"state": "acknowledged", "reason": "matrix"}`, inventoryWriters, []string{"viewer@refuge.example"}},
		{"GET /work/alerts", "/work/alerts", "", everyone, nil},
		{"GET /api/v1/alerts", "/api/v1/alerts", "", everyone, nil},
		{"GET /work/warnings", "/work/warnings", "", helpers, nil},
		{"GET /api/v1/warnings", "/api/v1/warnings", "", helpers, nil},
		{"POST /work/warnings/{id}", "/work/warnings/{warning}", "", caseManagers, nil},
		{"POST /work/cases/{id}/organisation", "/work/cases/{case}/organisation", "organisation={org}", caseManagers, []string{"volunteer@a.example"}},
		{"POST /api/v1/cases/{id}/organisations", "/api/v1/cases/{case}/organisations", `{"organisation": "{org}"}`, caseManagers, []string{"volunteer@a.example"}},
		{"GET /work/notifications", "/work/notifications", "", everyone, nil},
		{"POST /work/notifications", "/work/notifications", "email=no", everyone, nil},
		{"GET /admin/notifications", "/admin/notifications", "", admins, nil},
		{"POST /admin/notifications", "/admin/notifications", "action=webhook&url=https%3A%2F%2Fhooks.example%2Fx", admins, nil},
		{"GET /api/v1/notifications", "/api/v1/notifications", "", admins, nil},
		{"GET /work/volunteer", "/work/volunteer", "", volunteers, nil},
		{"POST /work/volunteer", "/work/volunteer", "skill=email-security&languages=fr&time_zone=Europe%2FParis&hours_per_month=20", volunteers, nil},
		{"GET /api/v1/volunteer/tasks", "/api/v1/volunteer/tasks", "", everyone, nil},
		{"GET /work/tasks/{id}", "/work/tasks/{task}", "", taskWorkers, nil},
		{"POST /work/tasks/{id}", "/work/tasks/{task}", "hours=0.5&date={today}", taskWorkers, nil},
		{"POST /api/v1/volunteer-tasks/{id}/hours", "/api/v1/volunteer-tasks/{task}/hours", `{"hours": 0.5, "date": "{today}"}`, taskWorkers, nil},
		{"GET /work/cases/{id}/volunteers", "/work/cases/{case}/volunteers", "", caseManagers, []string{"volunteer@a.example"}},
		{"POST /work/cases/{id}/volunteers", "/work/cases/{case}/volunteers", "action=task&title=Matrix+more&time_zone=UTC", caseManagers, []string{"volunteer@a.example"}},
		{"POST /api/v1/cases/{id}/volunteer-tasks", "/api/v1/cases/{case}/volunteer-tasks", `{"title": "Matrix more"}`, caseManagers, []string{"volunteer@a.example"}},
		{"GET /api/v1/volunteer-tasks/{id}/matches", "/api/v1/volunteer-tasks/{task}/matches", "", caseManagers, []string{"volunteer@a.example"}},
		{"POST /api/v1/volunteer-tasks/{id}/assign", "/api/v1/volunteer-tasks/{task}/assign", `{"user_id": "` + vol + `"}`, caseManagers, []string{"volunteer@a.example"}},
		{"GET /work/volunteers", "/work/volunteers", "", helpers, nil},
		{"POST /work/volunteers/{id}", "/work/volunteers/{volunteer}", "vetting=vetted", caseManagers, []string{"volunteer@a.example"}},
		{"GET /api/v1/volunteers/{id}", "/api/v1/volunteers/{volunteer}", "", taskWorkers, nil},
		{"PUT /api/v1/volunteers/{id}", "/api/v1/volunteers/{volunteer}",
			`{"skills": ["email-security"], "languages": ["fr"], "time_zone": "Europe/Paris", "hours_per_month": 20, "employer": "` + preventEmployer + `"}`,
			[]string{"volunteer@a.example"}, []string{"worker@a.example", "admin@a.example"}},
	}
}

// preventMatrixRoutes are the routes TestPreventionAccessMatrix walks.
func preventMatrixRoutes() []string {
	var out []string
	for _, r := range (&preventSite{caseSite: &caseSite{ids: map[string]string{}}}).routes() {
		out = append(out, r.route)
	}
	return out
}

// TestPreventionAccessMatrix walks every prevention route for every
// viewer, the public and the volunteer role included, on both stores:
// who may answers 2xx or 3xx, who may read but not do answers 403, anyone
// else 404 (as for a missing record) or, for a role's page, 403; and no
// denied answer shows the task, the employer, the webhook or the warning.
func TestPreventionAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		s := newPreventSite(t, store)
		leaks, wrong, requests := 0, 0, 0
		viewers := append([]string{""}, everyone...)
		for _, pr := range s.routes() {
			for _, v := range viewers {
				item := ""
				if strings.Contains(pr.path, "{item}") {
					err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
						it := inventory.Item{OrganisationID: s.org, Vendor: "Matrix", Product: "Removable " + v}
						_, err := inventory.Add(ctx, tx, "", &it)
						item = it.ID
						return err
					})
					if err != nil {
						t.Fatal(err)
					}
				}
				r := strings.NewReplacer("{org}", s.org, "{case}", s.caseA, "{warning}", s.warning, "{task}", s.task, "{alert}", s.alert,
					"{item}", item, "{volunteer}", s.ids["volunteer@a.example"], "{today}", "2026-01-02")
				method, _, _ := strings.Cut(pr.route, " ")
				code, body := s.do(v, method, r.Replace(pr.path), r.Replace(pr.body))
				requests++
				allowed := contains(pr.who, v)
				ok := code < 400 && !strings.Contains(body, "/sign-in?next=")
				switch {
				case v == "":
					if code != http.StatusSeeOther && code != http.StatusUnauthorized {
						wrong++
						t.Errorf("%s as the public: %d", pr.route, code)
					}
				case ok != allowed:
					wrong++
					t.Errorf("%s as %s: %d, want allowed=%v: %.300s", pr.route, v, code, allowed, body)
				case !allowed && contains(pr.refused, v) && code != http.StatusForbidden:
					wrong++
					t.Errorf("%s as %s: %d, want 403", pr.route, v, code)
				}
				body, _, _ = strings.Cut(body, "\n[redirect to ") // the redirect names the path asked for
				if !allowed && (strings.Contains(body, preventTitle) || strings.Contains(body, preventEmployer) || strings.Contains(body, preventHook) ||
					strings.Contains(body, s.warning) || strings.Contains(body, "Exchange Server")) {
					leaks++
					t.Errorf("%s as %q shows what it may not: %.300s", pr.route, v, body)
				}
			}
		}
		// Lists answer everyone allowed, with only what each may read.
		for _, tt := range []struct {
			path, secret string
			readers      []string
		}{
			{"/api/v1/alerts", "Exchange Server", inventoryReaders},
			{"/work/alerts", "Exchange Server", inventoryReaders},
			{"/api/v1/warnings", s.warning, caseManagers},
			{"/api/v1/volunteer/tasks", preventTitle, []string{"volunteer@a.example"}},
			{"/work/volunteers", preventEmployer, caseManagers},
			{"/api/v1/notifications", preventHook, []string{"admin@a.example"}},
		} {
			for _, v := range everyone {
				_, body := s.do(v, "GET", tt.path, "")
				if strings.Contains(body, tt.secret) != contains(tt.readers, v) {
					leaks++
					t.Errorf("%s as %s: shows %q = %v", tt.path, v, tt.secret, strings.Contains(body, tt.secret))
				}
			}
		}
		t.Logf("prevention matrix: %d requests, %d leaks, %d wrong answers", requests, leaks, wrong)
	})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestSecondIncidentWarnsTheCaseWorker is the test: a second
// incident for a victim with a case warns its case worker by email
// (received by a real SMTP server in the test) and in the workspace,
// with both records linked; nobody who did not consent gets email.
func TestSecondIncidentWarnsTheCaseWorker(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		s := newPreventSite(t, store)
		mailer := outboxtest.NewSMTP(t)
		if code, _ := s.do("worker@a.example", "POST", "/work/notifications", "email=yes"); code != http.StatusSeeOther {
			t.Fatalf("consent: %d", code)
		}
		second := s.newIncident(t, "Matrix Refuge hit a third time")
		w := &outbox.Worker{DB: store, SMTP: mailer.Client, BaseURL: "https://harmtrace.test"}
		if _, err := w.Once(ctx); err != nil {
			t.Fatal(err)
		}
		var got []outboxtest.Mail
		for _, m := range mailer.Mails() {
			if strings.HasPrefix(m.Subject, "Attacked again") {
				got = append(got, m)
			}
		}
		if len(got) != 1 || got[0].To != "worker@a.example" || got[0].Subject != "Attacked again: Matrix Refuge" ||
			!strings.Contains(got[0].Body, second) || !strings.Contains(got[0].Body, s.caseA) || !strings.Contains(got[0].Body, "https://harmtrace.test/work/warnings#") {
			t.Fatalf("warning mails: %+v", got)
		}
		if strings.Contains(got[0].Body, "Matrix story") || strings.Contains(got[0].Body, "refuge@matrix.example") {
			t.Error("the email carries what the reporter wrote")
		}
		for _, m := range mailer.Mails() {
			if m.To != "worker@a.example" {
				t.Errorf("email to %s, who did not consent", m.To)
			}
		}
		code, page := s.do("worker@a.example", "GET", "/work/warnings", "")
		if code != 200 || !strings.Contains(page, "/work/incidents/"+second) || !strings.Contains(page, "/work/cases/"+s.caseA) {
			t.Fatalf("the workspace's warnings: %d %.500s", code, page)
		}
		_, other := s.do("worker@b.example", "GET", "/work/warnings", "")
		if strings.Contains(other, second) {
			t.Error("another team's case worker sees the warning")
		}
		// The earlier incident of the site also warned, before consent: no
		// email was written for it.
		if n := countRows(t, store, `SELECT COUNT(*) FROM outbox WHERE event = 'warning.retarget' AND channel = 'email'`); n != 1 {
			t.Errorf("%d warning emails in the outbox, want 1", n)
		}
	})
}
