-- Resources library: structure (policies, grants, the private bucket and its limits), the RLS matrix on
-- resources, resource_links and storage.objects (bucket resources) for the author, another coach, an
-- attendee of a linked session, an attendee of a linked program, a banned attendee, a member, anon, an
-- admin and service_role (select/insert/update/delete), the content rules per kind, hide_resource.
-- Storage is tested the way Supabase Storage checks it: as the caller, on storage.objects (an upload
-- first tests an INSERT without metadata, a download or signed URL SELECTs the row, remove DELETEs it).
begin;
\ir ../helpers.sql
select plan(96);

select tests.create_supabase_user('author');
select tests.create_supabase_user('coach2');
select tests.create_supabase_user('attendee');
select tests.create_supabase_user('prog_attendee');
select tests.create_supabase_user('banned');
select tests.create_supabase_user('member');
select tests.create_supabase_user('admin');
update public.user_roles set role = 'coach' where user_id in (tests.get_supabase_uid('author'), tests.get_supabase_uid('coach2'));
update public.user_roles set role = 'admin' where user_id = tests.get_supabase_uid('admin');
select tests.get_supabase_uid('author') as author, tests.get_supabase_uid('coach2') as coach2 \gset

-- Program P with session S2; session S1 outside it. The author hosts both.
\set prog '00000000-0000-4000-8000-0000000080b1'
\set s1 '00000000-0000-4000-8000-0000000080c1'
\set s2 '00000000-0000-4000-8000-0000000080c2'
insert into public.programs (id, name, status, created_by) values (:'prog', 'Counselling basics', 'live', :'author');
insert into public.sessions (id, program_id, title, status, visibility, starts_at, created_by)
values (:'s1', null, 'Grief group', 'scheduled', 'members', now() + interval '1 day', :'author'),
       (:'s2', :'prog', 'Module 1', 'scheduled', 'members', now() + interval '2 days', :'author');
insert into public.bookings (session_id, user_id, status)
values (:'s1', tests.get_supabase_uid('attendee'), 'confirmed'),
       (:'s1', tests.get_supabase_uid('banned'), 'confirmed'),
       (:'s2', tests.get_supabase_uid('prog_attendee'), 'confirmed');
insert into public.session_bans (session_id, user_id) values (:'s1', tests.get_supabase_uid('banned'));

\set r_pub    '00000000-0000-4000-8000-0000000080a1'
\set r_pubpdf '00000000-0000-4000-8000-0000000080a2'
\set r_mem    '00000000-0000-4000-8000-0000000080a3'
\set r_att    '00000000-0000-4000-8000-0000000080a4'
\set r_prog   '00000000-0000-4000-8000-0000000080a5'
\set r_priv   '00000000-0000-4000-8000-0000000080a6'
\set r_draft  '00000000-0000-4000-8000-0000000080a7'
\set r_hidden '00000000-0000-4000-8000-0000000080a8'
\set r_other  '00000000-0000-4000-8000-0000000080a9'

create function pg_temp.titles() returns text[] language sql as $$
  select coalesce(array_agg(title order by title), '{}') from public.resources where title like 'T %'
$$;
create function pg_temp.files() returns text[] language sql as $$
  select coalesce(array_agg(split_part(name, '/', 3) order by split_part(name, '/', 3)), '{}') from storage.objects where bucket_id = 'resources'
$$;
grant execute on function pg_temp.titles(), pg_temp.files() to anon, authenticated, service_role;

-- Structure -------------------------------------------------------------------------------------
select policies_are('public', 'resources', array[
  'deactivated accounts read nothing', 'anyone can read published public resources', 'users read the resources visible to them',
  'coaches and admins create resources', 'authors update their resources', 'authors and admins delete resources']);
select policies_are('public', 'resource_links', array[
  'deactivated accounts read nothing', 'anyone can read links between public resources and sessions', 'users read the links of resources and sessions they can read',
  'hosts, program creators and admins attach readable resources', 'hosts, program creators, adders and admins detach resources']);
select is(array(select policyname::text from pg_policies
                where schemaname = 'storage' and tablename = 'objects'
                  and (coalesce(qual, '') || coalesce(with_check, '')) like '%''resources''::text%' order by 1),
          array['anyone can read the files of public resources', 'authors and admins delete resource files',
                'authors replace the files in their own resource folders',
                'coaches upload resource files into their own resource folders',
                'users read the files of the resources they can read'],
          'storage.objects has exactly the five policies of the resources bucket');
