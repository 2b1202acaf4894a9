package victim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/i18n"
	"github.com/harmtrace/harmtrace/internal/keys"
	"github.com/harmtrace/harmtrace/internal/outbox"
	"github.com/harmtrace/harmtrace/internal/outbox/outboxtest"
	"github.com/harmtrace/harmtrace/internal/recovery"
	"github.com/harmtrace/harmtrace/internal/web"
)

type site struct {
	h     http.Handler
	cases *casefile.Store
	log   *bytes.Buffer
	addr  string
}

func newSite(t testing.TB, store *db.DB) *site {
	t.Helper()
	t.Setenv(keys.EnvKeyFile, "")
	ring, err := keys.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := &site{cases: &casefile.Store{DB: store, Keys: ring}, log: &bytes.Buffer{}, addr: "203.0.113.7:5000"}
	if s.h, err = web.New(store, slog.New(slog.NewTextHandler(s.log, nil)), web.Options{Cases: s.cases}); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *site) send(req *http.Request) (int, string) {
	req.RemoteAddr = s.addr
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func (s *site) get(path string, header ...string) (int, string) {
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return s.send(req)
}

func (s *site) post(path string, form url.Values) (int, string) {
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.send(req)
}

func (s *site) api(method, path, body string, header ...string) (int, string) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return s.send(req)
}

var receiptPattern = regexp.MustCompile(`id="receipt" class="receipt-code" dir="ltr">([0-9A-Z-]{19})<`)

// Every key the victims' templates and code use is in the catalogue, in
// every language: none shows as [key].
func TestEveryVictimStringIsInTheCatalogue(t *testing.T) {
	used := map[string]bool{}
	literal := regexp.MustCompile(`\bt \$?\.Lang\.Code "([a-z_.-]+)"`)
	err := fs.WalkDir(os.DirFS("templates"), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(filepath.Join("templates", path))
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The keys made from the form's choices and the case's statuses.
	for prefix, values := range map[string][]string{"attack.": recovery.AttackTypes, "kind.": casefile.OrganisationKinds,
		"sector.": casefile.Sectors, "affected.": casefile.Affected, "group.": casefile.HarmedGroups, "status.": casefile.Statuses} {
		for _, v := range values {
			used[prefix+v] = true
		}
	}
	// The field errors of the code.
	for _, dir := range []string{"../casefile", "."} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			for _, m := range regexp.MustCompile(`Key: "([a-z_.-]+)"|"(field\.[a-z_.-]+|error\.[a-z_.-]+|status\.[a-z_.-]+)"`).FindAllStringSubmatch(string(b), -1) {
				used[m[1]+m[2]] = true
			}
		}
	}
	if len(used) < 100 {
		t.Fatalf("found only %d keys: the test reads nothing", len(used))
	}
	for key := range used {
		if !i18n.Has(key) && !strings.HasSuffix(key, ".") && !strings.HasSuffix(key, ".html") {
			t.Errorf("%q is used but not in the catalogue", key)
		}
	}
}

// The form in every language: its own direction, no untranslated key, no
// English on the French page.
func TestReportFormInEveryLanguage(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t))
	for _, lang := range i18n.Langs {
		code, body := s.get("/report?lang=" + lang.Code)
		dir := "ltr"
		if lang.RTL {
			dir = "rtl"
		}
		if code != 200 || !strings.Contains(body, fmt.Sprintf(`<html lang=%q dir=%q>`, lang.Code, dir)) {
			t.Errorf("%s: %d %.200s", lang.Code, code, body)
		}
		if m := regexp.MustCompile(`\[[a-z_]+\.[a-z_.-]+\]`).FindString(body); m != "" {
			t.Errorf("%s shows the key %s", lang.Code, m)
		}
		if !strings.Contains(body, template(i18n.T(lang.Code, "report.title"))) || !strings.Contains(body, template(i18n.T(lang.Code, "attack.stalkerware"))) {
			t.Errorf("%s: not in its language", lang.Code)
		}
	}
	// The browser's language is the default, and countries are named in it.
	_, body := s.get("/report", "Accept-Language", "es-MX,es;q=0.9")
	if !strings.Contains(body, `lang="es"`) || !strings.Contains(body, ">Alemania<") {
		t.Errorf("Accept-Language es: %.300s", body)
	}
	if _, fr := s.get("/report?lang=fr"); strings.Contains(fr, "Send my report") || !strings.Contains(fr, ">Allemagne<") {
		t.Error("the French form has English in it, or an English country name")
	}
}

