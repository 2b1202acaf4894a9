// Package casefile keeps victims' reports and the cases built on them:
// the report, its receipt, the reporter's contact, messages both ways,
// files, the helpers' notes and tasks, and the timeline. Everything a
// reporter writes and every note is sealed with the case's own key
// (internal/keys) before it reaches the store, and never goes into the
// revisions or the audit log: only ids, statuses and counts do.
//
// Who may do what is decided by internal/access (cases.go); this package
// stores and reads, and its callers ask first.
package casefile

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/keys"
	"github.com/harmtrace/harmtrace/internal/recovery"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// Statuses of a case, in the order a case goes through them.
var Statuses = []string{"received", "triaged", "in-progress", "waiting", "closed", "withdrawn", "expired"}

// Report is what a reporter tells, as the form and POST /api/v1/reports
// take it.
type Report struct {
	Organisation *Organisation `json:"organisation,omitempty"`
	Person       *Person       `json:"person,omitempty"`
	AttackTypes  []string      `json:"attack_types"`
	WhatHappened string        `json:"what_happened"`
	Started      string        `json:"started,omitempty"`
	Ongoing      Ongoing       `json:"ongoing,omitempty"`
	Affected     []string      `json:"affected,omitempty"`
	HarmedGroups []string      `json:"harmed_groups,omitempty"`
	Contact      Contact       `json:"contact"`
	Consent      Consent       `json:"consent"`
	Language     string        `json:"language,omitempty"`
}

// Ongoing says whether the attack is still going on: yes, no or unsure
// (the form's choices); the API also takes true and false.
type Ongoing string

// UnmarshalJSON reads "yes", "no", "unsure", true or false.
func (o *Ongoing) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true":
		*o = "yes"
	case "false":
		*o = "no"
	case "null":
		*o = ""
	default:
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return errors.New(`ongoing is "yes", "no", "unsure", true or false`)
		}
		*o = Ongoing(s)
	}
	return nil
}

// Organisation is the attacked organisation, when it is one.
type Organisation struct {
	Name    string `json:"name"`
	Kind    string `json:"kind,omitempty"`
	Country string `json:"country,omitempty"`
	Sector  string `json:"sector,omitempty"`
}

// Person is an attacked person: nothing that identifies them is asked.
type Person struct {
	Country string `json:"country,omitempty"`
}

// Contact is how a reporter may be reached; both may be empty.
type Contact struct {
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Consent is what the reporter explicitly allows.
type Consent struct {
	ContactMe        bool `json:"contact_me"`
	ShareAnonymised  bool `json:"share_anonymised"`
	NameOrganisation bool `json:"name_organisation"`
	// CountGroups allows counting the harmed groups, anonymously.
	CountGroups bool `json:"count_groups"`
}

// Country is the reporter's country, whichever party they are.
func (r *Report) Country() string {
	if r.Organisation != nil {
		return r.Organisation.Country
	}
	if r.Person != nil {
		return r.Person.Country
	}
	return ""
}

// Situation is what the recovery plan is made from.
func (r *Report) Situation() recovery.Situation {
	minors := false
	for _, g := range r.HarmedGroups {
		minors = minors || g == "minors"
	}
	return recovery.Situation{AttackTypes: r.AttackTypes, Organisation: r.Organisation != nil, Country: r.Country(),
		Affected: r.Affected, Ongoing: r.Ongoing == "yes", Minors: minors}
}

// content is the sealed part of a report.
type content struct {
	Organisation *Organisation `json:"organisation,omitempty"`
	Person       *Person       `json:"person,omitempty"`
	WhatHappened string        `json:"what_happened"`
	Started      string        `json:"started,omitempty"`
}

// Case is a case as its helpers see it, its content opened.
type Case struct {
	ID            string    `json:"id"`
	Status        string    `json:"status"`
	Outcome       string    `json:"outcome,omitempty"`
	Severity      string    `json:"severity"`
	Priority      string    `json:"priority"`
	Suggested     Triage    `json:"suggested_triage"`
	OwnerTeam     string    `json:"owner_team"`
	Assigned      []string  `json:"assigned"`
	Language      string    `json:"language"`
	Report        Report    `json:"report"`
	IncidentID    string    `json:"incident_id,omitempty"`
	Created       time.Time `json:"created"`
	Updated       time.Time `json:"updated"`
	FirstResponse string    `json:"first_response,omitempty"`
	Erased        string    `json:"erased,omitempty"`
}

// IsErased reports whether the case's content is gone.
func (c *Case) IsErased() bool { return c.Erased != "" }

// Receipts: 16 characters of Crockford's base32 (80 bits), shown in four
// groups. Only a hash is stored; the receipt itself is shown once.
const receiptAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewReceipt returns a fresh receipt code.
func NewReceipt() string {
	var b [16]byte
	random(b[:])
	var sb strings.Builder
	for i, x := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(receiptAlphabet[x&31])
	}
	return sb.String()
}

