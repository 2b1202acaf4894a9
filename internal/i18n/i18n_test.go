package i18n_test

import (
	"testing"

	"github.com/harmtrace/harmtrace/internal/i18n"
)

// Every message is in every language: a victim reading French never meets
// an English sentence, nor a bracketed key.
func TestEveryMessageIsTranslated(t *testing.T) {
	for key, m := range i18n.Keys() {
		for lang, s := range map[string]string{"en": m.En, "fr": m.Fr, "es": m.Es, "ar": m.Ar} {
			if s == "" {
				t.Errorf("%s has no %s text", key, lang)
			}
		}
	}
}

func TestPick(t *testing.T) {
	for _, tt := range []struct{ asked, accept, want string }{
		{"fr", "es", "fr"}, {"", "ar-EG,ar;q=0.9,en;q=0.5", "ar"}, {"xx", "de-DE, es;q=0.8", "es"}, {"", "", "en"}, {"", "de", "en"},
	} {
		if got := i18n.Pick(tt.asked, tt.accept); got != tt.want {
			t.Errorf("Pick(%q, %q) = %q, want %q", tt.asked, tt.accept, got, tt.want)
		}
	}
	if got := i18n.T("fr", "no.such.key"); got != "[no.such.key]" {
		t.Errorf("a missing key shows as %q", got)
	}
	if got := i18n.T("es", "field.too_long", 10); got != "Es demasiado largo: como máximo 10 caracteres." {
		t.Errorf("formatted: %q", got)
	}
}
