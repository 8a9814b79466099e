-- Collection moves a due span out of partial_traces in the claim itself, into its crash record (partial_collected),
-- which keeps the span's trace until the downstream has it; the claimed batch is one row here, with a lease. A
-- heartbeat per span and a collection per span then cost PostgreSQL what a queue's own claim-and-delete costs, plus
-- the crash record the live view shows: no second row version per claimed span, no per-span settle.
ALTER TABLE partial_collected ADD COLUMN IF NOT EXISTS expires_at timestamptz;
ALTER TABLE partial_collected ADD COLUMN IF NOT EXISTS heartbeat_unix_nano bigint;

-- Claimed batches not yet delivered: the crash records' ids, the smallest of them (the retention purge keeps every
-- record from the oldest batch in flight on), and the lease. A handful of rows at any time.
CREATE TABLE IF NOT EXISTS partial_collection_batches (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ids bigint[] NOT NULL,
    first_id bigint NOT NULL,
    leased_until timestamptz NOT NULL
);

-- Spans leased under the previous scheme (a Receiver of the previous version mid-send during the upgrade) become
-- due again at once: at worst sent twice, never lost. The column goes with the lease it held.
ALTER TABLE partial_traces DROP COLUMN IF EXISTS leased_until;
