-- The custody log and its signed heads are only ever appended to. An owner
-- of the database can still drop these triggers: the signed heads and the
-- Merkle tree are what make such a change evident (evidence log --verify).
CREATE TRIGGER custody_log_no_update BEFORE UPDATE ON custody_log
BEGIN SELECT RAISE(ABORT, 'the custody log is append-only'); END;
CREATE TRIGGER custody_log_no_delete BEFORE DELETE ON custody_log
BEGIN SELECT RAISE(ABORT, 'the custody log is append-only'); END;
CREATE TRIGGER custody_heads_no_update BEFORE UPDATE ON custody_heads
BEGIN SELECT RAISE(ABORT, 'the custody heads are append-only'); END;
CREATE TRIGGER custody_heads_no_delete BEFORE DELETE ON custody_heads
BEGIN SELECT RAISE(ABORT, 'the custody heads are append-only'); END;
