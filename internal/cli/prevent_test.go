package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestInventoryAndAlerts runs the inventory and alerts commands on both
// stores: a CSV import (vendor names folded, a CPE alone), the alerts as
// JSON with exactly the fields of the contract, known ransomware use
// first; a newer catalog raises only its new entry, and a decision needs
// a reason.
func TestInventoryAndAlerts(t *testing.T) {
	eachStore(t, func(t *testing.T, store []string) {
		run := func(want int, args ...string) string {
			t.Helper()
			code, out, errOut := harmtrace(t, store, args...)
			if code != want {
				t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, want, out, errOut)
			}
			return out + errOut
		}
		run(0, "add", "organisation", "--name", "Refuge Saint-Martin", "--kind", "ngo")
		run(2, "inventory", "add", "--org", "Nobody Here", "--vendor", "x", "--product", "y")
		run(1, "inventory", "add", "--org", "Refuge Saint-Martin", "--cpe", "not a cpe")
		out := run(0, "inventory", "import", "--org", "Refuge Saint-Martin", "testdata/kev/inventory.csv")
		if !strings.Contains(out, "3 items added") || !strings.Contains(out, "new alerts for Refuge Saint-Martin") {
			t.Fatalf("import: %s", out)
		}
		list := run(0, "inventory", "list", "--org", "Refuge Saint-Martin")
		if !strings.Contains(list, "git-scm") || !strings.Contains(list, "Exchange Server 2019") {
			t.Fatalf("list: %s", list)
		}
		var got struct {
			Alerts []map[string]any `json:"alerts"`
		}
		if err := json.Unmarshal([]byte(run(0, "alerts", "--org", "Refuge Saint-Martin", "--format", "json")), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Alerts) < 17 {
			t.Fatalf("%d alerts", len(got.Alerts))
		}
		fields := []string{"organisation_id", "cve", "vendor", "product", "known_ransomware_use", "due_date", "required_action", "date_added", "state"}
		for _, a := range got.Alerts {
			if len(a) != len(fields) {
				t.Errorf("alert has %d fields: %v", len(a), a)
			}
			for _, f := range fields {
				if _, ok := a[f]; !ok {
					t.Errorf("alert without %q: %v", f, a)
				}
			}
		}
		if got.Alerts[0]["known_ransomware_use"] != true {
			t.Errorf("first alert: %v", got.Alerts[0])
		}
		before := len(got.Alerts)
		out = run(0, "import", "--format", "kev", "testdata/kev/kev-2025.09.01.json")
		if !strings.Contains(out, "KEV catalog 2025.09.01 (released 2025-09-01T12:00:00.000Z, 4 entries) recorded; 1 new alerts") {
			t.Fatalf("import kev: %s", out)
		}
		out = run(0, "import", "testdata/kev/kev-2025.09.01.json")
		if !strings.Contains(out, "was loaded before") {
			t.Fatalf("import kev again (detected): %s", out)
		}
		text := run(0, "alerts")
		if !strings.Contains(text, "KEV catalog 2025.09.01") || strings.Count(text, "Refuge Saint-Martin") != before+1 {
			t.Fatalf("alerts: %s", text)
		}
		fields2 := strings.Fields(strings.Split(text, "\n")[2])
		id := fields2[len(fields2)-1]
		run(1, "alerts", "decide", id, "--state", "fixed")
		if out := run(0, "alerts", "decide", id, "--state", "fixed", "--reason", "patched on 2 September"); !strings.Contains(out, "is fixed") {
			t.Fatal(out)
		}
		if out := run(0, "alerts", "--state", "fixed"); !strings.Contains(out, id) {
			t.Fatalf("fixed alerts: %s", out)
		}
	})
}

// TestNotificationsCommand adds a team's webhook (its secret shown once)
// and lists the outbox with its counts.
func TestNotificationsCommand(t *testing.T) {
	store := sqliteStore(t)
	if code, out, errOut := harmtrace(t, store, "user", "add", "--role", "admin", "--org", "Team A", "admin@a.example"); code != 0 {
		t.Fatalf("user add: %s%s", out, errOut)
	}
	code, out, errOut := harmtrace(t, store, "notifications", "webhook", "--team", "Team A", "https://hooks.example/a")
	if code != 0 || !strings.Contains(out, "signing secret (shown once): ") {
		t.Fatalf("webhook: %d %s%s", code, out, errOut)
	}
	if code, _, errOut := harmtrace(t, store, "notifications", "webhook", "--team", "Team A", "ftp://hooks.example/a"); code == 0 || !strings.Contains(errOut, "url") {
		t.Fatalf("an ftp webhook: %d %s", code, errOut)
	}
	if code, out, _ := harmtrace(t, store, "notifications"); code != 0 || !strings.Contains(out, "pending 0, sending 0, delivered 0, failed 0, withheld 0") {
		t.Fatalf("list: %s", out)
	}
	if code, _, _ := harmtrace(t, store, "notifications", "retry", "notification--none"); code == 0 {
		t.Fatal("retrying a missing notification succeeded")
	}
}
