-- What several servers on one database share beyond the data.
--
-- store_changes counts the writes that changed data: a server keeps a
-- computed report or TAXII collection while the count stays the same, so
-- a write through any server is seen at once by all. Every such write
-- adds one inside its transaction, so the count moves in commit order
-- (the newest revision's id did not on PostgreSQL, where a transaction
-- may commit after one that took a later id).
CREATE TABLE store_changes (
    id INTEGER PRIMARY KEY,
    n  BIGINT NOT NULL
);
INSERT INTO store_changes (id, n) VALUES (1, 0);

-- limiter_failures holds the failed sign-ins of the last quarter hour when
-- the store is PostgreSQL, so that a sign-in throttled by one server is
-- throttled by all. A key is an HMAC of the account or address with a key
-- derived from the master key, which is kept outside the database: no
-- address or email is ever written, and none can be looked up. On SQLite
-- (one server) the limiter keeps them in memory and this table stays empty.
CREATE TABLE limiter_failures (
    limiter  TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX limiter_failures_key ON limiter_failures (limiter, key_hash, at);
