package interchange

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/revision"
	"github.com/harmtrace/harmtrace/internal/validate"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// saveObject keeps a STIX object verbatim. Its revision records the
// object's digest rather than its whole body: bodies can be large, and the
// previous body stays recoverable from the export that carried it.
func saveObject(ctx context.Context, tx *db.Tx, o *Object) (revision.Outcome, error) {
	if o.ID == "" || o.Type == "" {
		return revision.Unchanged, fmt.Errorf("field \"id\": a STIX object needs an id and a type")
	}
	if len(o.Body) > validate.MaxObject {
		return revision.Unchanged, fmt.Errorf("field \"body\": the object is %d bytes long; at most %d are kept", len(o.Body), validate.MaxObject)
	}
	o.Marking.Normalise("amber")
	if err := vocab.TLP.Check(o.TLP); err != nil {
		return revision.Unchanged, fmt.Errorf("field \"object_marking_refs\": %w", err)
	}
	sum := sha256.Sum256(o.Body)
	digest := hex.EncodeToString(sum[:])
	var oldDigest, oldTLP, oldOwner string
	var modelled bool
	err := tx.QueryRow(ctx, `SELECT sha256, tlp, owner_team, modelled FROM stix_objects WHERE id = ?`, o.ID).
		Scan(&oldDigest, &oldTLP, &oldOwner, &modelled)
	exists := err == nil
	if exists && oldDigest == digest && oldTLP == o.TLP && oldOwner == o.Owner && modelled == o.Modelled {
		return revision.Unchanged, nil
	}
	outcome, err := recordObject(ctx, tx, o, exists, oldDigest, digest, oldTLP)
	if err != nil {
		return outcome, err
	}
	now := tx.Stamp()
	if exists {
		_, err = tx.Exec(ctx, `UPDATE stix_objects SET type = ?, modelled = ?, tlp = ?, owner_team = ?, sha256 = ?, body = ?,
			updated_at = ? WHERE id = ?`, o.Type, o.Modelled, o.TLP, o.Owner, digest, string(o.Body), now, o.ID)
	} else {
		_, err = tx.Exec(ctx, `INSERT INTO stix_objects (type, modelled, tlp, owner_team, sha256, body, updated_at, id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, o.Type, o.Modelled, o.TLP, o.Owner, digest, string(o.Body), now, o.ID, now)
	}
	if err != nil {
		return revision.Unchanged, fmt.Errorf("save STIX object %s: %w", o.ID, err)
	}
	if len(o.SharedWith) > 0 || len(o.Readers) > 0 || exists {
		return outcome, access.SaveShares(ctx, tx, o.ID, o.Marking, exists)
	}
	return outcome, nil
}

// recordObject appends the revision of a kept object: its digest and
// marking, old and new. A change of "modelled" alone is bookkeeping.
func recordObject(ctx context.Context, tx *db.Tx, o *Object, exists bool, oldDigest, digest, oldTLP string) (revision.Outcome, error) {
	if !exists {
		return revision.Append(ctx, tx, "stix-object", o.ID, revision.Create, []revision.Change{
			{Field: "sha256", Old: null, New: quoted(digest)}, {Field: "tlp", Old: null, New: quoted(o.TLP)}})
	}
	var changes []revision.Change
	if oldDigest != digest {
		changes = append(changes, revision.Change{Field: "sha256", Old: quoted(oldDigest), New: quoted(digest)})
	}
	if oldTLP != o.TLP {
		changes = append(changes, revision.Change{Field: "tlp", Old: quoted(oldTLP), New: quoted(o.TLP)})
	}
	if len(changes) == 0 {
		return revision.Unchanged, nil
	}
	return revision.Append(ctx, tx, "stix-object", o.ID, revision.Update, changes)
}

var null = json.RawMessage("null")

// quoted is a string as a JSON value (digests and markings need no escaping).
func quoted(s string) json.RawMessage { return json.RawMessage(`"` + s + `"`) }

// LoadObjects returns the kept STIX objects whose marking is at most maxTLP
// ("" for all), by id.
func LoadObjects(ctx context.Context, q db.Querier, maxTLP string) ([]Object, error) {
	rows, err := q.Query(ctx, `SELECT id, type, modelled, tlp, owner_team, body FROM stix_objects ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Object
	for rows.Next() {
		var o Object
		var body string
		if err := rows.Scan(&o.ID, &o.Type, &o.Modelled, &o.TLP, &o.Owner, &body); err != nil {
			return nil, err
		}
		if !Visible(o.TLP, maxTLP) {
			continue
		}
		o.Body = json.RawMessage(body)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].TLP == "amber" || out[i].TLP == "red" {
			if err := access.LoadShares(ctx, q, out[i].ID, &out[i].Marking); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Visible reports whether a record marked tlp may be shown to a reader
// allowed up to maxTLP ("" allows everything).
func Visible(tlp, maxTLP string) bool {
	if maxTLP == "" {
		return true
	}
	rank := func(t string) int {
		for i, v := range vocab.TLP.Values {
			if v == t {
				return i
			}
		}
		return len(vocab.TLP.Values)
	}
	return rank(tlp) <= rank(maxTLP)
}
