package trace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/validate"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// Source is where a claim comes from. Every incident, attribution and harm
// figure cites at least one.
type Source struct {
	ID        string `json:"id"`
	URL       string `json:"url,omitempty"`
	Title     string `json:"title"`
	Publisher string `json:"publisher,omitempty"`
	Published Date   `json:"published,omitempty"`
	Kind      string `json:"kind"`
	// Reliability (A–F) and Credibility (1–6) are the admiralty scale's
	// judgement of the source and of the information it gives.
	Reliability string `json:"reliability"`
	Credibility int    `json:"credibility"`
	access.Marking
	Created time.Time `json:"created,omitzero"`
	Updated time.Time `json:"updated,omitzero"`
}

// Normalise trims text and fills the admiralty scale's "cannot be judged"
// when no judgement is given.
func (s *Source) Normalise() {
	s.URL = strings.TrimSpace(s.URL)
	s.Title = strings.TrimSpace(s.Title)
	s.Publisher = strings.TrimSpace(s.Publisher)
	s.Reliability = strings.ToUpper(strings.TrimSpace(s.Reliability))
	if s.Reliability == "" {
		s.Reliability = "F"
	}
	if s.Credibility == 0 {
		s.Credibility = 6
	}
	if s.Title == "" {
		s.Title = s.URL
	}
	s.Marking.Normalise(DefaultTLP)
}

// Validate names every field at fault.
func (s *Source) Validate() error {
	var errs validate.Errors
	errs.Length("url", s.URL, validate.MaxURL)
	errs.Length("title", s.Title, validate.MaxName)
	errs.Length("publisher", s.Publisher, validate.MaxName)
	errs.Check("id", checkID(s.ID, "source"))
	if s.Title == "" {
		errs.Add("title", "is required (or give a url)")
	}
	if s.URL != "" {
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs.Add("url", "%q is not an http(s) URL", s.URL)
		}
	}
	errs.Check("published", s.Published.Check())
	errs.Check("kind", vocab.SourceKinds.Check(s.Kind))
	errs.Check("reliability", vocab.Reliability.Check(s.Reliability))
	if s.Credibility < 1 || s.Credibility > 6 {
		errs.Add("credibility", "%d is not on the admiralty scale (1 confirmed … 6 cannot be judged)", s.Credibility)
	}
	checkMarking(&errs, s.Marking)
	return errs.Err()
}

var sources = saver[Source]{kind: "source", get: GetSource, put: putSource,
	mark: func(s *Source) *access.Marking { return &s.Marking }}

// SaveSource creates or updates a source and tells what it did.
func SaveSource(ctx context.Context, tx *db.Tx, s *Source) (revision.Outcome, error) {
	if s.ID == "" {
		s.ID = NewID("source")
	}
	s.Normalise()
	if err := s.Validate(); err != nil {
		return revision.Unchanged, err
	}
	return sources.save(ctx, tx, s.ID, s)
}

func putSource(ctx context.Context, tx *db.Tx, s *Source, exists bool) error {
	now := tx.Updated(exists, s.Created, s.Updated)
	args := []any{s.URL, s.Title, s.Publisher, string(s.Published), s.Kind, s.Reliability, s.Credibility, s.TLP, s.Owner, now, s.ID}
	if exists {
		_, err := tx.Exec(ctx, `UPDATE sources SET url = ?, title = ?, publisher = ?, published = ?, kind = ?,
			reliability = ?, credibility = ?, tlp = ?, owner_team = ?, updated_at = ? WHERE id = ?`, args...)
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO sources (url, title, publisher, published, kind, reliability, credibility,
		tlp, owner_team, updated_at, id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(args, tx.Created(s.Created))...)
	return err
}

const sourceColumns = `id, url, title, publisher, published, kind, reliability, credibility, tlp, owner_team, created_at, updated_at`

func scanSource(row interface{ Scan(...any) error }) (*Source, error) {
	var s Source
	var published, created, updated string
	err := row.Scan(&s.ID, &s.URL, &s.Title, &s.Publisher, &published, &s.Kind, &s.Reliability, &s.Credibility, &s.TLP, &s.Owner, &created, &updated)
	if err != nil {
		return nil, err
	}
	s.Published = Date(published)
	s.Created, s.Updated = parseTime(created), parseTime(updated)
	return &s, nil
}

// GetSource returns the source with id, or db.ErrNotFound.
func GetSource(ctx context.Context, q db.Querier, id string) (*Source, error) {
	s, err := scanSource(q.QueryRow(ctx, `SELECT `+sourceColumns+` FROM sources WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("source %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return s, loadShares(ctx, q, id, &s.Marking)
}

// FindSourceByURL returns the id of a source with this URL, or "": the
// same URL, else one with the same URLKey.
func FindSourceByURL(ctx context.Context, q db.Querier, u string) (string, error) {
	if u == "" {
		return "", nil
	}
	ids, err := db.Column[string](ctx, q, `SELECT id FROM sources WHERE url = ? ORDER BY id LIMIT 1`, u)
	if err != nil || len(ids) > 0 {
		if len(ids) > 0 {
			return ids[0], nil
		}
		return "", err
	}
	byKey, err := SourcesByURLKey(ctx, q)
	return byKey[URLKey(u)], err
}

// SourcesOf returns the sources with the given ids, in that order.
func SourcesOf(ctx context.Context, q db.Querier, ids []string) ([]Source, error) {
	var out []Source
	for _, id := range ids {
		s, err := GetSource(ctx, q, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *s)
	}
	return out, nil
}

// trackingParams are query parameters that say how a reader came to a
// page, not which page it is.
var trackingParams = []string{"utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ref_src", "cmpid"}

// URLKey normalises a source's URL for matching, so that the same article
// cited by two formats is one source: scheme and host in lower case,
// http read as https, "www." and the default port dropped, the fragment,
// tracking parameters and a trailing slash removed, the remaining query
// parameters sorted. A URL that does not parse is its own key.
func URLKey(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	if p := u.Port(); p != "" && p != "80" && p != "443" {
		host += ":" + p
	}
	q := u.Query()
	for k := range q {
		for _, t := range trackingParams {
			if strings.HasPrefix(strings.ToLower(k), t) {
				q.Del(k)
			}
		}
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	key := "https://" + host + path
	if enc := q.Encode(); enc != "" { // Encode sorts by key
		key += "?" + enc
	}
	return key
}

// URLSourceID is the id of the source a URL names, derived from its URLKey:
// every reader gives the same article the same source.
func URLSourceID(u string) string { return DerivedID("source", "url|"+URLKey(u)) }

// SourcesByURLKey maps the URLKey of every stored source with a URL to its
// id (the smallest, when several share a key).
func SourcesByURLKey(ctx context.Context, q db.Querier) (map[string]string, error) {
	rows, err := q.Query(ctx, `SELECT id, url FROM sources WHERE url <> '' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sources by URL: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, u string
		if err := rows.Scan(&id, &u); err != nil {
			return nil, err
		}
		if k := URLKey(u); out[k] == "" {
			out[k] = id
		}
	}
	return out, rows.Err()
}