select is((select row(b.public, b.file_size_limit)::text from storage.buckets b where b.id = 'resources'),
          row(false, (select max(private.resource_max_file_size(k)) from unnest(array['audio', 'pdf', 'video']) k))::text,
          'the resources bucket is private and its size limit is that of the largest kind');
select is((select array(select unnest(b.allowed_mime_types) order by 1) from storage.buckets b where b.id = 'resources'),
          array(select distinct unnest(private.resource_mime_types(k)) from unnest(array['audio', 'pdf', 'video', 'article', 'link']) k order by 1),
          'the bucket allows exactly the MIME types of the kinds');
select is(array(select c.column_name::text from information_schema.columns c
                where c.table_schema = 'public' and c.table_name = 'resources'
                  and has_column_privilege('authenticated', 'public.resources', c.column_name, 'UPDATE') order by 1),
          array['body', 'description', 'duration_seconds', 'external_url', 'file_mime_type', 'file_path', 'file_size_bytes',
                'language', 'page_count', 'status', 'tags', 'title', 'visibility'],
          'authors update the content columns only: never author_id, kind, published_at or hidden_*');
select is(has_table_privilege('anon', 'public.resources', 'INSERT, UPDATE, DELETE'), false, 'anon writes no resources');
select is(tests.tables_without_rls('public'), '{}', 'every public table has RLS');

-- Creating resources -----------------------------------------------------------------------------
-- Files are named up front (the client chooses the id), uploaded, then the resources are published.
select tests.authenticate_as('author');
select lives_ok(format($$
  insert into public.resources (id, title, kind, language, tags, body, external_url, file_path, file_mime_type, file_size_bytes,
                                visibility, status) values
    (%1$L, 'T public article', 'article', 'en', array[' Grief ', 'grief', 'SLEEP', ''], '# Coping', null, null, null, null, 'public', 'published'),
    (%2$L, 'T public pdf', 'pdf', 'en', '{}', null, null, %10$L || '/' || %2$L || '/public.pdf', 'application/pdf', 1000, 'public', 'draft'),
    (%3$L, 'T members pdf', 'pdf', 'nl', '{}', null, null, %10$L || '/' || %3$L || '/members.pdf', 'Application/PDF; x=1', 1000, 'members', 'draft'),
    (%4$L, 'T attendees audio', 'audio', 'en', '{}', null, null, %10$L || '/' || %4$L || '/attendees.mp3', 'audio/mpeg', 1000, 'attendees', 'draft'),
    (%5$L, 'T program link', 'link', 'pt', '{}', null, 'https://example.org/guia', null, null, null, 'attendees', 'published'),
    (%6$L, 'T private pdf', 'pdf', 'en', '{}', null, null, %10$L || '/' || %6$L || '/private.pdf', null, null, 'private', 'draft'),
    (%7$L, 'T draft video', 'video', 'en', '{}', null, null, %10$L || '/' || %7$L || '/draft.mp4', null, null, 'members', 'draft'),
    (%8$L, 'T hidden pdf', 'pdf', 'en', '{}', null, null, %10$L || '/' || %8$L || '/hidden.pdf', null, null, 'members', 'draft') $$,
  :'r_pub', :'r_pubpdf', :'r_mem', :'r_att', :'r_prog', :'r_priv', :'r_draft', :'r_hidden', null, :'author'),
  'a coach creates resources: an article, a link, and drafts naming their files');
select is((select row(author_id, tags, published_at is not null)::text from public.resources where id = :'r_pub'),
          row(:'author'::uuid, array['grief', 'sleep'], true)::text,
          'the author is the caller, tags are trimmed, lower case and unique, published_at is stamped');
select is((select file_mime_type from public.resources where id = :'r_mem'), 'application/pdf', 'the MIME type is stored normalized');
select throws_ok($$ insert into public.resources (title, kind, status) values ('T empty', 'article', 'published') $$,
                 '23514', null, 'a published article needs a body');
select throws_ok($$ insert into public.resources (title, kind, body) values ('T pdf body', 'pdf', 'text') $$,
                 '23514', null, 'only articles have a body');
select throws_ok(format($$ insert into public.resources (id, title, kind, file_path) values (%L, 'T theft', 'pdf', %L) $$,
                        gen_random_uuid(), :'coach2' || '/' || :'r_mem' || '/members.pdf'),
                 '23514', null, 'file_path must lie in the author''s folder under the resource''s own id');
