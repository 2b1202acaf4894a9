-- A webhook's secret is sealed (AES-256-GCM) with a key of the key ring,
-- kept outside the database (<data dir>/keys/cases/outbox-webhooks.key,
-- wrapped by the master key): secret_sealed holds it. A migration cannot
-- reach the key file, so the secrets an earlier version kept in the clear
-- stay in secret until the program seals them (outbox.Install, when serve
-- starts, or the worker on the first delivery) and empties the column.
ALTER TABLE webhooks ADD COLUMN secret_sealed TEXT NOT NULL DEFAULT '';
