-- The aggregates gained two dimensions (data type exposed, vulnerable
-- group): forget they were built, so the next start rebuilds them.
DELETE FROM stats_state;