select throws_ok($$ insert into public.resources (title, kind, external_url) values ('T plain', 'link', 'http://example.org') $$,
                 '23514', null, 'external URLs are https');
select throws_ok($$ insert into public.resources (title, kind, duration_seconds) values ('T pages', 'pdf', 60) $$,
                 '23514', null, 'a duration only for audio and video');
select throws_ok($$ insert into public.resources (title, kind, visibility) values ('T vis', 'pdf', 'everyone') $$,
                 '23514', null, 'visibility is one of the four');
select throws_ok(format($$ insert into public.resources (title, kind, author_id) values ('T forged', 'pdf', %L) $$, :'coach2'),
                 '42501', null, 'author_id is not writable');
select tests.authenticate_as('coach2');
select lives_ok(format($$ insert into public.resources (id, title, kind, visibility) values (%L, 'T other coach draft', 'pdf', 'members') $$, :'r_other'),
                'another coach creates their own resource');
select tests.authenticate_as('member');
select throws_ok($$ insert into public.resources (title, kind, body) values ('T member', 'article', 'x') $$, '42501', null,
                 'a member cannot create resources');
select tests.authenticate_as_anon();
select throws_ok($$ insert into public.resources (title, kind, body) values ('T anon', 'article', 'x') $$, '42501', null,
                 'anon cannot create resources');

-- Uploads (storage.objects INSERT, as Storage checks them) --------------------------------------------
select tests.authenticate_as('author');
-- The permission test Storage runs before it accepts the bytes: no metadata yet.
select lives_ok(format($$ insert into storage.objects (bucket_id, name, owner, version) values ('resources', %L, %L, '1') $$,
                       :'author' || '/' || :'r_pubpdf' || '/public.pdf', :'author'),
                'the author may upload into the folder of their pdf resource (Storage''s permission test, no metadata)');
select lives_ok(format($$ insert into storage.objects (bucket_id, name, owner, metadata) values
                          ('resources', %L, %L, '{"mimetype":"application/pdf","size":1000}'),
                          ('resources', %L, %L, '{"mimetype":"audio/mpeg","size":1000}'),
                          ('resources', %L, %L, '{"mimetype":"application/pdf","size":1000}'),
                          ('resources', %L, %L, '{"mimetype":"video/mp4","size":1000}'),
                          ('resources', %L, %L, '{"mimetype":"application/pdf","size":1000}') $$,
                       :'author' || '/' || :'r_mem' || '/members.pdf', :'author',
                       :'author' || '/' || :'r_att' || '/attendees.mp3', :'author',
                       :'author' || '/' || :'r_priv' || '/private.pdf', :'author',
                       :'author' || '/' || :'r_draft' || '/draft.mp4', :'author',
                       :'author' || '/' || :'r_hidden' || '/hidden.pdf', :'author'),
                'the author uploads the files of their resources, with metadata of the right MIME type and size');
select throws_ok(format($$ insert into storage.objects (bucket_id, name, metadata) values ('resources', %L, '{"mimetype":"application/x-msdownload"}') $$,
                        :'author' || '/' || :'r_mem' || '/setup.exe'),
                 '42501', null, 'a MIME type outside the bucket''s list is refused');
select throws_ok(format($$ insert into storage.objects (bucket_id, name, metadata) values ('resources', %L, '{"mimetype":"video/mp4"}') $$,
                        :'author' || '/' || :'r_mem' || '/clip.mp4'),
                 '42501', null, 'a MIME type of another kind (a video in a pdf resource) is refused');
select throws_ok(format($$ insert into storage.objects (bucket_id, name, metadata) values ('resources', %L, '{"mimetype":"application/pdf","size":52428801}') $$,
                        :'author' || '/' || :'r_mem' || '/huge.pdf'),
                 '42501', null, 'a pdf over 50 MiB is refused');
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('resources', %L) $$, :'author' || '/loose.pdf'),
                 '42501', null, 'a file outside a resource folder is refused');
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('resources', %L) $$, :'author' || '/' || :'r_pub' || '/img.pdf'),
                 '42501', null, 'an article has no file folder');
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('resources', %L) $$, :'coach2' || '/' || :'r_other' || '/x.pdf'),
                 '42501', null, 'an upload into another coach''s folder is refused');
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('resources', %L) $$, :'author' || '/' || :'r_other' || '/x.pdf'),
                 '42501', null, 'an upload for another coach''s resource, even in one''s own folder, is refused');
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('resources', %L) $$, :'author' || '/not-a-uuid/x.pdf'),
                 '42501', null, 'a malformed resource folder is refused, not an error');
