package evidence

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/keys"
)

// Entry is one line of the custody log: who did what to which item, and
// the hashes of the item's content and of the action's detail (the
// metadata added, the note, the transfer, the package exported).
type Entry struct {
	Seq           int64  `json:"seq"`
	At            string `json:"at"`
	ItemID        string `json:"item_id"`
	ScopeID       string `json:"scope_id"`
	Action        string `json:"action"`
	Actor         string `json:"actor"`
	ContentSHA256 string `json:"content_sha256"`
	DetailSHA256  string `json:"detail_sha256"`
}

// Actions of the custody log.
var Actions = []string{"add", "view", "download", "export", "transfer", "note", "erase"}

// Bytes is the entry as its leaf: one field a line, in a fixed order, so
// that anyone can rebuild it from custody.jsonl with a shell.
func (e Entry) Bytes() []byte {
	return []byte(strings.Join([]string{"harmtrace custody entry v1", strconv.FormatInt(e.Seq, 10), e.At, e.ItemID, e.ScopeID,
		e.Action, e.Actor, e.ContentSHA256, e.DetailSHA256}, "\n") + "\n")
}

// Leaf is the entry's leaf hash.
func (e Entry) Leaf() Hash { return LeafHash(e.Bytes()) }

// Head is a signed tree head: the size and root of the log when it was
// signed, and the signature of Message by the instance's key.
type Head struct {
	Size        int64  `json:"size"`
	Root        string `json:"root"`
	At          string `json:"at"`
	Signature   string `json:"signature"`
	Fingerprint string `json:"key_fingerprint"`
}

// Message is what the signature covers.
func (h Head) Message() []byte {
	return fmt.Appendf(nil, "harmtrace custody head v1\nsize %d\nroot %s\nat %s\n", h.Size, h.Root, h.At)
}

// Check verifies the head's signature with pub.
func (h Head) Check(pub ed25519.PublicKey) error {
	sig, err := base64.StdEncoding.DecodeString(h.Signature)
	if err != nil || !ed25519.Verify(pub, h.Message(), sig) {
		return fmt.Errorf("the head of size %d signed at %s has a wrong signature", h.Size, h.At)
	}
	return nil
}

func hexHash(h Hash) string { return hex.EncodeToString(h[:]) }

func parseHash(s string) (Hash, error) {
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("%q is not a SHA-256 in hex", s)
	}
	copy(h[:], b)
	return h, nil
}

// appendEntries adds entries to the log and signs the new head, in tx.
func appendEntries(ctx context.Context, tx *db.Tx, signer *keys.Signer, entries ...Entry) ([]Entry, error) {
	e, _, err := appendSigned(ctx, tx, signer, entries...)
	return e, err
}

// appendSigned is appendEntries, and the head it signed.
func appendSigned(ctx context.Context, tx *db.Tx, signer *keys.Signer, entries ...Entry) ([]Entry, Head, error) {
	if tx.Dialect() == db.Postgres {
		// One appender at a time: sequence numbers have no gaps.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7283645019)`); err != nil {
			return nil, Head{}, err
		}
	}
	var last int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM custody_log`).Scan(&last); err != nil {
		return nil, Head{}, err
	}
	for i := range entries {
		e := &entries[i]
		e.Seq, e.At = last+int64(i)+1, tx.Stamp()
		if _, err := tx.Exec(ctx, `INSERT INTO custody_log (seq, at, item_id, scope_id, action, actor, content_sha256, detail_sha256, leaf_hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.Seq, e.At, e.ItemID, e.ScopeID, e.Action, e.Actor, e.ContentSHA256, e.DetailSHA256, hexHash(e.Leaf())); err != nil {
			return nil, Head{}, err
		}
	}
	leaves, err := storedLeaves(ctx, tx)
	if err != nil {
		return nil, Head{}, err
	}
	h := Head{Size: int64(len(leaves)), Root: hexHash(RootOf(leaves)), At: tx.Stamp(), Fingerprint: keys.Fingerprint(signer.Public())}
	h.Signature = base64.StdEncoding.EncodeToString(signer.Sign(h.Message()))
	_, err = tx.Exec(ctx, `INSERT INTO custody_heads (size, root_hash, at, signature, key_fingerprint) VALUES (?, ?, ?, ?, ?)`,
		h.Size, h.Root, h.At, h.Signature, h.Fingerprint)
	return entries, h, err
}

