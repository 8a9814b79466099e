-- The claim writes a crash record per collected span, so each of partial_collected's indexes is paid once per collected
-- span. The one that the live view's detail lookup needs, by trace and span id, was a B-tree on two random text keys:
-- every record's entry went to a random leaf after a descent comparing text. A hash index on the trace id alone maps a
-- record to its bucket page directly and holds four bytes per entry; the lookup filters the trace's few records by span
-- id. psql, 100,000 rows moved by the claim statement: PostgreSQL's CPU fell by about a tenth (see docs/benchmarks.md).
DROP INDEX IF EXISTS partial_collected_span_idx;
CREATE INDEX IF NOT EXISTS partial_collected_trace_idx ON partial_collected USING hash (trace_id);
