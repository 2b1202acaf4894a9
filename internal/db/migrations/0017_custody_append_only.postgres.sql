-- The custody log and its signed heads are only ever appended to. An owner
-- of the database can still drop these triggers: the signed heads and the
-- Merkle tree are what make such a change evident (evidence log --verify).
CREATE TRIGGER custody_log_append_only BEFORE UPDATE OR DELETE ON custody_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER custody_log_no_truncate BEFORE TRUNCATE ON custody_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER custody_heads_append_only BEFORE UPDATE OR DELETE ON custody_heads
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER custody_heads_no_truncate BEFORE TRUNCATE ON custody_heads
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
