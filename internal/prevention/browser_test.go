package prevention_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/browsertest"

	"github.com/chromedp/chromedp"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/kev"
	"github.com/harmtrace/harmtrace/internal/keys"
	"github.com/harmtrace/harmtrace/internal/trace"
	"github.com/harmtrace/harmtrace/internal/volunteer"
	"github.com/harmtrace/harmtrace/internal/web"
)

// preventionSite is the whole server (web.New) over a store with the
// bundled KEV catalog, an organisation nobody keeps an inventory of yet,
// a case of Team A, a case worker, and two vetted volunteers of the team
// with a task of the case each.
type preventionSite struct {
	url       string
	passwords map[string]string
	org       string
	tasks     map[string]string // volunteer's email → title of their task
	taskIDs   map[string]string // volunteer's email → id of their task
}

const (
	orgName     = "Refuge des Lilas"
	workerEmail = "worker@a.example"
)

func newPreventionSite(t *testing.T) *preventionSite {
	t.Helper()
	ctx := context.Background()
	store := dbtest.SQLite(t)
	if err := kev.EnsureBundled(ctx, store); err != nil {
		t.Fatal(err)
	}
	t.Setenv(keys.EnvKeyFile, "")
	ring, err := keys.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cases := &casefile.Store{DB: store, Keys: ring}
	_, c, err := cases.Submit(ctx, &casefile.Report{AttackTypes: []string{"phishing"}, WhatHappened: "The refuge's mailboxes were taken over."})
	if err != nil {
		t.Fatal(err)
	}
	s := &preventionSite{passwords: map[string]string{},
		tasks:   map[string]string{"volunteer1@a.example": "Rotate the refuge's mail passwords", "volunteer2@a.example": "Patch the refuge's mail server"},
		taskIDs: map[string]string{}}
	err = store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
		o := &trace.Organisation{Name: orgName, Kind: "ngo", Country: "FR", Marking: access.Marking{TLP: "green"}}
		if _, err := trace.SaveOrganisation(ctx, tx, o); err != nil {
			return err
		}
		s.org = o.ID
		ids := map[string]string{}
		var team string
		for _, u := range []struct{ email, role string }{{workerEmail, "case-worker"}, {"volunteer1@a.example", "volunteer"}, {"volunteer2@a.example", "volunteer"}} {
			user, pw, err := account.AddUser(ctx, tx, u.email, u.role, "Team A", "")
			if err != nil {
				return err
			}
			ids[u.email], s.passwords[u.email], team = user.ID, pw, user.TeamID
		}
		if err := casefile.Assign(ctx, tx, c.ID, workerEmail, team, []string{ids[workerEmail]}); err != nil {
			return err
		}
		for email, title := range s.tasks {
			p := &volunteer.Profile{UserID: ids[email], Skills: []string{"email-security"}, Languages: []string{"fr"}, TimeZone: "Europe/Paris", HoursPerMonth: 10}
			if err := volunteer.SaveProfile(ctx, tx, p); err != nil {
				return err
			}
			if err := volunteer.SetVetting(ctx, tx, ids[email], "vetted"); err != nil {
				return err
			}
			task := &volunteer.Task{CaseID: c.ID, Helped: s.org, Title: title, Skills: []string{"email-security"}, Languages: []string{"fr"},
				TimeZone: "Europe/Paris", Hours: 4}
			if err := volunteer.CreateTask(ctx, tx, ring, task); err != nil {
				return err
			}
			if err := volunteer.Assign(ctx, tx, task, ids[email], volunteer.DefaultHoursCap); err != nil {
				return err
			}
			s.taskIDs[email] = task.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), web.Options{Cases: cases})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// TestBrowserPreventionJourney runs, in a real headless Chromium, on a
