package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/evidence"
	"github.com/harmtrace/harmtrace/internal/keys"
	"github.com/harmtrace/harmtrace/internal/web"
)

// caseSite is a server with victims' cases, and users of two helping
// teams: Team A's case worker, admin, analyst, and two volunteers (one
// assigned to A's case), and Team B's case worker.
type caseSite struct {
	h         http.Handler
	store     *db.DB
	cases     *casefile.Store
	locker    *evidence.Store
	sessions  map[string]string // email → session secret
	passwords map[string]string // email → password
	ids       map[string]string // email → user id
	requests  int
	seq       int
}

var caseUsers = []struct{ email, role, team string }{
	{"worker@a.example", "case-worker", "Team A"}, {"admin@a.example", "admin", "Team A"}, {"analyst@a.example", "analyst", "Team A"},
	{"volunteer@a.example", "volunteer", "Team A"}, {"other-volunteer@a.example", "volunteer", "Team A"},
	{"worker@b.example", "case-worker", "Team B"}, {"viewer@b.example", "viewer", "Team B"},
}

func newCaseSite(t *testing.T, store *db.DB) *caseSite {
	t.Helper()
	t.Setenv(keys.EnvKeyFile, "")
	dataDir := t.TempDir()
	ring, err := keys.Open(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	locker, err := evidence.Open(store, ring, dataDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := &caseSite{store: store, cases: &casefile.Store{DB: store, Keys: ring, OnErase: locker.EraseScope}, locker: locker, sessions: map[string]string{}, passwords: map[string]string{}, ids: map[string]string{}}
	err = store.Write(context.Background(), db.Author{Who: "test"}, func(tx *db.Tx) error {
		for _, u := range caseUsers {
			user, pw, err := account.AddUser(context.Background(), tx, u.email, u.role, u.team, "")
			if err != nil {
				return err
			}
			s.ids[u.email], s.passwords[u.email] = user.ID, pw
			if s.sessions[u.email], err = account.NewSession(context.Background(), tx, user, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.h, err = web.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), web.Options{Cases: s.cases, Evidence: locker}); err != nil {
		t.Fatal(err)
	}
	return s
}

// do sends a request as email ("" for the public), from its own address
// unless from is given (the limits count per address).
func (s *caseSite) do(email, method, path, body string, header ...string) (int, string) {
	s.requests++
	s.seq++
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = fmt.Sprintf("198.51.100.%d:4000", s.seq%250+1)
	switch {
	case strings.HasPrefix(body, "{") || strings.HasPrefix(body, "["):
		req.Header.Set("Content-Type", "application/json")
	case body != "":
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if email != "" {
		req.AddCookie(&http.Cookie{Name: "harmtrace_session", Value: s.sessions[email]})
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	if loc := rec.Header().Get("Location"); loc != "" {
		return rec.Code, rec.Body.String() + "\n[redirect to " + loc + "]"
	}
	return rec.Code, rec.Body.String()
}

// report sends a report through the API and returns its receipt and case.
func (s *caseSite) report(t *testing.T, body string) (string, string) {
	t.Helper()
	code, resp := s.do("", "POST", "/api/v1/reports", body)
	if code != http.StatusCreated {
		t.Fatalf("report: %d %s", code, resp)
	}
	var out struct{ Receipt string }
	_ = json.Unmarshal([]byte(resp), &out)
	id, err := s.cases.ByReceipt(context.Background(), out.Receipt)
	if err != nil || id == "" {
		t.Fatalf("no case for the receipt: %v", err)
	}
	return out.Receipt, id
}

// caseRoute is a route of the cases, with the request the matrix sends.
type caseRoute struct {
	route  string
	action string // read, write, manage
	path   string // {id} and {file}, {task} are filled in
	body   string
}

var caseMatrixRoutes = []caseRoute{
	{"GET /work/cases/{id}", "read", "/work/cases/{id}", ""},
	{"GET /work/cases/{id}/files/{file}", "read", "/work/cases/{id}/files/{file}", ""},
	{"POST /work/cases/{id}", "write", "/work/cases/{id}", "action=note&body=matrix+note"},
	{"POST /work/cases/{id}", "manage", "/work/cases/{id}", "action=triage&severity=high&priority=P2"},
	{"GET /api/v1/cases/{id}", "read", "/api/v1/cases/{id}", ""},
	{"PATCH /api/v1/cases/{id}", "manage", "/api/v1/cases/{id}", `{"severity": "medium"}`},
	{"GET /api/v1/cases/{id}/tasks", "read", "/api/v1/cases/{id}/tasks", ""},
	{"POST /api/v1/cases/{id}/tasks", "write", "/api/v1/cases/{id}/tasks", `{"title": "matrix task"}`},
	{"PATCH /api/v1/cases/{id}/tasks/{task}", "write", "/api/v1/cases/{id}/tasks/{task}", `{"done": true}`},
	{"GET /api/v1/cases/{id}/notes", "read", "/api/v1/cases/{id}/notes", ""},
	{"POST /api/v1/cases/{id}/notes", "write", "/api/v1/cases/{id}/notes", `{"body": "matrix note"}`},
	{"GET /api/v1/cases/{id}/messages", "read", "/api/v1/cases/{id}/messages", ""},
	{"POST /api/v1/cases/{id}/messages", "write", "/api/v1/cases/{id}/messages", `{"body": "matrix message"}`},
}

// caseListRoutes list cases: everyone who works on cases gets 200 and
// only the cases they may read.
var caseListRoutes = []string{"GET /work/cases", "GET /api/v1/cases"}

// reporterRoutes are answered by the receipt alone.
var reporterRoutes = []string{"GET /report", "POST /report", "GET /report/status", "POST /report/status", "POST /api/v1/reports",
	"GET /api/v1/reports/status", "DELETE /api/v1/reports/status", "POST /api/v1/reports/status/messages",
	"GET /api/v1/reports/figures"} // anonymous counts, withheld under 5: TestRetentionAndCounts, TestReportedFigures

// TestCaseAccessMatrix walks every case route for every viewer of a case
// that Team A took (and assigned to one volunteer) and of a case nobody
// took yet, on both stores. What a viewer may not read answers like a
// missing case and names nothing of it.
func TestCaseAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		s := newCaseSite(t, store)
		ctx := context.Background()
		const story = "Matrix story: the shelter's intake laptop"
		receiptA, caseA := s.report(t, `{"organisation": {"name": "Matrix Shelter", "country": "BE"}, "attack_types": ["ransomware"],
			"what_happened": "`+story+` A", "contact": {"email": "matrix-a@shelter.example"}, "consent": {"contact_me": true}}`)
		_, caseOpen := s.report(t, `{"attack_types": ["phishing"], "what_happened": "`+story+` open"}`)
		// Team A's case worker takes case A and assigns a volunteer; the
		// reporter adds a file.
		if code, body := s.do("worker@a.example", "PATCH", "/api/v1/cases/"+caseA, fmt.Sprintf(`{"assigned": [%q]}`, s.ids["volunteer@a.example"])); code != 200 {
			t.Fatalf("assign: %d %s", code, body)
		}
		// An analyst is no helper: a case is not assigned to one.
		if code, body := s.do("worker@a.example", "PATCH", "/api/v1/cases/"+caseA, fmt.Sprintf(`{"assigned": [%q]}`, s.ids["analyst@a.example"])); code != 422 ||
			!strings.Contains(body, "does not work on cases") {
			t.Errorf("assigning an analyst: %d %s", code, body)
		}
		err := store.Write(ctx, db.Author{Who: "reporter"}, func(tx *db.Tx) error {
			return s.cases.AddMessage(ctx, tx, caseA, "reporter", "", "the note", "note.txt", []byte("matrix file"))
		})
		if err != nil {
			t.Fatal(err)
		}
		fileOf := func(id string) string {
			ids, _ := db.Column[string](ctx, store, `SELECT id FROM case_files WHERE case_id = ?`, id)
			if len(ids) == 0 {
				return "file--none"
			}
			return ids[0]
		}
		taskOf := func(id string) string {
			ids, _ := db.Column[string](ctx, store, `SELECT id FROM case_tasks WHERE case_id = ? ORDER BY position`, id)
			if len(ids) == 0 {
				return "task--none"
			}
			return ids[0]
		}
		// allowed says what each viewer may do with each case.
		allowed := func(email, caseID, action string) bool {
			owned := caseID == caseA
			switch email {
			case "worker@a.example", "admin@a.example":
				return true
			case "worker@b.example":
				return !owned
			case "volunteer@a.example":
				return owned && action != "manage"
			}
			return false
		}
		viewers := []string{"", "analyst@a.example", "viewer@b.example", "worker@a.example", "admin@a.example", "volunteer@a.example",
			"other-volunteer@a.example", "worker@b.example"}
		leaks, wrong := 0, 0
		for _, caseID := range []string{caseA, caseOpen} {
			for _, v := range viewers {
				for _, cr := range caseMatrixRoutes {
					path := strings.NewReplacer("{id}", caseID, "{file}", fileOf(caseID), "{task}", taskOf(caseID)).Replace(cr.path)
					method, _, _ := strings.Cut(cr.route, " ")
					code, body := s.do(v, method, path, cr.body)
					want := allowed(v, caseID, cr.action)
					ok := code < 400 && !strings.Contains(body, "/sign-in?next=")
					if cr.route == "GET /work/cases/{id}/files/{file}" && caseID == caseOpen {
						want = false // the open case has no file: 404 for all
					}
					if ok != want || (v == "" && code != http.StatusSeeOther && code != http.StatusUnauthorized) {
						wrong++
						t.Errorf("%s %s as %q: %d, want allowed=%v: %.200s", method, path, v, code, want, body)
					}
					if !want && (strings.Contains(body, story) || strings.Contains(body, "matrix-a@shelter.example") || strings.Contains(body, "Matrix Shelter")) {
						leaks++
						t.Errorf("%s %s as %q shows the case", method, path, v)
					}
				}
			}
		}
		// A volunteer works without the reporter's contact.
		if _, body := s.do("volunteer@a.example", "GET", "/api/v1/cases/"+caseA, ""); strings.Contains(body, "matrix-a@shelter.example") || !strings.Contains(body, story) {
			leaks++
			t.Errorf("the volunteer's view of the case: %.300s", body)
		}
		// Lists: those who work on cases see only the cases they may read.
		for _, v := range viewers {
			for _, route := range caseListRoutes {
				method, path, _ := strings.Cut(route, " ")
				code, body := s.do(v, method, path, "")
				works := v != "" && v != "analyst@a.example" && v != "viewer@b.example"
				if (code == 200) != works {
					wrong++
					t.Errorf("%s as %q: %d", route, v, code)
				}
				for _, c := range []string{caseA, caseOpen} {
					if strings.Contains(body, c) != (works && allowed(v, c, "read")) {
						leaks++
						t.Errorf("%s as %q lists %s: %v", route, v, c, strings.Contains(body, c))
					}
				}
			}
		}
		// The reporter: the right receipt reaches its case and nothing else;
		// a wrong one gets the same answer as a missing one, and staff
		// sessions give no reporter's rights.
		for _, tt := range []struct {
			who, receipt string
			code         int
		}{
			{"", receiptA, 200}, {"", casefile.NewReceipt(), 401}, {"", "not a receipt", 401}, {"", "", 401},
			{"worker@a.example", "", 401},
		} {
			header := []string{}
			if tt.receipt != "" {
				header = []string{"Authorization", "Receipt " + tt.receipt}
			}
			code, body := s.do(tt.who, "GET", "/api/v1/reports/status", "", header...)
			if code != tt.code || (code != 200 && strings.Contains(body, story)) {
				wrong++
				t.Errorf("status with receipt %q as %q: %d %s", tt.receipt, tt.who, code, body)
			}
			if code == 200 && !strings.Contains(body, "note.txt") {
				t.Errorf("the reporter does not see their own message: %s", body)
			}
		}
		for _, page := range []string{"/report/status"} {
			_, right := s.do("", "POST", page, url.Values{"receipt": {receiptA}}.Encode())
			_, bad := s.do("", "POST", page, url.Values{"receipt": {casefile.NewReceipt()}}.Encode())
			if !strings.Contains(right, `id="case-status"`) || !strings.Contains(bad, `id="wrong-receipt"`) || strings.Contains(bad, story) {
				wrong++
				t.Errorf("the status page: right %.100s, wrong %.100s", right, bad)
			}
		}
		// Every read of a case by its helpers is in the audit log, with who.
		for _, caseID := range []string{caseA, caseOpen} {
			for _, v := range viewers {
				readRoutes := 0
				for _, cr := range caseMatrixRoutes {
					if cr.action == "read" && allowed(v, caseID, "read") && !(caseID == caseOpen && strings.Contains(cr.route, "files")) {
						readRoutes++
					}
				}
				got := countRows(t, store, `SELECT COUNT(*) FROM audit_log WHERE action IN ('case.read', 'case.file.read') AND target = ? AND actor = ?`, caseID, v)
				if v != "" && got < readRoutes {
					t.Errorf("%s read %s %d times, the audit log has %d", v, caseID, readRoutes, got)
				}
			}
		}
		t.Logf("case matrix: %d requests, %d leaks, %d wrong answers", s.requests, leaks, wrong)
	})
}
