#!/usr/bin/env bash
# npm start: the whole backend locally without Docker. Starts (or reuses) the local database,
# applies new migrations, seeds the first time, serves the Edge Functions at
# http://127.0.0.1:54321/functions/v1/<name>, prints URLs, the JWT secret and ready-made tokens.
# Ctrl-C stops the functions server and the database.
source "$(dirname "$0")/lib.sh"
ensure_deps
cluster_start
prepare_db

functions_pid=""
maildev_pid=""
dispatch_pid=""
shutdown() {
  trap - INT TERM EXIT
  for pid in "$dispatch_pid" "$maildev_pid"; do
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  done
  if [ -n "$functions_pid" ]; then kill "$functions_pid" 2>/dev/null; wait "$functions_pid" 2>/dev/null; fi
  rm -f "$LOCAL_STACK_DIR/functions.pid"
  cluster_stop
  log "stopped"
}
trap shutdown EXIT
trap 'exit 130' INT TERM

# Claims as Supabase Auth would issue them, completed by the project's custom access token hook.
token_for() {
  local email="$1" claims
  claims=$(psql_as supabase_admin -At -v email="$email" <<'SQL'
select case when to_regprocedure('public.custom_access_token_hook(jsonb)') is null then c
            else public.custom_access_token_hook(jsonb_build_object('user_id', u.id, 'claims', c,
                   'authentication_method', 'password')) -> 'claims' end
from auth.users u,
lateral (select jsonb_build_object('iss', 'http://127.0.0.1:54321/auth/v1', 'aud', 'authenticated',
  'sub', u.id, 'role', 'authenticated', 'aal', 'aal1', 'session_id', gen_random_uuid(),
  'email', u.email, 'phone', coalesce(u.phone, ''), 'is_anonymous', false,
  'app_metadata', coalesce(u.raw_app_meta_data, '{}'), 'user_metadata', coalesce(u.raw_user_meta_data, '{}')) as c) x
where u.email = :'email'
SQL
)
  if [ -n "$claims" ]; then node "$ROOT/scripts/mint-jwt.mjs" "$claims"; fi
}

export SUPABASE_DB_URL; SUPABASE_DB_URL=$(db_url)
export SUPABASE_URL="http://127.0.0.1:$FUNCTIONS_PORT"
export ALLOWED_ORIGINS="${ALLOWED_ORIGINS:-http://localhost:3000,http://127.0.0.1:3000}"

HOST_EMAIL=${HOST_EMAIL:-coach.anna@example.com}
MEMBER_EMAIL=${MEMBER_EMAIL:-member01@example.com}
host_jwt=$(token_for "$HOST_EMAIL")
member_jwt=$(token_for "$MEMBER_EMAIL")
anon_jwt=$(node "$ROOT/scripts/mint-jwt.mjs" '{"role":"anon","iss":"supabase-demo"}')

# Notification delivery (README, "Notification delivery"): a real SMTP catcher with a web inbox
# (maildev: SMTP on 54325, inbox on 54324, the ports supabase start uses for its mail catcher), dev
# secrets and VAPID keys created once under .local-stack/, and the dispatcher called on the schedule
# pg_cron + pg_net use in production (local PostgreSQL has no pg_net).
MAILDEV_SMTP_PORT=${MAILDEV_SMTP_PORT:-54325}
MAILDEV_WEB_PORT=${MAILDEV_WEB_PORT:-54324}
node "$ROOT/scripts/notify-local.mjs" env "$LOCAL_STACK_DIR/notify.env"
# shellcheck disable=SC1091
source "$LOCAL_STACK_DIR/notify.env"
export VAPID_PUBLIC_KEY VAPID_PRIVATE_KEY DISPATCH_SECRET UNSUBSCRIBE_SECRET
export VAPID_SUBJECT="${VAPID_SUBJECT:-mailto:dev@live-sessions.invalid}"
export SMTP_URL="${SMTP_URL:-smtp://127.0.0.1:$MAILDEV_SMTP_PORT}"
export EMAIL_FROM="${EMAIL_FROM:-Live Sessions <no-reply@live-sessions.local>}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:3000}"
export FUNCTIONS_BASE_URL="${FUNCTIONS_BASE_URL:-http://127.0.0.1:$FUNCTIONS_PORT/functions/v1}"
"$ROOT/node_modules/.bin/maildev" --ip 127.0.0.1 --smtp "$MAILDEV_SMTP_PORT" --web "$MAILDEV_WEB_PORT" \
  --silent >"$LOCAL_STACK_DIR/maildev.log" 2>&1 &
maildev_pid=$!
# maildev exits (quietly, with --silent) when a port is taken, e.g. by the mail catcher of another stack:
# say so, or mail would silently go to the other inbox or nowhere (deliveries retried until it is up).
maildev_up=""
for _ in $(seq 1 100); do
  kill -0 "$maildev_pid" 2>/dev/null || break
  if (echo >"/dev/tcp/127.0.0.1/$MAILDEV_SMTP_PORT") 2>/dev/null && (echo >"/dev/tcp/127.0.0.1/$MAILDEV_WEB_PORT") 2>/dev/null; then
    maildev_up=1; break
  fi
  sleep 0.1
done
# (a taken port answers at once, before our maildev gives up: check that it is still alive a second later)
[ -n "$maildev_up" ] && sleep 1
if [ -z "$maildev_up" ] || ! kill -0 "$maildev_pid" 2>/dev/null; then
  log "WARNING: the mail catcher (maildev) is not running: SMTP $MAILDEV_SMTP_PORT or inbox $MAILDEV_WEB_PORT may be taken" \
      "(MAILDEV_SMTP_PORT, MAILDEV_WEB_PORT move them); $LOCAL_STACK_DIR/maildev.log: $(tail -c 300 "$LOCAL_STACK_DIR/maildev.log" 2>/dev/null)"
fi

(cd "$ROOT/supabase/functions" && exec deno run --allow-all --config "$ROOT/supabase/functions/deno.json" "$ROOT/scripts/serve-functions.ts") &
functions_pid=$!
echo "$functions_pid" > "$LOCAL_STACK_DIR/functions.pid"
for _ in $(seq 1 100); do (echo >"/dev/tcp/127.0.0.1/$FUNCTIONS_PORT") 2>/dev/null && break; sleep 0.2; done
node "$ROOT/scripts/notify-local.mjs" loop &
dispatch_pid=$!

cat <<INFO

  Live sessions backend is running (no Docker).

  Database URL   $(db_url)
  Functions URL  http://127.0.0.1:$FUNCTIONS_PORT/functions/v1/<name>
  JWT secret     $SUPABASE_JWT_SECRET
  Anon JWT       $anon_jwt
  Host JWT       ${host_jwt:-(no user $HOST_EMAIL in the seed)}   ($HOST_EMAIL)
  Member JWT     ${member_jwt:-(no user $MEMBER_EMAIL in the seed)}   ($MEMBER_EMAIL)
  Mail inbox     http://127.0.0.1:$MAILDEV_WEB_PORT   (SMTP 127.0.0.1:$MAILDEV_SMTP_PORT; notifications are
                 dispatched every ${DISPATCH_INTERVAL_SECONDS:-20} s; VAPID public key: $VAPID_PUBLIC_KEY)

  Try:  curl -H "Authorization: Bearer \$MEMBER_JWT" http://127.0.0.1:$FUNCTIONS_PORT/functions/v1/health
  Seeded users sign in with password "password123". Ctrl-C stops everything.

INFO
wait "$functions_pid"