// A bad report shows each problem next to its field, in the reporter's
// language, keeps what was typed, and stores nothing.
func TestReportProblemsInTheReportersLanguage(t *testing.T) {
	store := dbtest.SQLite(t)
	s := newSite(t, store)
	code, body := s.post("/report", url.Values{"language": {"fr"}, "what_happened": {"  "}, "who": {"organisation"}, "org_name": {"Foyer"},
		"email": {"pas-une-adresse"}, "started": {"hier"}, "country": {"UK"}})
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("%d", code)
	}
	for _, key := range []string{"error.form", "field.attack_types.required", "field.what_happened.required", "field.email.invalid",
		"field.started.invalid", "field.choice.unknown"} {
		if !strings.Contains(body, template(i18n.T("fr", key))) {
			t.Errorf("no %s in French: %s", key, i18n.T("fr", key))
		}
	}
	if !strings.Contains(body, `value="Foyer"`) || !strings.Contains(body, `value="pas-une-adresse"`) {
		t.Error("what was typed is lost")
	}
	var n int
	_ = store.QueryRow(context.Background(), `SELECT COUNT(*) FROM cases`).Scan(&n)
	if n != 0 {
		t.Errorf("%d cases stored from a bad report", n)
	}
	// The API answers the same problems in the report's language.
	code, body = s.api("POST", "/api/v1/reports", `{"attack_types": ["teleportation"], "what_happened": "x", "language": "es"}`)
	if code != 422 || !strings.Contains(body, i18n.T("es", "field.attack_types.unknown")) || !strings.Contains(body, `"field": "attack_types"`) {
		t.Errorf("API: %d %s", code, body)
	}
	if code, body = s.api("POST", "/api/v1/reports", `{"attack_types": "ransomware"}`); code != 422 || strings.Contains(body, "[]string") {
		t.Errorf("API type error: %d %s", code, body)
	}
}

// html/template escapes apostrophes; compare with what a page holds.
func template(s string) string {
	return strings.NewReplacer("'", "&#39;", `"`, "&#34;").Replace(s)
}

// The reporter's path: report in French, the receipt shown once with the
// plan, the status with the receipt, a reply with a file, withdrawal and
// the receipt of erasure. A wrong receipt gets the same page as any other
// wrong one; past the limit, every receipt from that address waits.
func TestReporterPath(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		s := newSite(t, store)
		ctx := context.Background()
		code, body := s.post("/report", url.Values{"language": {"fr"}, "attack_types": {"ransomware"}, "who": {"organisation"},
			"org_name": {"Maison des femmes de Lille"}, "org_kind": {"ngo"}, "country": {"FR"}, "what_happened": {"Tous nos dossiers sont chiffrés."},
			"affected": {"data", "services"}, "email": {"contact@maison.example"}, "contact_me": {"yes"}})
		m := receiptPattern.FindStringSubmatch(body)
		if code != http.StatusCreated || m == nil {
			t.Fatalf("%d %.500s", code, body)
		}
		receipt := m[1]
		for _, want := range []string{"Déconnectez du réseau", "https://www.cisa.gov/stopransomware/ransomware-guide", "72 heures", "RGPD art. 33"} {
			if !strings.Contains(body, template(want)) {
				t.Errorf("the plan lacks %q", want)
			}
		}
		id, _ := s.cases.ByReceipt(ctx, receipt)
		if err := store.Write(ctx, db.Author{Who: "worker"}, func(tx *db.Tx) error {
			return s.cases.AddMessage(ctx, tx, id, "helper", "user--worker", "Bonjour, avez-vous des sauvegardes ?", "", nil)
		}); err != nil {
			t.Fatal(err)
		}
		_, body = s.post("/report/status", url.Values{"receipt": {strings.ToLower(receipt)}, "language": {"fr"}})
		if !strings.Contains(body, "avez-vous des sauvegardes") || !strings.Contains(body, template(i18n.T("fr", "status.received"))) {
			t.Fatalf("status: %.600s", body)
		}
		// A reply with a file, as a phone's browser sends it.
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		_ = mw.WriteField("receipt", receipt)
		_ = mw.WriteField("language", "fr")
		_ = mw.WriteField("action", "reply")
		_ = mw.WriteField("message", "Oui, sur un disque du 2 novembre.")
		fw, _ := mw.CreateFormFile("file", "rançon.txt")
		_, _ = fw.Write([]byte("VOS FICHIERS SONT CHIFFRÉS"))
		_ = mw.Close()
		req := httptest.NewRequest("POST", "/report/status", &form)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		code, body = s.send(req)
		if code != 200 || !strings.Contains(body, "sur un disque du 2 novembre") || !strings.Contains(body, "rançon.txt") {
			t.Fatalf("reply: %d %.500s", code, body)
		}
		// A file over the limit is refused in French, nothing stored.
		form.Reset()
		mw = multipart.NewWriter(&form)
		_ = mw.WriteField("receipt", receipt)
		_ = mw.WriteField("language", "fr")
		_ = mw.WriteField("action", "reply")
		fw, _ = mw.CreateFormFile("file", "big.bin")
		_, _ = fw.Write(make([]byte, casefile.MaxFile+1))
		_ = mw.Close()
		req = httptest.NewRequest("POST", "/report/status", &form)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		if code, body = s.send(req); code != 422 || !strings.Contains(body, "Ce fichier est trop gros") {
			t.Errorf("big file: %d %.300s", code, body)
		}
		// Wrong receipts: one page for all, whatever their shape.
		var wrongs []string
		for _, wrong := range []string{casefile.NewReceipt(), "0000-0000-0000-0000", "hello"} {
			_, body := s.post("/report/status", url.Values{"receipt": {wrong}, "language": {"fr"}})
			wrongs = append(wrongs, body)
		}
		if wrongs[0] != wrongs[1] || wrongs[1] != wrongs[2] || !strings.Contains(wrongs[0], `id="wrong-receipt"`) {
			t.Error("wrong receipts do not get the same answer")
		}
		// Withdrawal without the box ticked does nothing; with it, erases.
		if _, body = s.post("/report/status", url.Values{"receipt": {receipt}, "action": {"withdraw"}, "language": {"fr"}}); !strings.Contains(body, "Cochez la case") {
			t.Errorf("unconfirmed withdrawal: %.300s", body)
		}
		_, body = s.post("/report/status", url.Values{"receipt": {receipt}, "action": {"withdraw"}, "confirm": {"yes"}, "language": {"fr"}})
		if !strings.Contains(body, `id="erased"`) || !strings.Contains(body, "a été retiré") {
			t.Fatalf("withdrawal: %.400s", body)
		}
		c, err := s.cases.Get(ctx, store, id)
		if err != nil || c.Status != "withdrawn" || c.Report.WhatHappened != "" {
			t.Errorf("after withdrawal: %+v %v", c, err)
		}
		// The receipt still shows the erasure, and nothing else.
		if _, body = s.post("/report/status", url.Values{"receipt": {receipt}, "language": {"fr"}}); !strings.Contains(body, `id="erased"`) {
			t.Errorf("status after withdrawal: %.300s", body)
		}
		// Nothing the reporter wrote is in the log.
		for _, secret := range []string{"Maison des femmes", "contact@maison.example", "chiffrés", receipt, "203.0.113.7"} {
			if strings.Contains(s.log.String(), secret) {
				t.Errorf("the log holds %q", secret)
			}
		}
	})
}

