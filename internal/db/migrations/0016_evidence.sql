-- The evidence locker. A file of evidence is kept encrypted on disk under
-- the data directory (blob names the file); its metadata (original name,
-- who acquired it, when, how, from which system, the note) is sealed with
-- the key of its case or incident. The custody log holds no personal data:
-- each entry names the item, the action, who did it and the hashes of the
-- content and of the action's detail, and the entries are the leaves of a
-- Merkle tree whose heads are signed (custody_heads).
CREATE TABLE evidence_items (
    id              TEXT PRIMARY KEY,
    scope_id        TEXT NOT NULL,
    scope_kind      TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    size            INTEGER NOT NULL,
    blob            TEXT NOT NULL,
    metadata_sealed TEXT NOT NULL,
    metadata_sha256 TEXT NOT NULL,
    added_at        TEXT NOT NULL,
    added_by        TEXT NOT NULL,
    erased_at       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX evidence_items_scope ON evidence_items (scope_id);

-- Notes and transfers of an item, sealed like its metadata.
CREATE TABLE evidence_notes (
    id          TEXT PRIMARY KEY,
    item_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    body_sealed TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    author      TEXT NOT NULL
);
CREATE INDEX evidence_notes_item ON evidence_notes (item_id);

CREATE TABLE custody_log (
    seq            INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    item_id        TEXT NOT NULL,
    scope_id       TEXT NOT NULL,
    action         TEXT NOT NULL,
    actor          TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    detail_sha256  TEXT NOT NULL,
    leaf_hash      TEXT NOT NULL
);
CREATE INDEX custody_log_item ON custody_log (item_id);
CREATE INDEX custody_log_scope ON custody_log (scope_id);

CREATE TABLE custody_heads (
    size            INTEGER PRIMARY KEY,
    root_hash       TEXT NOT NULL,
    at              TEXT NOT NULL,
    signature       TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL
);
