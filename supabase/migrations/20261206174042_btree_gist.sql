-- btree_gist for the exclusion constraint on coaches' busy time (supabase/schemas/34_counselling.sql).
-- Written by hand: pg-delta (npm run db:diff) does not create extensions.
create extension if not exists btree_gist with schema extensions;
