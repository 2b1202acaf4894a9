package alert_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/alert"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/inventory"
	"github.com/harmtrace/harmtrace/internal/kev"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// exchangeEntries counts, from the bundled catalog itself, the entries for
// Microsoft Exchange Server (by the vulnerability's name, which the
// catalog spells the same whether its product says "Exchange Server" or
// "Exchange"), and those with known ransomware use.
func exchangeEntries(t *testing.T) (all, ransomware int) {
	c, err := kev.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range c.Vulnerabilities {
		if v.Vendor == "Microsoft" && strings.HasPrefix(v.Name, "Microsoft Exchange Server") {
			all++
			if v.Ransomware() {
				ransomware++
			}
		}
	}
	return all, ransomware
}

func organisation(t *testing.T, ctx context.Context, tx *db.Tx, name string) string {
	t.Helper()
	o := &trace.Organisation{Name: name, Kind: "ngo"}
	if _, err := trace.SaveOrganisation(ctx, tx, o); err != nil {
		t.Fatal(err)
	}
	return o.ID
}

// TestExchangeServerAlerts is the test: an organisation whose
// inventory lists Microsoft Exchange Server gets one alert per catalog
// entry for that product, known ransomware use first, then the oldest due
// date; a decision is kept with its reason; a new catalog version raises
// only its new match, and a dismissed alert stays dismissed.
func TestExchangeServerAlerts(t *testing.T) {
	want, wantRansomware := exchangeEntries(t)
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		if err := kev.EnsureBundled(ctx, store); err != nil {
			t.Fatal(err)
		}
		var org, other string
		var raised []alert.Alert
		err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
			org = organisation(t, ctx, tx, "Refuge Saint-Martin")
			other = organisation(t, ctx, tx, "Radio Libre")
			for _, it := range []inventory.Item{
				{OrganisationID: org, Vendor: "Microsoft Corporation", Product: "Exchange Server 2019", Version: "CU12"},
				{OrganisationID: org, CPE: "cpe:2.3:a:microsoft:exchange_server:2016:*:*:*:*:*:*:*"},
				{OrganisationID: org, Vendor: "Nobody", Product: "Nothing Known"},
				{OrganisationID: other, Vendor: "Git", Product: "Git"},
			} {
				if _, err := inventory.Add(ctx, tx, "", &it); err != nil {
					return err
				}
			}
			var err error
			raised, err = alert.Match(ctx, tx, "")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := alert.List(ctx, store, access.Operator, alert.Filter{OrganisationID: org})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want {
			t.Fatalf("%d alerts for Exchange Server, the catalog lists %d", len(got), want)
		}
		ransomware := 0
		for i, a := range got {
			if a.Ransomware {
				ransomware++
				if i > 0 && !got[i-1].Ransomware {
					t.Errorf("%s (known ransomware use) comes after %s (none known)", a.CVE, got[i-1].CVE)
				}
			}
			if i > 0 && a.Ransomware == got[i-1].Ransomware && a.DueDate < got[i-1].DueDate {
				t.Errorf("%s (due %s) after %s (due %s)", a.CVE, a.DueDate, got[i-1].CVE, got[i-1].DueDate)
			}
			if a.State != "open" || a.RequiredAction == "" || a.DateAdded == "" || a.Name == "" {
				t.Errorf("alert %+v", a)
			}
		}
		if ransomware != wantRansomware {
			t.Errorf("%d alerts with known ransomware use, the catalog says %d", ransomware, wantRansomware)
		}
		t.Logf("Exchange Server: %d alerts, %d with known ransomware use first; %d raised in all", len(got), ransomware, len(raised))

		// A decision needs a reason and is kept in the history.
		first := got[0]
		err = store.Write(ctx, db.Author{Who: "worker@a.example"}, func(tx *db.Tx) error {
			if err := alert.Decide(ctx, tx, first.ID, "dismissed", " "); err == nil {
				t.Error("a decision without a reason was kept")
			}
			if err := alert.Decide(ctx, tx, first.ID, "closed", "x"); err == nil {
				t.Error("an unknown state was kept")
			}
			if err := alert.Decide(ctx, tx, first.ID, "acknowledged", "the server is being patched"); err != nil {
				return err
			}
			return alert.Decide(ctx, tx, first.ID, "dismissed", "the server was retired in March")
		})
		if err != nil {
			t.Fatal(err)
		}
		history, err := alert.History(ctx, store, first.ID)
		if err != nil || len(history) != 3 || history[2].State != "dismissed" || history[2].Reason != "the server was retired in March" ||
			history[1].Actor != "worker@a.example" {
			t.Fatalf("history: %+v %v", history, err)
		}

		// A new catalog version raises its new entry only.
		var again []alert.Alert
		err = store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
			if _, err := kev.Save(ctx, tx, next(t), "next.json"); err != nil {
				return err
			}
			again, err = alert.Match(ctx, tx, "")
			return err
		})
		if err != nil || len(again) != 1 || again[0].CVE != "CVE-2025-99999" || again[0].OrganisationID != org || again[0].CatalogVersion != "2025.09.01" {
			t.Fatalf("the new version raised %+v (%v)", again, err)
		}
		if a, _ := alert.Get(ctx, store, first.ID); a.State != "dismissed" {
			t.Errorf("the dismissed alert is %s after the refresh", a.State)
		}
		all, _ := alert.List(ctx, store, access.Operator, alert.Filter{OrganisationID: org, States: []string{"open"}})
		if len(all) != want {
			t.Errorf("%d open alerts, want %d (one dismissed, one new)", len(all), want)
		}
	})
}

