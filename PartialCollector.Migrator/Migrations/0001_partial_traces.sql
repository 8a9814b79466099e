-- The original implementation's table, column for column, so a database created by its golang-migrate
-- migration 000001 is adopted as it is, and both implementations can share one database.
CREATE TABLE IF NOT EXISTS partial_traces (
    trace_id text NOT NULL,
    span_id text NOT NULL,
    trace bytea NOT NULL,
    "timestamp" timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CONSTRAINT partial_traces_pkey PRIMARY KEY (trace_id, span_id)
);

-- The receiver reads expired rows through this index only. Adopted databases may have it under another name.
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1
        FROM pg_index i
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid = 'partial_traces'::regclass AND i.indnatts = 1 AND a.attname = 'expires_at')
    THEN
        CREATE INDEX partial_traces_expires_at_idx ON partial_traces (expires_at);
    END IF;

    -- ON CONFLICT needs a unique index on the two ids; an adopted table without its primary key gets one.
    IF NOT EXISTS (
        SELECT 1 FROM pg_index i
        WHERE i.indrelid = 'partial_traces'::regclass AND i.indisunique AND i.indnatts = 2)
    THEN
        CREATE UNIQUE INDEX partial_traces_ids_idx ON partial_traces (trace_id, span_id);
    END IF;
END
$$;