// desktop's screen and on a phone's (390 px), what a case worker does
// before an organisation is attacked (again): open its software inventory
// from the alerts page, add Microsoft Exchange Server through the form,
// read the KEV alerts it raised (known ransomware use first), acknowledge
// one with a reason and find the decision in its history and in the list
// of alerts; then what a volunteer sees: only the task assigned to them,
// and nothing of the other volunteer's.
func TestBrowserPreventionJourney(t *testing.T) {
	for _, screen := range []struct {
		name          string
		width, height int64
	}{
		{"desktop", 1280, 1000},
		{"phone", 390, 844},
	} {
		t.Run(screen.name, func(t *testing.T) {
			s := newPreventionSite(t)
			ctx := browsertest.Start(t) // its deadline starts once the site is ready
			page := browsertest.Page{T: t, Ctx: ctx}
			do, text, eval, waitText := page.Do, page.Text, page.Eval, page.WaitText
			// fits checks that the page needs no sideways scrolling, its
			// signed-in header included: wide tables scroll inside their frame.
			fits := func(page string) {
				t.Helper()
				w, _ := strconv.Atoi(eval(`String(Math.max(document.querySelector('main').scrollWidth, Math.ceil(document.querySelector('main').getBoundingClientRect().right)))`))
				if w > int(screen.width) || w == 0 {
					t.Errorf("the content of %s is %d px wide on a %d px screen", page, w, screen.width)
				}
				if whole, _ := strconv.Atoi(eval(`String(document.documentElement.scrollWidth)`)); whole > int(screen.width) {
					t.Errorf("%s with its header is %d px wide on a %d px screen", page, whole, screen.width)
				}
			}
			shot := func(name string) { browsertest.Screenshot(t, ctx, "prevention-"+name+"-"+screen.name) }
			signIn := func(email string) {
				t.Helper()
				do("sign in as "+email, chromedp.EmulateViewport(screen.width, screen.height), chromedp.Navigate(s.url+"/sign-in"),
					chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
					chromedp.SetValue(chromedp.CSS(`input[name=email]`), email), chromedp.SetValue(chromedp.CSS(`input[name=password]`), s.passwords[email]),
					chromedp.Click(chromedp.CSS(`form[action="/sign-in"] button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("signed-in")))
				if who := text("#signed-in"); !strings.Contains(who, email) {
					t.Fatalf("signed in as %q, not %s", who, email)
				}
			}
			signOut := func() {
				t.Helper()
				do("sign out", chromedp.Navigate(s.url+"/"), chromedp.Click(chromedp.CSS(`form[action="/sign-out"] button`)),
					chromedp.WaitVisible(chromedp.CSS(`a[href="/sign-in"]`)))
			}

			// The case worker opens the organisation's inventory by its name
			// from the alerts page: nothing listed, no alert yet.
			signIn(workerEmail)
			do("the alerts page", chromedp.Navigate(s.url+"/work/alerts"), chromedp.WaitVisible(chromedp.ID("open-inventory")))
			if list := text("#alerts"); !strings.Contains(list, "No alert") {
				t.Errorf("alerts before any inventory: %q", list)
			}
			do("open the inventory", chromedp.SendKeys(chromedp.CSS(`#open-inventory input[name=organisation]`), orgName),
				chromedp.Click(chromedp.CSS(`#open-inventory button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("add-item")))
			if h1, list := text("h1"), text("#inventory"); !strings.Contains(h1, orgName) || !strings.Contains(list, "No software listed yet") {
				t.Fatalf("the inventory page: %q, %q", h1, list)
			}
			// Microsoft Exchange Server, added through the form.
			do("add Exchange", chromedp.SendKeys(chromedp.CSS(`#add-item input[name=vendor]`), "Microsoft"),
				chromedp.SendKeys(chromedp.CSS(`#add-item input[name=product]`), "Exchange Server"),
				chromedp.SendKeys(chromedp.CSS(`#add-item input[name=version]`), "2016 CU23"),
				chromedp.Click(chromedp.CSS(`#add-item button[type=submit]`)))
			waitText("#inventory", "Exchange Server")
			if list := text("#inventory"); !strings.Contains(list, "Microsoft") || !strings.Contains(list, "2016 CU23") || !strings.Contains(list, "microsoft / exchange") {
				t.Errorf("the inventory after the addition: %q", list)
			}
			alerts, _ := strconv.Atoi(strings.Fields(text("#alerts-link"))[0])
			if alerts < 2 {
				t.Fatalf("Exchange Server raised %d alerts (%q)", alerts, text("#alerts-link"))
			}
			fits("the inventory")
			shot("1-inventory")

			// Its alerts: every one of Exchange, known ransomware use first.
			do("the organisation's alerts", chromedp.Click(chromedp.ID("alerts-link")), chromedp.WaitVisible(chromedp.CSS("article.alert")))
			ransomware, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('article.alert dl')].map(d =>
				[...d.querySelectorAll('dt')].find(t => t.textContent === 'Known ransomware use').nextElementSibling.textContent)`))
			if err != nil {
				t.Fatal(err)
			}
			if len(ransomware) != alerts || ransomware[0] != "known" {
				t.Fatalf("%d alerts shown of %d, ransomware use %v", len(ransomware), alerts, ransomware)
			}
			due, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('article.alert dl')].map(d =>
				[...d.querySelectorAll('dt')].find(t => t.textContent === 'Due').nextElementSibling.textContent.slice(0, 10))`))
			if err != nil || len(due) != len(ransomware) {
				t.Fatalf("due dates %v: %v", due, err)
			}
			for i := 1; i < len(ransomware); i++ {
				if ransomware[i] == "known" && ransomware[i-1] != "known" {
					t.Errorf("an alert of known ransomware use comes after one of unknown: %v", ransomware)
				}
				if ransomware[i] == ransomware[i-1] && due[i] < due[i-1] {
					t.Errorf("an alert due %s comes after one due %s: %v", due[i], due[i-1], due)
				}
			}
			if first := text("article.alert h2"); !strings.Contains(first, "CVE-") {
				t.Errorf("the first alert is %q", first)
			}
			for _, state := range strings.Split(eval(`[...document.querySelectorAll('.alert-state')].map(e => e.textContent).join(',')`), ",") {
				if state != "open" {
					t.Errorf("a new alert is %q, not open", state)
				}
			}
			fits("the alerts")
			shot("2-alerts")

			// The first is acknowledged, with a reason, and shows in its
			// history and in the list of alerts.
			id := eval(`document.querySelector('article.alert').id`)
			cve := strings.SplitN(text("article.alert h2"), ":", 2)[0]
			reason := "The server is patched on Saturday night"
			form := `article.alert[id="` + id + `"] form`
			do("acknowledge", chromedp.SetValue(chromedp.CSS(form+` select[name=state]`), "acknowledged"),
				chromedp.SendKeys(chromedp.CSS(form+` input[name=reason]`), reason),
				chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
			waitText(`article.alert[id="`+id+`"] .alert-state`, "acknowledged")
			if history := text(`article.alert[id="` + id + `"] ol`); !strings.Contains(history, workerEmail+": acknowledged — "+reason) {
				t.Errorf("the alert's history: %q", history)
			}
			if loc := eval(`location.hash`); loc != "#"+id {
				t.Errorf("after the decision the page is at %q, not the alert", loc)
			}
			fits("the alerts after a decision")
			shot("3-acknowledged")
			do("the list of alerts", chromedp.Navigate(s.url+"/work/alerts"), chromedp.WaitVisible(chromedp.ID("alerts")))
			var row string
			for _, r := range strings.Split(text("#alerts tbody"), "\n") {
				if strings.Contains(r, cve) {
					row = r
				}
			}
			if !strings.Contains(row, orgName) || !strings.Contains(row, "acknowledged") {
				t.Errorf("the list shows %s as %q", cve, row)
			}
			if inv := text("#inventories"); !strings.Contains(inv, orgName+": 1 pieces of software, "+strconv.Itoa(alerts-1)+" open alerts") {
				t.Errorf("the inventories: %q", inv)
			}
			fits("the list of alerts")
			shot("4-list")
			signOut()

			// Each volunteer sees the task assigned to them, and not the
			// other's, whose page answers as a missing one.
			for me, other := range map[string]string{"volunteer1@a.example": "volunteer2@a.example", "volunteer2@a.example": "volunteer1@a.example"} {
				signIn(me)
				do("my tasks", chromedp.Click(chromedp.ID("volunteer-link")), chromedp.WaitVisible(chromedp.ID("my-tasks")))
				tasks := text("#my-tasks")
				if !strings.Contains(tasks, s.tasks[me]) || strings.Contains(tasks, s.tasks[other]) || eval(`String(document.querySelectorAll('#my-tasks li').length)`) != "1" {
					t.Errorf("%s's tasks: %q", me, tasks)
				}
				if vetting := text("#vetting"); vetting != "vetted" {
					t.Errorf("%s's vetting: %q", me, vetting)
				}
				fits("a volunteer's tasks")
				if me == "volunteer1@a.example" {
					shot("5-volunteer")
				}
				do("my task", chromedp.Click(chromedp.CSS(`#my-tasks a`)), chromedp.WaitVisible(chromedp.ID("log-hours")))
				if h1 := text("h1"); h1 != s.tasks[me] {
					t.Errorf("%s's task page is %q", me, h1)
				}
				do("the other's task", chromedp.Navigate(s.url+"/work/tasks/"+s.taskIDs[other]), chromedp.WaitVisible(chromedp.CSS("main")))
				if page := text("main"); strings.Contains(page, s.tasks[other]) || !strings.Contains(page, "no such record") {
					t.Errorf("%s opens %s's task: %q", me, other, page)
				}
				signOut()
			}
		})
	}
}