// TestAlertsReadOnlyByTheirOrganisationAndHelpers lists alerts as every
// kind of viewer: the keeping team's case workers and admins and the
// organisation's own team see them; other teams, analysts and the public
// see none.
func TestAlertsReadOnlyByTheirOrganisationAndHelpers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		if err := kev.EnsureBundled(ctx, store); err != nil {
			t.Fatal(err)
		}
		var org string
		var secret string
		err := store.Write(ctx, db.Author{Who: "test"}, func(tx *db.Tx) error {
			o := &trace.Organisation{Name: "Refuge Saint-Martin", Kind: "ngo", Marking: access.Marking{TLP: "amber", Owner: "team-helpers"}}
			if _, err := trace.SaveOrganisation(ctx, tx, o); err != nil {
				return err
			}
			org = o.ID
			// An organisation another team keeps amber: its inventory, kept
			// by nobody yet, is hidden from the helpers, who may not read it.
			hidden := &trace.Organisation{Name: "Secret Shelter", Kind: "ngo", Marking: access.Marking{TLP: "amber", Owner: "team-other"}}
			if _, err := trace.SaveOrganisation(ctx, tx, hidden); err != nil {
				return err
			}
			secret = hidden.ID
			if _, err := inventory.Add(ctx, tx, "", &inventory.Item{OrganisationID: secret, Vendor: "Git", Product: "Git"}); err != nil {
				return err
			}
			it := inventory.Item{OrganisationID: org, Vendor: "Git", Product: "Git"}
			if _, err := inventory.Add(ctx, tx, "team-helpers", &it); err != nil {
				return err
			}
			if err := inventory.AddMember(ctx, tx, org, "team-refuge"); err != nil {
				return err
			}
			_, err := alert.Match(ctx, tx, "")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		helper := access.User("u1", "team-helpers", "case-worker")
		if err := inventory.Check(ctx, store, helper, access.Read, secret); err != access.ErrHidden {
			t.Errorf("the helpers read the inventory of an organisation they may not read: %v", err)
		}
		if list, _ := alert.List(ctx, store, helper, alert.Filter{OrganisationID: secret}); len(list) != 0 {
			t.Errorf("the helpers list %d alerts of an organisation they may not read", len(list))
		}
		if list, _ := alert.List(ctx, store, access.User("u9", "team-other", "case-worker"), alert.Filter{OrganisationID: secret}); len(list) == 0 {
			t.Error("the organisation's own team's case worker lists no alert of its unkept inventory")
		}
		for _, tt := range []struct {
			name  string
			v     access.Viewer
			sees  bool
			write bool
		}{
			{"operator", access.Operator, true, true},
			{"helpers' case worker", access.User("u1", "team-helpers", "case-worker"), true, true},
			{"helpers' admin", access.User("u2", "team-helpers", "admin"), true, true},
			{"helpers' analyst", access.User("u3", "team-helpers", "analyst"), false, false},
			{"helpers' volunteer", access.User("u4", "team-helpers", "volunteer"), false, false},
			{"the organisation's admin", access.User("u5", "team-refuge", "admin"), true, true},
			{"the organisation's viewer", access.User("u6", "team-refuge", "viewer"), true, false},
			{"another team's case worker", access.User("u7", "team-other", "case-worker"), false, false},
			{"the public", access.Public, false, false},
		} {
			list, err := alert.List(ctx, store, tt.v, alert.Filter{OrganisationID: org})
			if err != nil {
				t.Fatal(err)
			}
			readErr := inventory.Check(ctx, store, tt.v, access.Read, org)
			writeErr := inventory.Check(ctx, store, tt.v, access.Write, org)
			if (len(list) > 0) != tt.sees || (readErr == nil) != tt.sees || (writeErr == nil) != tt.write {
				t.Errorf("%s: lists %d, read %v, write %v", tt.name, len(list), readErr, writeErr)
			}
		}
	})
}

func next(t *testing.T) *kev.Catalog {
	c, err := kev.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(c)
	var n kev.Catalog
	_ = json.Unmarshal(data, &n)
	n.Version, n.Released = "2025.09.01", "2025-09-01T12:00:00.000Z"
	n.Vulnerabilities = append(n.Vulnerabilities, kev.Vulnerability{CVE: "CVE-2025-99999", Vendor: "Microsoft", Product: "Exchange Server",
		Name: "Microsoft Exchange Server Test Vulnerability", DateAdded: "2025-09-01", DueDate: "2025-09-22", KnownRansomwareUse: "Known",
		ShortDescription: "A test entry.", RequiredAction: "Apply updates per vendor instructions."})
	n.Count = len(n.Vulnerabilities)
	if !slices.ContainsFunc(n.Vulnerabilities, func(v kev.Vulnerability) bool { return v.CVE == "CVE-2025-99999" }) {
		t.Fatal("no new entry")
	}
	return &n
}
