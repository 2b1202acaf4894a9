package web_test

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/browsertest"

	"github.com/chromedp/chromedp"

	"github.com/harmtrace/harmtrace/internal/db/dbtest"
)

// TestBrowserReporterAndCaseWorker runs the victims' half in a real
// headless Chromium on a phone's screen (390 px): a reporter reports in
// French and gets the plan and a receipt; a case worker triages the case
// and writes to the reporter; the reporter reads it with the receipt and
// withdraws; the case worker then sees only "withdrawn on …".
func TestBrowserReporterAndCaseWorker(t *testing.T) {
	s := newCaseSite(t, dbtest.SQLite(t))
	srv := httptest.NewServer(s.h)
	t.Cleanup(srv.Close)
	ctx := browsertest.Start(t) // its deadline starts once the site is ready
	base := srv.URL
	page := browsertest.Page{T: t, Ctx: ctx}
	do, text, eval, waitText := page.Do, page.Text, page.Eval, page.WaitText
	fitsThePhone := func(page string) {
		t.Helper()
		if w, _ := strconv.Atoi(eval(`String(document.documentElement.scrollWidth)`)); w > 390 || w == 0 {
			t.Errorf("%s is %d px wide on a 390 px screen", page, w)
		}
	}
	signIn := func(email string) {
		t.Helper()
		do("sign in", chromedp.EmulateViewport(1280, 1000), chromedp.Navigate(base+"/sign-in"), chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
			chromedp.SetValue(chromedp.CSS(`input[name=email]`), email), chromedp.SetValue(chromedp.CSS(`input[name=password]`), s.passwords[email]),
			chromedp.Click(chromedp.CSS(`form[action="/sign-in"] button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("cases-link")))
	}
	signOut := func() {
		t.Helper()
		do("sign out", chromedp.Navigate(base+"/"), chromedp.Click(chromedp.CSS(`form[action="/sign-out"] button`)), chromedp.WaitVisible(chromedp.CSS(`a[href="/sign-in"]`)))
	}

	// The reporter, in French, on a phone.
	do("open the form", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/report?lang=fr"), chromedp.WaitVisible(chromedp.ID("what_happened")))
	if lang, dir := eval(`document.documentElement.lang`), eval(`document.documentElement.dir`); lang != "fr" || dir != "ltr" {
		t.Errorf("the form is lang=%q dir=%q", lang, dir)
	}
	fitsThePhone("the report form")
	do("fill the form",
		chromedp.Click(chromedp.CSS(`input[name=attack_types][value=ransomware]`)),
		chromedp.SendKeys(chromedp.ID("what_happened"), "Tous les dossiers des résidentes sont bloqués, une rançon est demandée."),
		chromedp.Click(chromedp.CSS(`input[name=who][value=organisation]`)),
		chromedp.SendKeys(chromedp.ID("org_name"), "Foyer Les Tilleuls"),
		chromedp.SetValue(chromedp.ID("country"), "FR"),
		chromedp.Click(chromedp.CSS(`input[name=affected][value=services]`)),
		chromedp.SendKeys(chromedp.ID("email"), "direction@tilleuls.example"),
		chromedp.Click(chromedp.CSS(`input[name=contact_me]`)),
		chromedp.Click(chromedp.ID("submit-report")),
		chromedp.WaitVisible(chromedp.ID("receipt")))
	receipt, plan := text("#receipt"), text("#plan")
	if len(receipt) != 19 || !strings.Contains(plan, "Déconnectez du réseau") || !strings.Contains(plan, "Gardez les preuves") {
		t.Fatalf("receipt %q, plan %.300s", receipt, plan)
	}
	fitsThePhone("the receipt")
	browsertest.Screenshot(t, ctx, "victim-1-receipt-fr-390")
	do("the Arabic form", chromedp.Navigate(base+"/report?lang=ar"), chromedp.WaitVisible(chromedp.ID("what_happened")))
	if dir := eval(`document.documentElement.dir`); dir != "rtl" {
		t.Errorf("the Arabic form is dir=%q", dir)
	}
	fitsThePhone("the Arabic report form")
	browsertest.Screenshot(t, ctx, "victim-2-form-ar-390")

	// The case worker triages and writes.
	signIn("worker@a.example")
	do("open the case", chromedp.Navigate(base+"/work/cases"), chromedp.Click(chromedp.CSS(`#cases tbody a`)), chromedp.WaitVisible(chromedp.ID("case-story")))
	if story := text("#case-story"); !strings.Contains(story, "une rançon est demandée") {
		t.Errorf("the case worker reads %q", story)
	}
	do("triage", chromedp.Click(chromedp.ID("triage-submit")))
	waitText("#case-triage", "high, P2 —")
	do("write to the reporter", chromedp.SendKeys(chromedp.ID("message-body"), "Bonjour, ne payez pas. Avez-vous une sauvegarde hors ligne ?"),
		chromedp.Click(chromedp.ID("message-submit")))
	waitText("#timeline", "message from the helper")
	browsertest.Screenshot(t, ctx, "victim-3-case-worker")
	signOut()

	// The reporter reads it with the receipt, then withdraws.
	do("follow the report", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/report/status?lang=fr"),
		chromedp.SendKeys(chromedp.ID("receipt"), strings.ToLower(receipt)),
		chromedp.Click(chromedp.CSS(`button[value=show]`)), chromedp.WaitVisible(chromedp.ID("case-status")))
	if status, page := text("#case-status"), text("main"); !strings.Contains(status, "Lu par") || !strings.Contains(page, "ne payez pas") {
		t.Errorf("status %q, page %.400s", status, page)
	}
	fitsThePhone("the status page")
	browsertest.Screenshot(t, ctx, "victim-4-status-fr-390")
	do("withdraw", chromedp.Click(chromedp.CSS(`input[name=confirm]`)), chromedp.Click(chromedp.CSS(`button[value=withdraw]`)),
		chromedp.WaitVisible(chromedp.ID("erased")))
	if erased := text("#erased"); !strings.Contains(erased, "effacé") {
		t.Errorf("erasure receipt %q", erased)
	}

	// The case worker sees only the withdrawal.
	signIn("worker@a.example")
	do("the case after withdrawal", chromedp.Navigate(base+"/work/cases"), chromedp.Click(chromedp.CSS(`#cases tbody a`)),
		chromedp.WaitVisible(chromedp.ID("erased-case")))
	if left := text("main"); !strings.Contains(left, "Withdrawn on") || strings.Contains(left, "rançon") || strings.Contains(left, "Tilleuls") ||
		strings.Contains(left, "ne payez pas") {
		t.Errorf("after withdrawal the case worker sees %.500s", left)
	}
}
