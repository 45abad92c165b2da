-- Data (hand-written, README "Changing the database" step 4): the repair 20261206233915_one_to_one_neutral_titles
-- matched notices by "<prefix>: <session title>" and so left the patient's topic in those whose title
-- private.notify had cut to 200 characters (a topic of 182 characters or more) and in those written before
-- a host renamed the session. private.neutralize_one_to_one_notice_titles (33_counselling.sql) goes by
-- each notice's session and kind instead: in-app notifications and the unsent email and push deliveries.
select private.neutralize_one_to_one_notice_titles();