func TestReporterAPIAndLimits(t *testing.T) {
	store := dbtest.SQLite(t)
	s := newSite(t, store)
	code, body := s.api("POST", "/api/v1/reports", `{"person": {}, "attack_types": ["account-takeover"], "what_happened": "Someone took my Instagram", "ongoing": true, "language": "es"}`)
	var out struct {
		Receipt      string `json:"receipt"`
		RecoveryPlan struct {
			Steps []struct {
				Title     string `json:"title"`
				SourceURL string `json:"source_url"`
			} `json:"steps"`
		} `json:"recovery_plan"`
	}
	if err := json.Unmarshal([]byte(body), &out); code != 201 || err != nil || len(out.RecoveryPlan.Steps) < 3 || out.RecoveryPlan.Steps[0].SourceURL == "" {
		t.Fatalf("%d %s", code, body)
	}
	auth := []string{"Authorization", "Receipt " + out.Receipt}
	if code, body = s.api("POST", "/api/v1/reports/status/messages", `{"message": "¿Me pueden llamar?"}`, auth...); code != 200 || !strings.Contains(body, "Me pueden llamar") {
		t.Errorf("reply: %d %s", code, body)
	}
	// Wrong receipts answer alike; after five from one address, that
	// address waits, even with a right receipt; another does not.
	var answers []string
	for _, wrong := range []string{"Receipt " + casefile.NewReceipt(), "Receipt x", "Receipt " + casefile.NewReceipt(), "Receipt 0000-0000-0000-0000", ""} {
		code, body := s.api("GET", "/api/v1/reports/status", "", "Authorization", wrong)
		answers = append(answers, fmt.Sprint(code, body))
	}
	for _, a := range answers[1:] {
		if a != answers[0] || !strings.HasPrefix(a, "401") {
			t.Errorf("wrong receipts answer %q and %q", answers[0], a)
		}
	}
	if code, _ := s.api("GET", "/api/v1/reports/status", "", auth...); code != http.StatusTooManyRequests {
		t.Errorf("past the limit: %d", code)
	}
	s.addr = "203.0.113.8:5000"
	if code, _ := s.api("GET", "/api/v1/reports/status", "", auth...); code != 200 {
		t.Errorf("another address: %d", code)
	}
	if code, body = s.api("DELETE", "/api/v1/reports/status", "", auth...); code != 200 || !strings.Contains(body, `"status": "withdrawn"`) {
		t.Errorf("withdraw: %d %s", code, body)
	}
	if code, body = s.api("GET", "/api/v1/reports/status", "", auth...); code != 200 || strings.Contains(body, "Instagram") || !strings.Contains(body, `"erased"`) {
		t.Errorf("after withdrawal: %d %s", code, body)
	}
}