func storedLeaves(ctx context.Context, q db.Querier) ([]Hash, error) {
	rows, err := q.Query(ctx, `SELECT leaf_hash FROM custody_log ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Hash
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		h, err := parseHash(s)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Entries reads the log, oldest first; scope "" reads all of it.
func Entries(ctx context.Context, q db.Querier, scope string) ([]Entry, error) {
	query, args := `SELECT seq, at, item_id, scope_id, action, actor, content_sha256, detail_sha256 FROM custody_log`, []any{}
	if scope != "" {
		query, args = query+` WHERE scope_id = ?`, []any{scope}
	}
	rows, err := q.Query(ctx, query+` ORDER BY seq`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.Seq, &e.At, &e.ItemID, &e.ScopeID, &e.Action, &e.Actor, &e.ContentSHA256, &e.DetailSHA256); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Heads reads the signed heads, smallest first.
func Heads(ctx context.Context, q db.Querier) ([]Head, error) {
	rows, err := q.Query(ctx, `SELECT size, root_hash, at, signature, key_fingerprint FROM custody_heads ORDER BY size`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Head
	for rows.Next() {
		var h Head
		if err := rows.Scan(&h.Size, &h.Root, &h.At, &h.Signature, &h.Fingerprint); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// LogReport is what a verification of the log found.
type LogReport struct {
	Entries int
	Heads   int
}

// VerifyLog proves that the stored log is the one its heads signed: every
// entry's fields give its stored leaf, no sequence number is missing, each
// head's signature holds and its root is the tree of the entries it
// counts, each head extends the one before (a consistency proof), and so
// do the earlier heads given (kept elsewhere: a package's head, a copy a
// court holds). The first failure is named.
func VerifyLog(ctx context.Context, q db.Querier, pub ed25519.PublicKey, earlier ...Head) (LogReport, error) {
	entries, err := Entries(ctx, q, "")
	if err != nil {
		return LogReport{}, err
	}
	stored, err := storedLeaves(ctx, q)
	if err != nil {
		return LogReport{}, err
	}
	leaves := make([]Hash, len(entries))
	for i, e := range entries {
		if e.Seq != int64(i)+1 {
			return LogReport{}, fmt.Errorf("custody entry %d is missing: entries were removed or renumbered", i+1)
		}
		leaves[i] = e.Leaf()
		if leaves[i] != stored[i] {
			return LogReport{}, fmt.Errorf("custody entry %d was edited: its fields no longer give its leaf hash", e.Seq)
		}
	}
	heads, err := Heads(ctx, q)
	if err != nil {
		return LogReport{}, err
	}
	if len(entries) > 0 && len(heads) == 0 {
		return LogReport{}, errors.New("the custody log has no signed head")
	}
	roots := prefixRoots(leaves)
	check := func(h Head, what string) error {
		if err := h.Check(pub); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if h.Size > int64(len(leaves)) {
			return fmt.Errorf("%s counts %d entries, the log has %d: entries were removed", what, h.Size, len(leaves))
		}
		root, err := parseHash(h.Root)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if roots[h.Size] != root {
			return fmt.Errorf("%s (size %d, signed %s) does not match the entries: one of entries 1–%d was changed, removed or reordered since",
				what, h.Size, h.At, h.Size)
		}
		return nil
	}
	for _, h := range heads {
		if err := check(h, "the signed head"); err != nil {
			return LogReport{}, err
		}
	}
	// The proof a third party holding an earlier head would ask for: the
	// latest head extends it.
	if len(heads) > 0 {
		latest := heads[len(heads)-1]
		for _, h := range append([]Head{heads[0]}, earlier...) {
			if err := check(h, "the earlier head"); err != nil {
				return LogReport{}, err
			}
			first, _ := parseHash(h.Root)
			second, _ := parseHash(latest.Root)
			if err := VerifyConsistency(int(h.Size), int(latest.Size), first, second, ConsistencyProof(int(h.Size), leaves[:latest.Size])); err != nil {
				return LogReport{}, fmt.Errorf("the latest head (size %d) does not extend the head of size %d", latest.Size, h.Size)
			}
		}
	}
	return LogReport{Entries: len(entries), Heads: len(heads)}, nil
}

// prefixRoots returns the root of every prefix of leaves (index: size), in
// one pass: the tree of the first k leaves is its complete subtrees, from
// the largest, folded from the right.
func prefixRoots(leaves []Hash) []Hash {
	roots := make([]Hash, len(leaves)+1)
	roots[0] = RootOf(nil)
	type subtree struct {
		size int
		hash Hash
	}
	var stack []subtree
	for i, leaf := range leaves {
		stack = append(stack, subtree{1, leaf})
		for len(stack) > 1 && stack[len(stack)-1].size == stack[len(stack)-2].size {
			l, r := stack[len(stack)-2], stack[len(stack)-1]
			stack = append(stack[:len(stack)-2], subtree{l.size * 2, nodeHash(l.hash, r.hash)})
		}
		root := stack[len(stack)-1].hash
		for j := len(stack) - 2; j >= 0; j-- {
			root = nodeHash(stack[j].hash, root)
		}
		roots[i+1] = root
	}
	return roots
}

func detailHash(v any) string {
	b, _ := json.Marshal(v)
	return sha256Hex(b)
}
