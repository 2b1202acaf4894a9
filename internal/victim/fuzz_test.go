package victim_test

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/harmtrace/harmtrace/internal/db/dbtest"
)

// FuzzReportForm posts arbitrary bodies, URL-encoded or multipart, to the
// victims' report form and to the status page's reply (which takes a
// file): no answer is a server error, and nothing panics.
func FuzzReportForm(f *testing.F) {
	f.Add(uint8(0), url.Values{"language": {"fr"}, "attack_types": {"ransomware"}, "who": {"organisation"},
		"org_name": {"Maison des femmes"}, "org_kind": {"ngo"}, "country": {"FR"}, "what_happened": {"Tous nos dossiers sont chiffrés."},
		"affected": {"data", "services"}, "email": {"contact@maison.example"}, "contact_me": {"yes"}, "started": {"2026-11"},
		"ongoing": {"unsure"}, "harmed_groups": {"women"}, "count_groups": {"yes"}}.Encode())
	f.Add(uint8(0), "language=ar&attack_types=phishing&who=person&what_happened=%D8%AA%D8%B5%D9%8A%D8%AF&phone=%2B33&started=2099-01")
	f.Add(uint8(1), "--B\r\nContent-Disposition: form-data; name=\"receipt\"\r\n\r\nABCD-EFGH-JKLM-NPQR\r\n--B\r\n"+
		"Content-Disposition: form-data; name=\"action\"\r\n\r\nreply\r\n--B\r\n"+
		"Content-Disposition: form-data; name=\"file\"; filename=\"ran\xe7on.txt\"\r\n\r\nVOS FICHIERS\r\n--B--\r\n")
	f.Add(uint8(3), "--B\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\nes\r\n--B--")
	s := newSite(f, dbtest.SQLite(f))
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, how uint8, body string) {
		path := []string{"/report", "/report/status"}[how&1]
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		if how&2 != 0 {
			req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		// A new address each time, so the limits per address do not
		// answer in the form's stead.
		i := n.Add(1)
		s.addr = fmt.Sprintf("198.51.%d.%d:4000", i/250%250, i%250)
		if code, answer := s.send(req); code >= 500 {
			t.Fatalf("POST %s: %d %.300s", path, code, answer)
		}
	})
}
