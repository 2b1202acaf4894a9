package casefile

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/harmtrace/harmtrace/internal/i18n"
	"github.com/harmtrace/harmtrace/internal/recovery"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// FieldError is a problem with one field of a report, as a message key of
// the victims' catalogue (internal/i18n), so that it is shown in the
// reporter's language next to its field.
type FieldError struct {
	Field string `json:"field"`
	Key   string `json:"key"`
	Args  []any  `json:"-"`
}

// Problems are a report's field errors.
type Problems []FieldError

func (p Problems) Error() string {
	var parts []string
	for _, e := range p {
		parts = append(parts, e.Field+": "+e.Key)
	}
	return "the report is not valid: " + strings.Join(parts, "; ")
}

// Of returns the problem of field, if any.
func (p Problems) Of(field string) *FieldError {
	for i := range p {
		if p[i].Field == field {
			return &p[i]
		}
	}
	return nil
}

// Choices of the form, in the order it lists them.
var (
	OrganisationKinds = []string{"ngo", "healthcare-provider", "humanitarian", "school", "media", "community", "business", "public-body", "other"}
	Sectors           = []string{"Health", "Humanitarian", "Human rights", "Education", "Social services", "Media", "Religious", "Other"}
	Affected          = []string{"services", "data", "money", "safety"}
	OngoingChoices    = []string{"yes", "no", "unsure"}
)

// Limits on what a reporter writes, in characters.
const (
	MaxStory   = 20000
	MaxName    = 300
	MaxMessage = 20000
	MaxEmail   = 254
	MaxPhone   = 32
)

var phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 ().-]{4,30}$`)

// Validate checks a report and normalises it (trimmed text, upper-case
// country codes, a supported language). now bounds the start date.
func Validate(r *Report, now time.Time) Problems {
	var p Problems
	add := func(field, key string, args ...any) { p = append(p, FieldError{Field: field, Key: key, Args: args}) }
	if len(r.AttackTypes) == 0 {
		add("attack_types", "field.attack_types.required")
	}
	for _, a := range r.AttackTypes {
		if !slices.Contains(recovery.AttackTypes, a) {
			add("attack_types", "field.attack_types.unknown")
			break
		}
	}
	r.AttackTypes = slices.Compact(slices.Sorted(slices.Values(r.AttackTypes)))
	r.WhatHappened = strings.TrimSpace(r.WhatHappened)
	switch {
	case r.WhatHappened == "":
		add("what_happened", "field.what_happened.required")
	case utf8.RuneCountInString(r.WhatHappened) > MaxStory:
		add("what_happened", "field.too_long", MaxStory)
	}
	switch {
	case r.Organisation != nil && r.Person != nil:
		add("who", "field.who.unknown")
	case r.Organisation != nil:
		o := r.Organisation
		o.Name, o.Country = strings.TrimSpace(o.Name), strings.ToUpper(strings.TrimSpace(o.Country))
		if o.Name == "" {
			add("organisation.name", "field.org_name.required")
		} else if utf8.RuneCountInString(o.Name) > MaxName {
			add("organisation.name", "field.too_long", MaxName)
		}
		if o.Kind != "" && !slices.Contains(OrganisationKinds, o.Kind) {
			add("organisation.kind", "field.choice.unknown")
		}
		if o.Sector != "" && !slices.Contains(Sectors, o.Sector) {
			add("organisation.sector", "field.choice.unknown")
		}
		checkCountry(&p, "organisation.country", o.Country)
	case r.Person != nil:
		r.Person.Country = strings.ToUpper(strings.TrimSpace(r.Person.Country))
		checkCountry(&p, "person.country", r.Person.Country)
	default:
		r.Person = &Person{}
	}
	r.Started = strings.TrimSpace(r.Started)
	if r.Started != "" {
		t, err := time.Parse("2006-01-02", r.Started)
		if err != nil {
			t, err = time.Parse("2006-01", r.Started)
		}
		switch {
		case err != nil:
			add("started", "field.started.invalid")
		case t.After(now):
			add("started", "field.started.future")
		}
	}
	if r.Ongoing != "" && !slices.Contains(OngoingChoices, string(r.Ongoing)) {
		add("ongoing", "field.choice.unknown")
	}
	for _, a := range r.Affected {
		if !slices.Contains(Affected, a) {
			add("affected", "field.choice.unknown")
			break
		}
	}
	for _, g := range r.HarmedGroups {
		if !slices.Contains(HarmedGroups, g) {
			add("harmed_groups", "field.choice.unknown")
			break
		}
	}
	r.Contact.Email, r.Contact.Phone = strings.TrimSpace(r.Contact.Email), strings.TrimSpace(r.Contact.Phone)
	if e := r.Contact.Email; e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e || len(e) > MaxEmail {
			add("contact.email", "field.email.invalid")
		}
	}
	if ph := r.Contact.Phone; ph != "" && (len(ph) > MaxPhone || !phonePattern.MatchString(ph)) {
		add("contact.phone", "field.phone.invalid")
	}
	if r.Consent.ContactMe && r.Contact == (Contact{}) {
		add("contact.email", "field.contact.required")
	}
	if r.Consent.NameOrganisation && !r.Consent.ShareAnonymised {
		add("consent.name_organisation", "field.name_org.needs_share")
	}
	if r.Consent.NameOrganisation && r.Organisation == nil {
		r.Consent.NameOrganisation = false // there is no organisation to name
	}
	if !i18n.Supported(r.Language) {
		r.Language = "en"
	}
	return p
}

func checkCountry(p *Problems, field, code string) {
	if code == "" {
		return
	}
	if _, ok := vocab.LookupCountry(code); !ok {
		*p = append(*p, FieldError{Field: field, Key: "field.choice.unknown"})
	}
}

// CheckMessage checks a message's text.
func CheckMessage(body string, hasFile bool) *FieldError {
	switch {
	case strings.TrimSpace(body) == "" && !hasFile:
		return &FieldError{Field: "message", Key: "field.message.required"}
	case utf8.RuneCountInString(body) > MaxMessage:
		return &FieldError{Field: "message", Key: "field.too_long", Args: []any{MaxMessage}}
	}
	return nil
}

// MaxFile is the largest file a reporter or helper may add.
const MaxFile = 10 << 20

// FileTooBig is the problem of a file over MaxFile.
func FileTooBig() *FieldError {
	return &FieldError{Field: "file", Key: "field.file.too_big", Args: []any{fmt.Sprintf("%d MB", MaxFile>>20)}}
}
