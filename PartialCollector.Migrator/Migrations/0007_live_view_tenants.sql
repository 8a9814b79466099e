-- The live view shows each tenant only its own spans (tenant = @tenant in every query). Without these indexes a
-- tenant's first page walks the running-span index past every other tenant's rows until it has found a page of
-- its own: with a small tenant among a million rows, most of the index. A tenant is set when a span is first
-- written (a row written while ingestion was open gets one from the first tenant that refreshes it) and never
-- changes after; nor do start_time, trace_id, span_id, collected_at or id. So these cost
-- heartbeats no index writes beyond those the earlier indexes cost.
CREATE INDEX IF NOT EXISTS partial_traces_running_tenant_idx
    ON partial_traces (tenant, start_time, trace_id, span_id) WHERE stopped_until IS NULL AND tenant IS NOT NULL;
CREATE INDEX IF NOT EXISTS partial_collected_tenant_idx
    ON partial_collected (tenant, collected_at, id) WHERE tenant IS NOT NULL;
