-- Victims, harms and attributions marked stricter than their incident no
-- longer count in its figures: forget the aggregates were built, so the
-- next start rebuilds them by the new rule.
DELETE FROM stats_state;