select tests.authenticate_as('coach2');
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('resources', %L) $$, :'author' || '/' || :'r_mem' || '/x.pdf'),
                 '42501', null, 'another coach cannot upload into the author''s folder');
select lives_ok(format($$ insert into storage.objects (bucket_id, name, metadata) values ('resources', %L, '{"mimetype":"application/pdf"}') $$,
                       :'coach2' || '/' || :'r_other' || '/other.pdf'),
                'another coach uploads into their own resource folder');
select tests.authenticate_as('member');
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('resources', %L) $$,
                        tests.get_supabase_uid('member') || '/' || :'r_mem' || '/x.pdf'),
                 '42501', null, 'a member cannot upload');
select tests.authenticate_as_anon();
select throws_ok(format($$ insert into storage.objects (bucket_id, name) values ('resources', %L) $$, :'author' || '/' || :'r_mem' || '/x.pdf'),
                 '42501', null, 'anon cannot upload');

-- Publish, link and hide -------------------------------------------------------------------------
select tests.authenticate_as('author');
select lives_ok(format($$ update public.resources set status = 'published' where id in (%L, %L, %L, %L, %L) $$,
                       :'r_pubpdf', :'r_mem', :'r_att', :'r_priv', :'r_hidden'),
                'the author publishes the file resources');
select lives_ok(format($$ insert into public.resource_links (resource_id, session_id) values (%L, %L) $$, :'r_att', :'s1'),
                'the host attaches a resource to their session');
select lives_ok(format($$ insert into public.resource_links (resource_id, program_id) values (%L, %L) $$, :'r_prog', :'prog'),
                'the program creator attaches a resource to their program');
select throws_ok(format($$ insert into public.resource_links (resource_id, session_id) values (%L, %L) $$, :'r_priv', :'s1'),
                 '42501', null, 'a private resource cannot be attached');
select tests.authenticate_as('coach2');
select throws_ok(format($$ insert into public.resource_links (resource_id, session_id) values (%L, %L) $$, :'r_mem', :'s1'),
                 '42501', null, 'a coach who does not host the session cannot attach to it');
select tests.authenticate_as('attendee');
select throws_ok(format($$ insert into public.resource_links (resource_id, session_id) values (%L, %L) $$, :'r_mem', :'s1'),
                 '42501', null, 'an attendee cannot attach');
select tests.authenticate_as('author');
select is(tests.error_code(format($$ select public.hide_resource(%L, 'not mine to hide') $$, :'r_hidden')), 'forbidden',
          'the author cannot hide (admins only)');
select tests.authenticate_as('member');
select is(tests.error_code(format($$ select public.hide_resource(%L, 'spam') $$, :'r_hidden')), 'forbidden', 'a member cannot hide');
select tests.authenticate_as_anon();
select throws_ok(format($$ select public.hide_resource(%L, 'spam') $$, :'r_hidden'), '42501', null, 'anon cannot hide');
select tests.authenticate_as('admin');
select is(tests.error_code(format($$ select public.hide_resource(%L, '  ') $$, :'r_hidden')), 'invalid_input', 'hiding needs a reason');
select is(tests.error_code(format($$ select public.hide_resource(%L, 'x') $$, gen_random_uuid())), 'not_found', 'hiding an unknown resource');
select is((select row(hidden_at is not null, hidden_reason)::text from public.hide_resource(:'r_hidden', ' Copyright claim ')),
          row(true, 'Copyright claim')::text, 'an admin hides a resource with a reason');

-- Who reads which resources --------------------------------------------------------------------------
select tests.authenticate_as('author');
select is(pg_temp.titles(), array['T attendees audio', 'T draft video', 'T hidden pdf', 'T members pdf', 'T private pdf',
                                  'T program link', 'T public article', 'T public pdf'],
          'the author reads all of their resources, drafts, private and hidden ones included');
select is((select hidden_reason from public.resources where id = :'r_hidden'), 'Copyright claim', 'the author sees why it was hidden');
select tests.authenticate_as('coach2');
select is(pg_temp.titles(), array['T members pdf', 'T other coach draft', 'T public article', 'T public pdf'],
          'another coach reads public and members resources and their own draft');
select tests.authenticate_as('attendee');
select is(pg_temp.titles(), array['T attendees audio', 'T members pdf', 'T public article', 'T public pdf'],
          'an attendee of the linked session also reads its attendees resource');
