-- The live view's Data Protection key ring (it protects the sign-in cookie and the form tokens), shared by every
-- live view replica through the database they already share. A key is an XML document Data Protection writes about
-- once every 90 days; it is stored as written, so whoever can read this table can forge live view sessions: grant
-- it as you grant the spans themselves.
CREATE TABLE IF NOT EXISTS partial_data_protection_keys (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    friendly_name text,
    xml text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
