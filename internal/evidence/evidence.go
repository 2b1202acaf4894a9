// Package evidence is the evidence locker: files kept encrypted with the
// key of their case or incident, content-addressed on disk, each with
// sealed metadata, and a custody log (custody.go) of every add, view,
// download, export, transfer and note, whose signed Merkle heads let a
// third party check offline that nothing changed (pkg.go). Who may add
// and read evidence is what internal/access decides for its case or
// incident.
package evidence

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/keys"
	"github.com/harmtrace/harmtrace/internal/trace"
)

// DefaultMaxBytes is the largest file the locker takes unless told.
const DefaultMaxBytes = 2 << 30

// Store is the locker: the database, the keys, the signing key and the
// directory of the encrypted files (<data dir>/evidence).
type Store struct {
	DB       *db.DB
	Keys     *keys.Ring
	Signer   *keys.Signer
	Dir      string
	MaxBytes int64
}

// Open opens the locker of a data directory.
func Open(store *db.DB, ring *keys.Ring, dataDir string, maxBytes int64) (*Store, error) {
	signer, err := keys.OpenSigner(dataDir)
	if err != nil {
		return nil, err
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	dir := DirOf(dataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Store{DB: store, Keys: ring, Signer: signer, Dir: dir, MaxBytes: maxBytes}, nil
}

// Metadata is what is known of how an item was acquired.
type Metadata struct {
	OriginalName string `json:"original_name"`
	AcquiredBy   string `json:"acquired_by,omitempty"`
	AcquiredAt   string `json:"acquired_at,omitempty"`
	Method       string `json:"method,omitempty"`
	System       string `json:"system,omitempty"`
	Note         string `json:"note,omitempty"`
}

// Item is one file of evidence.
type Item struct {
	ID             string    `json:"id"`
	ScopeID        string    `json:"scope_id"`
	ScopeKind      string    `json:"scope_kind"`
	SHA256         string    `json:"sha256"`
	Size           int64     `json:"size"`
	Metadata       Metadata  `json:"metadata"`
	MetadataSHA256 string    `json:"metadata_sha256"`
	AddedAt        time.Time `json:"added_at"`
	AddedBy        string    `json:"added_by"`
	Erased         string    `json:"erased,omitempty"`
	blob           string
}

// ErrTooLarge is the answer to a file over the size limit.
var ErrTooLarge = errors.New("the file is larger than the evidence size limit")

// ErrNoItem is the answer for an item that is not there.
var ErrNoItem = errors.New("no such evidence item")

// scopeKey is the key evidence of scope is sealed with: the case's own key
// (erased with the case), or a key of the incident made on first use.
func (s *Store) scopeKey(scope string) (keys.Key, string, error) {
	switch access.KindOf(scope) {
	case access.Case:
		k, err := s.Keys.Get(scope)
		return k, "case", err
	case access.Incident:
		k, err := s.Keys.GetOrCreate(scope)
		return k, "incident", err
	}
	return keys.Key{}, "", fmt.Errorf("evidence belongs to a case or an incident, not %q", scope)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Add streams r into the locker as evidence of scope (a case or an
// incident id), hashing it while it is written: memory stays flat for any
// size. The file is stored encrypted under a name derived from its hash
// with the scope's key (the same content in one scope is kept once; the
// name tells nothing without the key), the metadata sealed, and the add
// is a custody entry.
func (s *Store) Add(ctx context.Context, actor, scope string, meta Metadata, r io.Reader) (*Item, error) {
	key, kind, err := s.scopeKey(scope)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(s.Dir, scope)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, ".incoming-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	digest := sha256.New()
	limited := &limitReader{r: io.TeeReader(r, digest), left: s.MaxBytes}
	size, err := encrypt(tmp, limited, key)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	sum := hex.EncodeToString(digest.Sum(nil))
	blob := blobName(key, sum)
	path := filepath.Join(dir, blob)
	created := false
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := os.Rename(tmp.Name(), path); err != nil {
			return nil, err
		}
		created = true
	}
	item := &Item{ID: trace.NewID("evidence"), ScopeID: scope, ScopeKind: kind, SHA256: sum, Size: size, Metadata: meta, AddedBy: actor, blob: blob}
	metaJSON, _ := json.Marshal(meta)
	item.MetadataSHA256 = sha256Hex(metaJSON)
	sealed, err := key.Seal("evidence_items.metadata:"+item.ID, metaJSON)
	if err != nil {
		return nil, err
	}
	err = s.DB.Write(ctx, db.Author{Who: actor, Why: "evidence added"}, func(tx *db.Tx) error {
		item.AddedAt = tx.Now
		if _, err := tx.Exec(ctx, `INSERT INTO evidence_items (id, scope_id, scope_kind, sha256, size, blob, metadata_sealed, metadata_sha256, added_at, added_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, item.ID, scope, kind, sum, size, blob, sealed, item.MetadataSHA256, tx.Stamp(), actor); err != nil {
			return err
		}
		_, err := appendEntries(ctx, tx, s.Signer, Entry{ItemID: item.ID, ScopeID: scope, Action: "add", Actor: actor,
			ContentSHA256: sum, DetailSHA256: item.MetadataSHA256})
		return err
	})
	if err != nil {
		if created {
			_ = os.Remove(path)
		}
		return nil, err
	}
	return item, nil
}

// blobName is the file name of content with hash sum in a scope.
func blobName(key keys.Key, sum string) string {
	k, _ := key.Derive("harmtrace evidence name v1", nil)
	mac := hmac.New(sha256.New, k)
	mac.Write([]byte(sum))
	return hex.EncodeToString(mac.Sum(nil))
}

// limitReader fails once more than left bytes were read.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, ErrTooLarge
	}
	return n, err
}

// Get reads an item and opens its metadata.
func (s *Store) Get(ctx context.Context, q db.Querier, id string) (*Item, error) {
	items, err := s.query(ctx, q, `WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, ErrNoItem
	}
	return items[0], nil
}

// List reads the items of a scope, oldest first.
func (s *Store) List(ctx context.Context, q db.Querier, scope string) ([]*Item, error) {
	return s.query(ctx, q, `WHERE scope_id = ? ORDER BY added_at, id`, scope)
}

func (s *Store) query(ctx context.Context, q db.Querier, where string, args ...any) ([]*Item, error) {
	rows, err := q.Query(ctx, `SELECT id, scope_id, scope_kind, sha256, size, blob, metadata_sealed, metadata_sha256, added_at, added_by, erased_at
		FROM evidence_items `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Item
	var sealed []string
	for rows.Next() {
		it := &Item{}
		var at, meta string
		if err := rows.Scan(&it.ID, &it.ScopeID, &it.ScopeKind, &it.SHA256, &it.Size, &it.blob, &meta, &it.MetadataSHA256, &at, &it.AddedBy, &it.Erased); err != nil {
			return nil, err
		}
		it.AddedAt, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, it)
		sealed = append(sealed, meta)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, it := range out {
		if it.Erased != "" {
			continue
		}
		key, _, err := s.scopeKey(it.ScopeID)
		if err != nil {
			return nil, err
		}
		b, err := key.Open("evidence_items.metadata:"+it.ID, sealed[i])
		if err != nil {
			return nil, fmt.Errorf("evidence %s: metadata: %w", it.ID, err)
		}
		if err := json.Unmarshal(b, &it.Metadata); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Open opens an item's content for action (view or download), after
// recording it in the custody log; the content is checked against its
// hash as it is read (the reader fails at the end otherwise).
func (s *Store) Open(ctx context.Context, actor, id, action string) (io.ReadCloser, *Item, error) {
	if action != "view" && action != "download" {
		return nil, nil, fmt.Errorf("evidence: open for view or download, not %q", action)
	}
	it, err := s.Get(ctx, s.DB, id)
	if err != nil {
		return nil, nil, err
	}
	if it.Erased != "" {
		return nil, nil, ErrNoItem
	}
	if err := s.log(ctx, actor, it, action, it.SHA256); err != nil {
		return nil, nil, err
	}
	rc, err := s.content(it)
	return rc, it, err
}

func (s *Store) content(it *Item) (io.ReadCloser, error) {
	key, _, err := s.scopeKey(it.ScopeID)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(s.Dir, it.ScopeID, it.blob))
	if err != nil {
		return nil, fmt.Errorf("evidence %s: its file is missing: %w", it.ID, err)
	}
	r, err := decrypt(f, key)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &checkedReader{r: r, c: f, h: sha256.New(), want: it.SHA256, id: it.ID}, nil
}

// checkedReader fails at the end of a content that does not match its hash.
type checkedReader struct {
	r    io.Reader
	c    io.Closer
	h    hash.Hash
	want string
	id   string
}

func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if errors.Is(err, io.EOF) && hex.EncodeToString(c.h.Sum(nil)) != c.want {
		return n, fmt.Errorf("evidence %s: the content no longer has its SHA-256", c.id)
	}
	return n, err
}

func (c *checkedReader) Close() error { return c.c.Close() }

func (s *Store) log(ctx context.Context, actor string, it *Item, action, detail string) error {
	return s.DB.Write(ctx, db.Author{Who: actor, Why: "evidence " + action}, func(tx *db.Tx) error {
		_, err := appendEntries(ctx, tx, s.Signer, Entry{ItemID: it.ID, ScopeID: it.ScopeID, Action: action, Actor: actor,
			ContentSHA256: it.SHA256, DetailSHA256: detail})
		return err
	})
}

// Note is a note or a transfer on an item.
type Note struct {
	Kind   string    `json:"kind"` // note or transfer
	Body   string    `json:"body"`
	To     string    `json:"to,omitempty"`
	At     time.Time `json:"at"`
	Author string    `json:"author"`
}

// AddNote adds a note to an item, or records its transfer to another
// custodian (to), as a custody entry whose detail is the note's hash.
func (s *Store) AddNote(ctx context.Context, actor, id, to, body string) error {
	it, err := s.Get(ctx, s.DB, id)
	if err != nil {
		return err
	}
	key, _, err := s.scopeKey(it.ScopeID)
	if err != nil {
		return err
	}
	kind := "note"
	if to != "" {
		kind = "transfer"
	}
	n := Note{Kind: kind, Body: body, To: to, Author: actor}
	noteID := trace.NewID("note")
	return s.DB.Write(ctx, db.Author{Who: actor, Why: "evidence " + kind}, func(tx *db.Tx) error {
		n.At = tx.Now
		b, _ := json.Marshal(n)
		sealed, err := key.Seal("evidence_notes.body:"+noteID, b)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO evidence_notes (id, item_id, kind, body_sealed, created_at, author) VALUES (?, ?, ?, ?, ?, ?)`,
			noteID, id, kind, sealed, tx.Stamp(), actor); err != nil {
			return err
		}
		_, err = appendEntries(ctx, tx, s.Signer, Entry{ItemID: id, ScopeID: it.ScopeID, Action: kind, Actor: actor,
			ContentSHA256: it.SHA256, DetailSHA256: sha256Hex(b)})
		return err
	})
}

// Notes reads an item's notes and transfers, with their sealed bytes'
// hashes as the custody log knows them.
func (s *Store) Notes(ctx context.Context, q db.Querier, it *Item) ([]Note, []string, error) {
	key, _, err := s.scopeKey(it.ScopeID)
	if err != nil {
		return nil, nil, err
	}
	rows, err := q.Query(ctx, `SELECT id, body_sealed FROM evidence_notes WHERE item_id = ? ORDER BY created_at, id`, it.ID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var notes []Note
	var raw []string
	for rows.Next() {
		var id, sealed string
		if err := rows.Scan(&id, &sealed); err != nil {
			return nil, nil, err
		}
		b, err := key.Open("evidence_notes.body:"+id, sealed)
		if err != nil {
			return nil, nil, err
		}
		var n Note
		if err := json.Unmarshal(b, &n); err != nil {
			return nil, nil, err
		}
		notes, raw = append(notes, n), append(raw, string(b))
	}
	return notes, raw, rows.Err()
}

// EraseScope destroys the evidence of a case that was erased: its files
// and sealed metadata; the custody log keeps its entries (hashes only)
// and records the erasure.
func (s *Store) EraseScope(ctx context.Context, actor, scope string) error {
	items, err := s.rawItems(ctx, scope)
	if err != nil || len(items) == 0 {
		return err
	}
	if err := os.RemoveAll(filepath.Join(s.Dir, scope)); err != nil {
		return err
	}
	return s.DB.Write(ctx, db.Author{Who: actor, Why: "evidence erased with its case"}, func(tx *db.Tx) error {
		var entries []Entry
		for _, it := range items {
			if _, err := tx.Exec(ctx, `DELETE FROM evidence_notes WHERE item_id = ?`, it.ID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE evidence_items SET metadata_sealed = '', blob = '', erased_at = ? WHERE id = ?`, tx.Stamp(), it.ID); err != nil {
				return err
			}
			entries = append(entries, Entry{ItemID: it.ID, ScopeID: scope, Action: "erase", Actor: actor, ContentSHA256: it.SHA256, DetailSHA256: sha256Hex(nil)})
		}
		_, err := appendEntries(ctx, tx, s.Signer, entries...)
		return err
	})
}

// rawItems lists a scope's items that were not erased, without opening
// their metadata (the key may be gone already).
func (s *Store) rawItems(ctx context.Context, scope string) ([]Item, error) {
	rows, err := s.DB.Query(ctx, `SELECT id, sha256 FROM evidence_items WHERE scope_id = ? AND erased_at = ''`, scope)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.ID, &it.SHA256); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

var _ = sql.ErrNoRows
