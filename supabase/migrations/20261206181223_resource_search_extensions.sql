-- resource search extensions: hand-written (pg-delta does not create extensions), as in supabase/schemas/80_resources.sql.
-- Trusted extensions the platform offers in the `extensions` schema; the search columns and indexes need them.
create extension if not exists unaccent with schema extensions;
create extension if not exists pg_trgm with schema extensions;
