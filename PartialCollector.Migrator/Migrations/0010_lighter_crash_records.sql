-- Every collected span is a crash record (the claim writes it), so each of partial_collected's indexes is paid for
-- once per collected span. Ids grow with claim order, so "most recent first" is id descending: the primary key
-- orders the live view's crashed list and (collected_at, id) goes, one index fewer. The service and tenant lists
-- follow the same order, so their indexes narrow to (x, id). The time windows (the live view's "last hour" and the
-- Receiver's retention purge) read collected_at through a BRIN index, which is written once per block range rather
-- than once per row; rows are appended in collection order, so its ranges stay tight. partial_collected_span_idx
-- (the detail lookup by trace and span id) stays.
DROP INDEX IF EXISTS partial_collected_recent_idx;

DROP INDEX IF EXISTS partial_collected_service_idx;
CREATE INDEX IF NOT EXISTS partial_collected_service_idx ON partial_collected (service_name, id);

DROP INDEX IF EXISTS partial_collected_tenant_idx;
CREATE INDEX IF NOT EXISTS partial_collected_tenant_idx ON partial_collected (tenant, id) WHERE tenant IS NOT NULL;

CREATE INDEX IF NOT EXISTS partial_collected_collected_at_brin ON partial_collected USING brin (collected_at);
