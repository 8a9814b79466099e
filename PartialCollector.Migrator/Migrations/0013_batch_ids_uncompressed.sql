-- A claimed batch's record ids (8 bytes each, 8 KB for a batch of 1,000) are past the size at which PostgreSQL tries
-- to compress a value, and ids drawn from a sequence hardly compress: pglz_compress showed in a profile of the drain
-- (about 3 % of PostgreSQL's samples). Stored out of line as they are, no compression is attempted; psql, 100,000 rows
-- moved by the claim statement: PostgreSQL's CPU fell by about 5 % (see docs/benchmarks.md).
ALTER TABLE partial_collection_batches ALTER COLUMN ids SET STORAGE EXTERNAL;
