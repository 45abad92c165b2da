-- resources bucket: hand-written (data; pg-delta does not write it), as in supabase/schemas/80_resources.sql.
-- The private Storage bucket of the resources library: files up to 500 MiB (the largest kind, video;
-- the project's own upload limit caps it further), of the MIME types the kinds allow.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('resources', 'resources', false, 500 * 1024 * 1024,
        array['audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/ogg', 'audio/wav', 'audio/webm', 'audio/x-m4a',
              'application/pdf', 'video/mp4', 'video/webm', 'video/quicktime'])
on conflict (id) do update
  set public = excluded.public, file_size_limit = excluded.file_size_limit,
      allowed_mime_types = excluded.allowed_mime_types;