// NormalReceipt reads a receipt as typed: any case, spaces and dashes,
// O for 0 and I or L for 1. ok is false when it cannot be a receipt.
func NormalReceipt(s string) (string, bool) {
	var sb strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		if !strings.ContainsRune(receiptAlphabet, r) {
			return "", false
		}
		sb.WriteRune(r)
	}
	return sb.String(), sb.Len() == 16
}

// receiptHash is what the store keeps of a receipt.
func receiptHash(normal string) string {
	sum := sha256.Sum256([]byte("harmtrace receipt\x00" + normal))
	return hex.EncodeToString(sum[:])
}

// Store is the cases' store and their keys.
type Store struct {
	DB   *db.DB
	Keys *keys.Ring
	// OnErase runs after a case was erased: the evidence locker deletes
	// the case's files (their key is gone already).
	OnErase func(ctx context.Context, actor, caseID string) error
}

// Submit stores a new report as a case and returns its receipt. The
// report must have been validated (Validate).
func (s *Store) Submit(ctx context.Context, r *Report) (receipt string, c *Case, err error) {
	receipt = NewReceipt()
	normal, _ := NormalReceipt(receipt)
	id := trace.NewID("case")
	key, err := s.Keys.Create(id)
	if err != nil {
		return "", nil, err
	}
	body, _ := json.Marshal(content{Organisation: r.Organisation, Person: r.Person, WhatHappened: r.WhatHappened, Started: r.Started})
	sealedContent, err := key.Seal("cases.content", body)
	if err != nil {
		return "", nil, err
	}
	sealedContact := ""
	if r.Contact != (Contact{}) {
		b, _ := json.Marshal(r.Contact)
		if sealedContact, err = key.Seal("cases.contact", b); err != nil {
			return "", nil, err
		}
	}
	subject := "person"
	if r.Organisation != nil {
		subject = "organisation"
	}
	groups := r.HarmedGroups
	if !r.Consent.CountGroups {
		groups = nil // counted only with consent, and kept only to be counted
	}
	err = s.DB.Write(ctx, db.Author{Who: "reporter", Why: "report"}, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO cases (id, receipt_hash, language, subject, attack_types, ongoing, affected, harmed_groups,
			consent_contact, consent_share, consent_name, consent_count, content_sealed, contact_sealed, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, receiptHash(normal), r.Language, subject, list(r.AttackTypes), r.Ongoing, list(r.Affected), list(groups),
			flag(r.Consent.ContactMe), flag(r.Consent.ShareAnonymised), flag(r.Consent.NameOrganisation), flag(r.Consent.CountGroups),
			sealedContent, sealedContact, tx.Stamp(), tx.Stamp())
		if err != nil {
			return err
		}
		if err := event(ctx, tx, id, "reporter", "report received"); err != nil {
			return err
		}
		// The plan's steps become the case's first tasks.
		for i, st := range recovery.Plan(r.Situation(), "en") {
			if err := addTask(ctx, tx, key, id, i, st.ID, st.Title); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = s.Keys.Erase(id)
		return "", nil, err
	}
	c, err = s.Get(ctx, s.DB, id)
	return receipt, c, err
}

func list(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// decoy is opened when a receipt matches no case, so that a wrong receipt
// costs the same work as a right one.
var decoy = keys.Ephemeral("case--decoy")
var decoySealed, _ = decoy.Seal("cases.content", make([]byte, 512))

// ByReceipt finds the case of a receipt: "" when the receipt is malformed
// or matches none, after the same work either way.
func (s *Store) ByReceipt(ctx context.Context, receipt string) (string, error) {
	normal, ok := NormalReceipt(receipt)
	if !ok {
		normal = strings.Repeat("0", 16) // looked up like any other, and matches nothing
	}
	want := receiptHash(normal)
	var id, stored string
	err := s.DB.QueryRow(ctx, `SELECT id, receipt_hash FROM cases WHERE receipt_hash = ?`, want).Scan(&id, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		_, _ = decoy.Open("cases.content", decoySealed)
		return "", nil
	}
	if err != nil {
		return "", err
	}
	_, _ = decoy.Open("cases.content", decoySealed)
	if !ok || subtle.ConstantTimeCompare([]byte(stored), []byte(want)) != 1 {
		return "", nil
	}
	return id, nil
}

// ErrNoCase is the answer for a case that is not there.
var ErrNoCase = errors.New("no such case")

// Get reads a case and opens its content; an erased case comes back with
// its dates and status alone.
func (s *Store) Get(ctx context.Context, q db.Querier, id string) (*Case, error) {
	c := &Case{ID: id}
	var attacks, affected, groups, sealedContent, sealedContact, created, updated string
	var consentContact, consentShare, consentName, consentCount int
	var subject string
	err := q.QueryRow(ctx, `SELECT status, outcome, severity, priority, owner_team, language, subject, attack_types, ongoing, affected,
		harmed_groups, consent_contact, consent_share, consent_name, consent_count, content_sealed, contact_sealed, incident_id,
		created_at, updated_at, first_response_at, erased_at FROM cases WHERE id = ?`, id).Scan(
		&c.Status, &c.Outcome, &c.Severity, &c.Priority, &c.OwnerTeam, &c.Language, &subject, &attacks, &c.Report.Ongoing, &affected,
		&groups, &consentContact, &consentShare, &consentName, &consentCount, &sealedContent, &sealedContact, &c.IncidentID,
		&created, &updated, &c.FirstResponse, &c.Erased)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoCase
	}
	if err != nil {
		return nil, err
	}
	c.Created, _ = parseTime(created)
	c.Updated, _ = parseTime(updated)
	c.Report.Language = c.Language
	if c.Assigned, err = db.Column[string](ctx, q, `SELECT user_id FROM case_assignments WHERE case_id = ? ORDER BY user_id`, id); err != nil {
		return nil, err
	}
	if c.IsErased() {
		return c, nil
	}
	_ = json.Unmarshal([]byte(attacks), &c.Report.AttackTypes)
	_ = json.Unmarshal([]byte(affected), &c.Report.Affected)
	_ = json.Unmarshal([]byte(groups), &c.Report.HarmedGroups)
	c.Report.Consent = Consent{ContactMe: consentContact == 1, ShareAnonymised: consentShare == 1, NameOrganisation: consentName == 1,
		CountGroups: consentCount == 1}
	key, err := s.Keys.Get(id)
	if err != nil {
		return nil, err
	}
	body, err := key.Open("cases.content", sealedContent)
	if err != nil {
		return nil, fmt.Errorf("case %s: content: %w", id, err)
	}
	var ct content
	if err := json.Unmarshal(body, &ct); err != nil {
		return nil, err
	}
	c.Report.Organisation, c.Report.Person, c.Report.WhatHappened, c.Report.Started = ct.Organisation, ct.Person, ct.WhatHappened, ct.Started
	if subject == "person" && c.Report.Person == nil {
		c.Report.Person = &Person{}
	}
	if sealedContact != "" {
		b, err := key.Open("cases.contact", sealedContact)
		if err != nil {
			return nil, fmt.Errorf("case %s: contact: %w", id, err)
		}
		_ = json.Unmarshal(b, &c.Report.Contact)
	}
	c.Suggested = Suggest(&c.Report)
	return c, nil
}