// Nothing a reporter writes is in the store's files, in clear: the
// database and its write-ahead log on SQLite, the database's files and the
// WAL on PostgreSQL (when the server's data directory can be read here).
// The case is assigned to a case worker who consented to email and its
// team has a webhook, so the reporter's messages go through the outbox and
// are delivered (a real SMTP server, a local receiver): the notifications
// say only that there is a message to read, with a link, and neither they
// nor the outbox hold the reporter's words; nor do the files hold the
// webhook's secret.
func TestNothingOfTheReporterIsInTheStoreFiles(t *testing.T) {
	unique := fmt.Sprintf("zx%dqv", os.Getpid()) + strings.ReplaceAll(casefile.NewReceipt(), "-", "")
	secrets := []string{"story-" + unique, "org-" + unique, unique + "@reporter.example", "reply-" + unique, "file-" + unique}
	run := func(t *testing.T, store *db.DB, files func() []string) {
		ctx := context.Background()
		s := newSite(t, store)
		code, body := s.post("/report", url.Values{"language": {"en"}, "attack_types": {"hack-and-leak"}, "who": {"organisation"},
			"org_name": {secrets[1]}, "what_happened": {secrets[0]}, "email": {secrets[2]}, "contact_me": {"yes"}})
		m := receiptPattern.FindStringSubmatch(body)
		if code != 201 || m == nil {
			t.Fatalf("%d %.300s", code, body)
		}
		id, _ := s.cases.ByReceipt(ctx, m[1])
		// A case worker who consented to email takes the case; their team
		// has a webhook.
		mailer, hook := outboxtest.NewSMTP(t), outboxtest.NewReceiver(t)
		err := store.Write(ctx, db.Author{Who: "worker@cert.example"}, func(tx *db.Tx) error {
			u, _, err := account.AddUser(ctx, tx, "worker@cert.example", "case-worker", "CERT", "")
			if err != nil {
				return err
			}
			if err := outbox.SetConsent(ctx, tx, u.ID, true); err != nil {
				return err
			}
			if _, hook.Secret, err = outbox.AddWebhook(ctx, tx, u.TeamID, hook.URL); err != nil {
				return err
			}
			return casefile.Assign(ctx, tx, id, u.Email, u.TeamID, []string{u.ID})
		})
		if err != nil {
			t.Fatal(err)
		}
		if code, body := s.api("POST", "/api/v1/reports/status/messages", fmt.Sprintf(`{"message": %q}`, secrets[3]), "Authorization", "Receipt "+m[1]); code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		_ = store.Write(ctx, db.Author{Who: "reporter"}, func(tx *db.Tx) error {
			return s.cases.AddMessage(ctx, tx, id, "reporter", "", "", "f.txt", []byte(secrets[4]))
		})
		// Both messages notified, by email and webhook, and were delivered.
		w := &outbox.Worker{DB: store, SMTP: mailer.Client, BaseURL: "https://harmtrace.test"}
		if n, err := w.Once(ctx); err != nil || n != 4 {
			t.Fatalf("the outbox delivered %d notifications of the reporter's 2 messages, want 4: %v", n, err)
		}
		var sent []string
		for _, mail := range mailer.Mails() {
			if !strings.Contains(mail.Body, "https://harmtrace.test/work/cases/"+id) {
				t.Errorf("the email has no link to the case: %s", mail.Body)
			}
			sent = append(sent, mail.Subject, mail.Body)
		}
		for _, d := range hook.Deliveries() {
			if !d.Signed {
				t.Error("a webhook delivery is not signed with the webhook's secret")
			}
			sent = append(sent, string(d.Body))
		}
		if len(sent) != 2*2+2 {
			t.Fatalf("%d mails and webhook deliveries", len(sent))
		}
		receipts := []string{m[1], strings.ReplaceAll(m[1], "-", "")}
		for _, text := range sent {
			for _, secret := range append(secrets, receipts...) {
				if strings.Contains(text, secret) {
					t.Errorf("a notification carries %q: %s", secret, text)
				}
			}
		}
		dbtest.NotInFiles(t, files(), append(append(secrets, receipts...), hook.Secret)...)
	}
	dbtest.EachWithFiles(t, run)
}
