package recovery

import (
	"os"
	"slices"
	"testing"
	"testing/fstest"
)

func ids(steps []Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.ID)
	}
	return out
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name      string
		s         Situation
		want, not []string
	}{
		{"ransomware at an EU clinic, data taken", Situation{AttackTypes: []string{"ransomware"}, Organisation: true, Country: "FR", Affected: []string{"data", "services"}},
			[]string{"ransomware-isolate", "ransomware-backups", "gdpr-notify", "keep-evidence", "ransomware-decryptor", "report-police"}, []string{"report-ic3", "safety-first"}},
		{"ransomware outside the EEA: no GDPR step", Situation{AttackTypes: []string{"ransomware"}, Organisation: true, Country: "KE", Affected: []string{"data"}},
			[]string{"ransomware-isolate"}, []string{"gdpr-notify"}},
		{"a person in the EU: no GDPR step", Situation{AttackTypes: []string{"account-takeover"}, Country: "DE", Affected: []string{"data"}},
			[]string{"account-recover", "account-2sv"}, []string{"gdpr-notify"}},
		{"stalkerware with danger: safety first, plan before removal", Situation{AttackTypes: []string{"stalkerware"}, Affected: []string{"safety"}},
			[]string{"safety-first", "stalkerware-plan-first", "stalkerware-safe-device"}, nil},
		{"intimate images of a minor in the US", Situation{AttackTypes: []string{"intimate-image-abuse"}, Country: "US", Minors: true},
			[]string{"nci-minors", "nci-stopncii", "report-ic3"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(Plan(tt.s, "en"))
			for _, id := range tt.want {
				if !slices.Contains(got, id) {
					t.Errorf("lacks %s: %v", id, got)
				}
			}
			for _, id := range tt.not {
				if slices.Contains(got, id) {
					t.Errorf("has %s: %v", id, got)
				}
			}
			// Most urgent first: the order of the wanted steps is kept.
			if tt.name == "stalkerware with danger: safety first, plan before removal" && got[0] != "safety-first" {
				t.Errorf("first step %s", got[0])
			}
		})
	}
	// Every attack type has steps of its own, and the plan speaks the
	// reader's language.
	for _, a := range AttackTypes {
		en, ar := Plan(Situation{AttackTypes: []string{a}}, "en"), Plan(Situation{AttackTypes: []string{a}}, "ar")
		if len(en) <= 3 || en[0].Title == ar[0].Title {
			t.Errorf("%s: %d steps, en %q ar %q", a, len(en), en[0].Title, ar[0].Title)
		}
	}
}

// A plan file with a missing translation, an unknown condition or a step
// without a source does not load.
func TestPlanFilesAreChecked(t *testing.T) {
	good, err := os.ReadFile("plans/phishing.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := load(fstest.MapFS{"plans/phishing.json": {Data: good}}); err != nil {
		t.Fatalf("the real file: %v", err)
	}
	for name, body := range map[string]string{
		"no arabic":  `{"attack_type": "ddos", "steps": [{"id": "x", "source": "s", "source_url": "https://x", "title": {"en": "a", "fr": "a", "es": "a"}, "why": {"en": "a", "fr": "a", "es": "a", "ar": "a"}}]}`,
		"no source":  `{"attack_type": "ddos", "steps": [{"id": "x", "title": {"en": "a", "fr": "a", "es": "a", "ar": "a"}, "why": {"en": "a", "fr": "a", "es": "a", "ar": "a"}}]}`,
		"bad when":   `{"attack_type": "ddos", "steps": [{"id": "x", "when": ["tuesday"], "source": "s", "source_url": "https://x", "title": {"en": "a", "fr": "a", "es": "a", "ar": "a"}, "why": {"en": "a", "fr": "a", "es": "a", "ar": "a"}}]}`,
		"bad attack": `{"attack_type": "teleport", "steps": []}`,
	} {
		if _, err := load(fstest.MapFS{"plans/x.json": {Data: []byte(body)}}); err == nil {
			t.Errorf("%s: loads", name)
		}
	}
}
