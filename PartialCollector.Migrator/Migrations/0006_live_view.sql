-- What the live view shows of a running span without decoding it: its service (service.name of its resource),
-- its name, its start and its heartbeat interval. Written by the Exporter with every heartbeat; NULL in rows the
-- original implementation wrote. None of them changes while a span runs, so indexing them costs heartbeats no
-- index writes once heartbeats are HOT updates.
ALTER TABLE partial_traces ADD COLUMN IF NOT EXISTS service_name text;
ALTER TABLE partial_traces ADD COLUMN IF NOT EXISTS span_name text;
ALTER TABLE partial_traces ADD COLUMN IF NOT EXISTS start_time timestamptz;
ALTER TABLE partial_traces ADD COLUMN IF NOT EXISTS frequency interval;

-- Running spans, longest-running first, keyset-paginated by (start_time, trace_id, span_id); tombstones are not in them.
CREATE INDEX IF NOT EXISTS partial_traces_running_idx
    ON partial_traces (start_time, trace_id, span_id) WHERE stopped_until IS NULL;
CREATE INDEX IF NOT EXISTS partial_traces_running_service_idx
    ON partial_traces (service_name, start_time, trace_id, span_id) WHERE stopped_until IS NULL;

-- What the Receiver collected (spans whose heartbeats stopped without a stop event), kept for
-- PartialReceiver:CollectedRetention so people can see recent crashes; most recent first.
CREATE TABLE IF NOT EXISTS partial_collected (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trace_id text NOT NULL,
    span_id text NOT NULL,
    tenant text,
    service_name text,
    span_name text,
    start_time timestamptz,
    last_heartbeat timestamptz NOT NULL,
    frequency interval,
    collected_at timestamptz NOT NULL DEFAULT now(),
    reason text NOT NULL,
    trace bytea NOT NULL
);

CREATE INDEX IF NOT EXISTS partial_collected_recent_idx ON partial_collected (collected_at, id);
CREATE INDEX IF NOT EXISTS partial_collected_service_idx ON partial_collected (service_name, collected_at, id);
CREATE INDEX IF NOT EXISTS partial_collected_span_idx ON partial_collected (trace_id, span_id);