select tests.authenticate_as('prog_attendee');
select is(pg_temp.titles(), array['T members pdf', 'T program link', 'T public article', 'T public pdf'],
          'an attendee of a session of the linked program reads the program''s attendees resource');
select tests.authenticate_as('banned');
select is(pg_temp.titles(), array['T members pdf', 'T public article', 'T public pdf'],
          'a banned attendee does not read the session''s attendees resource');
select tests.authenticate_as('member');
select is(pg_temp.titles(), array['T members pdf', 'T public article', 'T public pdf'],
          'a member reads public and members resources only');
select tests.authenticate_as_anon();
select is(pg_temp.titles(), array['T public article', 'T public pdf'], 'anon reads public resources only');
select tests.authenticate_as('admin');
select is(cardinality(pg_temp.titles()), 9, 'an admin reads every resource');
select tests.authenticate_as_service_role();
select is(cardinality(pg_temp.titles()), 9, 'service_role reads every resource');

-- Who reads which files (download / createSignedUrl select the row as the caller) ---------------------
select tests.authenticate_as('author');
select is(pg_temp.files(), array['attendees.mp3', 'draft.mp4', 'hidden.pdf', 'members.pdf', 'private.pdf', 'public.pdf'],
          'the author reads every file in their folder');
select tests.authenticate_as('coach2');
select is(pg_temp.files(), array['members.pdf', 'other.pdf', 'public.pdf'],
          'another coach reads the files of public and members resources, and their own');
select tests.authenticate_as('attendee');
select is(pg_temp.files(), array['attendees.mp3', 'members.pdf', 'public.pdf'], 'an attendee of the linked session reads its file');
select tests.authenticate_as('banned');
select is(pg_temp.files(), array['members.pdf', 'public.pdf'], 'a banned attendee does not');
select tests.authenticate_as('member');
select is(pg_temp.files(), array['members.pdf', 'public.pdf'],
          'a member reads neither a private, a draft, an attendees nor a hidden resource''s file');
select is((select count(*)::int from storage.objects where name = :'author' || '/' || :'r_priv' || '/private.pdf'), 0,
          'the private resource''s file is refused to a member');
select is((select count(*)::int from storage.objects where name = :'author' || '/' || :'r_hidden' || '/hidden.pdf'), 0,
          'the hidden resource''s file is refused to a member');
select tests.authenticate_as_anon();
select is(pg_temp.files(), array['public.pdf'], 'anon reads only the file of a public resource');
select tests.authenticate_as('admin');
select is(cardinality(pg_temp.files()), 7, 'an admin reads every file of the bucket');
select tests.authenticate_as_service_role();
select is(cardinality(pg_temp.files()), 7, 'service_role reads every file of the bucket');

-- Links are read with their resource and session ----------------------------------------------------
select tests.authenticate_as('attendee');
select is((select count(*)::int from public.resource_links where session_id = :'s1'), 1, 'an attendee reads the materials link of their session');
select tests.authenticate_as('member');
select is((select count(*)::int from public.resource_links where session_id = :'s1' or program_id = :'prog'), 0,
          'a member reads no link to resources they cannot read');
select tests.authenticate_as('prog_attendee');
select is((select count(*)::int from public.resource_links where program_id = :'prog'), 1, 'a program attendee reads the program''s link');
select tests.authenticate_as_anon();
select is((select count(*)::int from public.resource_links where session_id = :'s1' or program_id = :'prog'), 0,
          'anon reads no link to a non-public resource');

-- Updates ------------------------------------------------------------------------------------------
select tests.authenticate_as('author');
select lives_ok(format($$ update public.resources set title = 'T members pdf', description = 'Werkblad' where id = %L $$, :'r_mem'),
                'the author edits their resource');
select is((select description from public.resources where id = :'r_mem'), 'Werkblad', 'the edit is stored');
select throws_ok(format($$ update public.resources set kind = 'video' where id = %L $$, :'r_mem'), '42501', null, 'kind is fixed');
select throws_ok(format($$ update public.resources set hidden_at = null where id = %L $$, :'r_hidden'), '42501', null,
                 'the author cannot unhide by writing hidden_at');
select throws_ok(format($$ update public.resources set file_path = %L where id = %L $$, :'author' || '/' || :'r_pub' || '/x.pdf', :'r_mem'),
                 '23514', null, 'file_path cannot point at another resource''s folder');
