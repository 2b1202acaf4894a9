package web_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/evidence"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// evidenceRoutes are the locker's routes, with what each asks of the
// evidence's case or incident.
var evidenceRoutes = []struct {
	route, action, path string
}{
	{"GET /work/evidence/{scope}", "read", "/work/evidence/{scope}"},
	{"GET /work/evidence/{scope}/{item}", "read", "/work/evidence/{scope}/{item}"},
	{"POST /work/evidence/{scope}", "add", "/work/evidence/{scope}"},
	{"POST /work/evidence/{scope}/{item}/note", "add", "/work/evidence/{scope}/{item}/note"},
	{"GET /work/evidence/{scope}/package", "export", "/work/evidence/{scope}/package"},
}

// TestEvidenceAccessMatrix walks the locker's routes for the evidence of a
// case (Team A's, one volunteer assigned) and of Team A's amber incident,
// for every viewer: evidence follows its case's or incident's access, and
// every download is a custody entry.
func TestEvidenceAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		s := newCaseSite(t, store)
		ctx := context.Background()
		_, caseID := s.report(t, `{"attack_types": ["stalkerware"], "what_happened": "evidence matrix"}`)
		if code, body := s.do("worker@a.example", "PATCH", "/api/v1/cases/"+caseID, fmt.Sprintf(`{"assigned": [%q]}`, s.ids["volunteer@a.example"])); code != 200 {
			t.Fatalf("assign: %d %s", code, body)
		}
		var teamA string
		_ = store.QueryRow(ctx, `SELECT team_id FROM users WHERE email = 'analyst@a.example'`).Scan(&teamA)
		src := &trace.Source{Title: "Clinic's statement", Kind: "victim-statement", Marking: access.Marking{TLP: "amber", Owner: teamA}}
		in := &trace.Incident{Title: "Wiper at a clinic", AttackTypes: []string{"wiper"}, Determination: "confirmed",
			Marking: access.Marking{TLP: "amber", Owner: teamA}}
		if err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
			if _, err := trace.SaveSource(ctx, tx, src); err != nil {
				return err
			}
			in.SourceIDs = []string{src.ID}
			_, err := trace.SaveIncident(ctx, tx, in)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		items := map[string]string{}
		for _, scope := range []string{caseID, in.ID} {
			it, err := s.locker.Add(ctx, "test", scope, evidence.Metadata{OriginalName: "secret-screenshot-" + scope[:4] + ".png"}, strings.NewReader("pixels of "+scope))
			if err != nil {
				t.Fatal(err)
			}
			items[scope] = it.ID
		}
		allowed := func(email, scope, action string) bool {
			if scope == caseID {
				switch email {
				case "worker@a.example", "admin@a.example":
					return true
				case "volunteer@a.example":
					return action != "export"
				}
				return false
			}
			switch email {
			case "analyst@a.example", "admin@a.example":
				return true
			case "worker@a.example", "volunteer@a.example", "other-volunteer@a.example":
				return action == "read" // Team A reads its amber incident; only its analysts write it
			}
			return false
		}
		viewers := []string{"", "analyst@a.example", "viewer@b.example", "worker@a.example", "admin@a.example", "volunteer@a.example",
			"other-volunteer@a.example", "worker@b.example"}
		wrong, leaks := 0, 0
		for _, scope := range []string{caseID, in.ID} {
			for _, v := range viewers {
				for _, er := range evidenceRoutes {
					path := strings.NewReplacer("{scope}", scope, "{item}", items[scope]).Replace(er.path)
					method, _, _ := strings.Cut(er.route, " ")
					body, header := "", []string{}
					switch er.action {
					case "add":
						if strings.HasSuffix(path, "/note") {
							body = "body=seen+by+" + strings.ReplaceAll(v, "@", "+at+")
						} else {
							var buf bytes.Buffer
							mw := multipart.NewWriter(&buf)
							_ = mw.WriteField("acquired_by", v)
							fw, _ := mw.CreateFormFile("file", "upload.txt")
							_, _ = fw.Write([]byte("uploaded by " + v))
							_ = mw.Close()
							body, header = buf.String(), []string{"Content-Type", mw.FormDataContentType()}
						}
					}
					before := countRows(t, store, `SELECT COUNT(*) FROM custody_log`)
					code, resp := s.do(v, method, path, body, header...)
					ok := code < 400 && !strings.Contains(resp, "/sign-in?next=")
					want := allowed(v, scope, er.action)
					if ok != want {
						wrong++
						t.Errorf("%s %s as %q: %d, want allowed=%v: %.200s", method, path, v, code, want, resp)
					}
					if !want && (strings.Contains(resp, "secret-screenshot") || strings.Contains(resp, "pixels of")) {
						leaks++
						t.Errorf("%s %s as %q shows the evidence", method, path, v)
					}
					if after := countRows(t, store, `SELECT COUNT(*) FROM custody_log`); ok && er.action != "read" || strings.Contains(er.route, "{item}") && ok {
						if after == before {
							t.Errorf("%s %s as %q left no custody entry", method, path, v)
						}
					} else if !ok && after != before {
						t.Errorf("%s %s as %q was refused but logged", method, path, v)
					}
				}
			}
		}
		if rep, err := evidence.VerifyLog(ctx, store, s.locker.Signer.Public()); err != nil {
			t.Errorf("the log after the matrix: %v", err)
		} else {
			t.Logf("evidence matrix: %d leaks, %d wrong answers; the custody log has %d entries and verifies", leaks, wrong, rep.Entries)
		}
		// A withdrawn case takes its evidence with it.
		if _, err := s.cases.Erase(ctx, caseID, "reporter", "withdrawn"); err != nil {
			t.Fatal(err)
		}
		if code, _ := s.do("worker@a.example", "GET", "/work/evidence/"+caseID+"/"+items[caseID], ""); code != http.StatusNotFound {
			t.Errorf("the evidence of a withdrawn case: %d", code)
		}
		if n := countRows(t, store, `SELECT COUNT(*) FROM evidence_items WHERE scope_id = ? AND erased_at = ''`, caseID); n != 0 {
			t.Errorf("%d items of the withdrawn case are left", n)
		}
	})
}
