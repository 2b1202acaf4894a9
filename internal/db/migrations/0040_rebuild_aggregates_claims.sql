-- An attacker's claim no longer sets the upper bound of a figure when
-- another source gives one (docs/harm-method.md): forget the aggregates
-- were built, so the next start rebuilds them by the new rule. The number
-- leaves room for the migrations of other branches.
DELETE FROM stats_state;
