-- Heartbeats as HOT updates (heap-only tuples: no index writes, pruned within the page). A heartbeat changes
-- expires_at, "timestamp", the trace and heartbeat_unix_nano; none of them is indexed any more. The Receiver
-- finds due spans through expires_bucket, the expiry rounded up to Migrator:ExpiryBucket, which a heartbeat moves
-- once a bucket rather than every time; SchemaMigrator creates that column and its index (ExpiryBucket.cs), since
-- its width is a setting. A claim's lease is leased_until, unindexed, so claiming is a HOT update too.
ALTER TABLE partial_traces ADD COLUMN IF NOT EXISTS leased_until timestamptz;

-- Room in each page for the new row versions of heartbeats, so they stay on their page. Applies to pages written
-- from now on; VACUUM FULL partial_traces rewrites existing ones.
ALTER TABLE partial_traces SET (fillfactor = 50);
