-- notification kinds: the rows of public.notification_kinds (hand-written: pg-delta writes no data).
-- Same statement as supabase/schemas/34_notification_delivery.sql.

insert into public.notification_kinds
  (kind, default_in_app, default_email, default_push, email_digest, push_ttl_seconds, push_urgency, attach_ics)
values
  ('session_reminder',          true,  true,  true,  false, 3600,   'high',   true),
  ('booking_confirmed',         false, true,  false, false, 86400,  'normal', true),
  ('booking_promoted',          true,  true,  true,  false, 86400,  'high',   true),
  ('session_rescheduled',       true,  true,  true,  false, 86400,  'high',   true),
  ('session_cancelled',         true,  true,  true,  false, 86400,  'high',   true),
  ('direct_message',            true,  true,  true,  true,  3600,   'normal', false),
  ('coach_application_decided', true,  true,  false, false, 604800, 'normal', false)
on conflict (kind) do nothing;
