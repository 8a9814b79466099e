-- The tenant that wrote each span. Nullable: rows without one (the original implementation's, or written
-- while ingestion was open) belong to nobody and any writer may refresh or stop them; the first tenant that
-- does owns them from then on. A heartbeat never changes it, so it costs heartbeats no index writes.
ALTER TABLE partial_traces ADD COLUMN IF NOT EXISTS tenant text;
ALTER TABLE partial_dead_letters ADD COLUMN IF NOT EXISTS tenant text;

-- Live spans per tenant, counted for PartialExporter:Tenants:{name}:MaxLiveSpans. Tombstones are not in it.
CREATE INDEX IF NOT EXISTS partial_traces_tenant_idx ON partial_traces (tenant) WHERE tenant IS NOT NULL AND stopped_until IS NULL;
