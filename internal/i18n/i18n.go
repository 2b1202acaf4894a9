// Package i18n is the one message catalogue of the pages that victims
// read: every string they see goes through T, in English, French, Spanish
// or Arabic (written right to left). A test fails on a message that lacks
// a language, and on a key that the templates or the code use but the
// catalogue lacks.
package i18n

import (
	"fmt"
	"strings"
)

// Lang is a language of the victims' pages.
type Lang struct {
	Code string // BCP 47
	Name string // in the language itself
	RTL  bool
}

// Langs are the languages, English first: it is the fallback.
var Langs = []Lang{{"en", "English", false}, {"fr", "Français", false}, {"es", "Español", false}, {"ar", "العربية", true}}

// Msg is one message in every language.
type Msg struct{ En, Fr, Es, Ar string }

func (m Msg) in(lang string) string {
	switch lang {
	case "fr":
		return m.Fr
	case "es":
		return m.Es
	case "ar":
		return m.Ar
	}
	return m.En
}

// Supported reports whether code is one of Langs.
func Supported(code string) bool {
	for _, l := range Langs {
		if l.Code == code {
			return true
		}
	}
	return false
}

// Of returns the language of code, English when unknown.
func Of(code string) Lang {
	for _, l := range Langs {
		if l.Code == code {
			return l
		}
	}
	return Langs[0]
}

// Pick chooses the language: the one asked for (a form field or ?lang=),
// else the first supported one of the Accept-Language header, else English.
func Pick(asked, acceptLanguage string) string {
	if Supported(asked) {
		return asked
	}
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if Supported(base) {
			return base
		}
	}
	return "en"
}

// T returns the message key in lang, formatted with args. A key that is
// not in the catalogue shows as itself between brackets, and the catalogue
// test finds it first.
func T(lang, key string, args ...any) string {
	m, ok := catalogue[key]
	if !ok {
		return "[" + key + "]"
	}
	s := m.in(lang)
	if s == "" {
		s = m.En
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether key is in the catalogue.
func Has(key string) bool {
	_, ok := catalogue[key]
	return ok
}

// Keys lists the catalogue's keys, for the tests.
func Keys() map[string]Msg { return catalogue }
