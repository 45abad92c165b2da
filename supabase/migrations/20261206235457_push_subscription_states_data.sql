-- Data (hand-written, README "Changing the database" step 4): every push subscription disabled before
-- disabled_cause existed was disabled for its endpoint (the dispatcher disabled nothing else).
update public.push_subscriptions
   set disabled_cause = 'endpoint'
 where disabled_at is not null and disabled_cause is null;
