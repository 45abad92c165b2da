-- Hand-written (data: pg-delta compares schema, not rows). The notification kinds that features added
-- without registering them in public.notification_kinds (supabase/schemas/34_notification_delivery.sql):
-- unregistered kinds were delivered in-app only; registered, they follow each user's channel choices.
insert into public.notification_kinds
  (kind, default_in_app, default_email, default_push, email_digest, push_ttl_seconds, push_urgency, attach_ics)
values
  ('one_to_one_booked',         true,  true,  true,  false, 86400,  'normal', true),
  ('announcement',              true,  true,  false, false, 86400,  'normal', false),
  ('support_ticket_reply',      true,  true,  false, false, 604800, 'normal', false),
  ('support_ticket_status',     true,  true,  false, false, 604800, 'normal', false),
  ('support_ticket_assigned',   true,  true,  false, false, 604800, 'normal', false),
  ('support_ticket_opened',     true,  true,  false, false, 604800, 'normal', false)
on conflict (kind) do nothing;