select lives_ok(format($$ insert into storage.objects (bucket_id, name, metadata) values ('resources', %L, '{"mimetype":"application/pdf","size":2000}')
                          on conflict (bucket_id, name) do update set metadata = excluded.metadata $$,
                       :'author' || '/' || :'r_mem' || '/members.pdf'),
                'the author replaces their file (upsert)');
select throws_ok(format($$ insert into storage.objects (bucket_id, name, metadata) values ('resources', %L, '{"mimetype":"text/html"}')
                           on conflict (bucket_id, name) do update set metadata = excluded.metadata $$,
                        :'author' || '/' || :'r_mem' || '/members.pdf'),
                 '42501', null, 'a replacement of a wrong MIME type is refused');
select tests.authenticate_as('coach2');
update public.resources set title = 'T hijacked' where id = :'r_mem';
update storage.objects set metadata = '{"mimetype":"application/pdf","size":1}' where name = :'author' || '/' || :'r_mem' || '/members.pdf';
select tests.authenticate_as('admin');
update public.resources set title = 'T by admin' where id = :'r_mem';
select tests.authenticate_as('member');
update public.resources set title = 'T by member' where id = :'r_mem';
update storage.objects set metadata = '{}' where bucket_id = 'resources';
select tests.clear_authentication();
select is((select title from public.resources where id = :'r_mem'), 'T members pdf',
          'another coach, an admin and a member change nothing of another''s resource');
select is((select (metadata ->> 'size')::int from storage.objects where name = :'author' || '/' || :'r_mem' || '/members.pdf'), 2000,
          'nor of its file');
select tests.authenticate_as_anon();
select throws_ok(format($$ update public.resources set title = 'T anon' where id = %L $$, :'r_pub'), '42501', null, 'anon cannot update');

-- Deletes ------------------------------------------------------------------------------------------
select tests.authenticate_as('coach2');
delete from public.resources where id = :'r_mem';
delete from storage.objects where name = :'author' || '/' || :'r_mem' || '/members.pdf';
delete from public.resource_links where resource_id = :'r_att';
select tests.authenticate_as('attendee');
delete from public.resources where id = :'r_att';
delete from storage.objects where bucket_id = 'resources';
delete from public.resource_links where resource_id = :'r_att';
select tests.authenticate_as_anon();
select throws_ok(format($$ delete from public.resources where id = %L $$, :'r_pub'), '42501', null, 'anon cannot delete resources');
delete from storage.objects where bucket_id = 'resources';
select tests.clear_authentication();
select is((select count(*)::int from public.resources where title like 'T %'), 9, 'another coach and an attendee deleted no resource');
select is((select count(*)::int from storage.objects where bucket_id = 'resources'), 7, 'nor any file (anon neither)');
select is((select count(*)::int from public.resource_links where session_id = :'s1' or program_id = :'prog'), 2, 'nor any link');
select tests.authenticate_as('author');
select lives_ok(format($$ delete from public.resource_links where resource_id = %L $$, :'r_att'), 'the host detaches a material');
select lives_ok(format($$ delete from storage.objects where name = %L $$, :'author' || '/' || :'r_draft' || '/draft.mp4'),
                'the author deletes their file');
select lives_ok(format($$ delete from public.resources where id = %L $$, :'r_draft'), 'the author deletes their resource');
select tests.authenticate_as('admin');
select lives_ok(format($$ delete from storage.objects where name = %L $$, :'coach2' || '/' || :'r_other' || '/other.pdf'),
                'an admin deletes another coach''s file');
select lives_ok(format($$ delete from public.resources where id = %L $$, :'r_other'), 'an admin deletes another coach''s resource');
select tests.clear_authentication();
select is((select count(*)::int from public.resources where title like 'T %'), 7, 'two resources are gone');
select is((select count(*)::int from storage.objects where bucket_id = 'resources'), 5, 'two files are gone');
select is((select count(*)::int from public.resource_links where session_id = :'s1' or program_id = :'prog'), 1, 'one link is gone');

-- Unhide ---------------------------------------------------------------------------------------------
select tests.authenticate_as('member');
select is(tests.error_code(format($$ select public.unhide_resource(%L) $$, :'r_hidden')), 'forbidden', 'a member cannot unhide');
select tests.authenticate_as('admin');
select is((select hidden_at from public.unhide_resource(:'r_hidden')), null, 'an admin unhides');
select tests.authenticate_as('member');
select is((select count(*)::int from storage.objects where name = :'author' || '/' || :'r_hidden' || '/hidden.pdf'), 1,
          'the unhidden resource''s file is readable again');

select * from finish();
rollback;
