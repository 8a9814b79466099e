-- Less room kept free in each page than 0008 asked for. Measured (docs/benchmarks.md, "Fill factor"): with 20,000
-- spans refreshed every 8 s, 72-76 % of heartbeats were HOT updates at a fill factor of 50, 80, 90 or 100 alike,
-- because PostgreSQL prunes a page's dead versions when an update needs the room; but at 50 the table was 31 MB, at
-- 80 20 MB. A fifth kept free lets a freshly written page take its first heartbeats before there is anything to
-- prune (at 90, one in five of a new span's first ten heartbeats was not HOT). Applies to pages written from now on;
-- VACUUM FULL partial_traces rewrites existing ones.
ALTER TABLE partial_traces SET (fillfactor = 80);
