# shellcheck shell=bash
# Shared functions of the local stack (no Docker): install what is missing, run a dedicated
# PostgreSQL 15 cluster, apply the platform emulation, push migrations with the real CLI, seed.
# Sourced by scripts/*.sh; every function prints what it does on stderr.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
export SUPABASE_DB_PORT="${SUPABASE_DB_PORT:-54322}"
export LOCAL_STACK_DIR="${LOCAL_STACK_DIR:-$ROOT/.local-stack}"
export FUNCTIONS_PORT="${FUNCTIONS_PORT:-54321}"
# The Supabase CLI's local defaults, so tokens minted here also work against `supabase start`.
export SUPABASE_JWT_SECRET="${SUPABASE_JWT_SECRET:-super-secret-jwt-token-with-at-least-32-characters-long}"
DB_PASSWORD="${DB_PASSWORD:-postgres}"
# Local development secrets shared with the Supabase CLI (env() in config.toml).
if [ -z "${SIGNUP_HOOK_SECRET:-}" ] && [ -f "$ROOT/supabase/.env" ]; then
  SIGNUP_HOOK_SECRET=$(sed -n 's/^SIGNUP_HOOK_SECRET="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$ROOT/supabase/.env")
fi
export SIGNUP_HOOK_SECRET
PGDATA_DIR="$LOCAL_STACK_DIR/data"
SOCKET_DIR="$LOCAL_STACK_DIR/run"
export PATH="$ROOT/node_modules/.bin:$PATH"

log() { printf '\033[2m[stack]\033[0m %s\n' "$*" >&2; }

db_url() { # db_url [role] [database]
  printf 'postgresql://%s:%s@127.0.0.1:%s/%s' "${1:-postgres}" "$DB_PASSWORD" "$SUPABASE_DB_PORT" "${2:-postgres}"
}

# psql over the stack's socket; the first argument is the role.
psql_as() {
  local role="$1"; shift
  PGPASSWORD="$DB_PASSWORD" psql -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$SUPABASE_DB_PORT" -U "$role" -d "${PGDATABASE_NAME:-postgres}" "$@"
}

# Root runs the server as the unprivileged `postgres` OS user (PostgreSQL refuses root).
as_pg_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_os_packages() {
  local wanted=(postgresql-15 postgresql-15-pgtap postgresql-15-plpgsql-check postgresql-15-cron libtap-parser-sourcehandler-pgtap-perl
                # npm test's second pass (clock +400 days): libfaketime, and cc for scripts/faketime-waits.c
                libfaketime gcc libc6-dev)
  local missing=()
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing OS packages: ${missing[*]}"
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # The Debian package creates and starts a default cluster on 5432; we never use it.
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

ensure_npm_packages() {
  if [ ! -x "$ROOT/node_modules/.bin/supabase" ] || [ ! -x "$ROOT/node_modules/.bin/deno" ]; then
    log "installing npm packages"
    (cd "$ROOT" && npm install --no-audit --no-fund --loglevel=error) >&2
  fi
}

ensure_deps() { ensure_os_packages; ensure_npm_packages; }

cluster_running() {
  [ -f "$PGDATA_DIR/postmaster.pid" ] && as_pg_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1
}

cluster_init() {
  [ -f "$PGDATA_DIR/PG_VERSION" ] && return 0
  log "creating cluster in $PGDATA_DIR (port $SUPABASE_DB_PORT)"
  mkdir -p "$LOCAL_STACK_DIR" "$SOCKET_DIR"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$LOCAL_STACK_DIR"
  local pwfile="$LOCAL_STACK_DIR/.pw"
  printf '%s\n' "$DB_PASSWORD" > "$pwfile"
  [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
  as_pg_user "$PG_BIN/initdb" -D "$PGDATA_DIR" -U supabase_admin --pwfile="$pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  cat >> "$PGDATA_DIR/postgresql.conf" <<EOF

# --- local Supabase stack ---
listen_addresses = '127.0.0.1'
port = $SUPABASE_DB_PORT
unix_socket_directories = '$SOCKET_DIR'
shared_preload_libraries = 'pg_cron,plpgsql,plpgsql_check'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 32
max_connections = 400
wal_level = logical
timezone = 'UTC'
log_timezone = 'UTC'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

cluster_start() {
  cluster_init
  if cluster_running; then return 0; fi
  mkdir -p "$SOCKET_DIR"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$SOCKET_DIR" "$LOCAL_STACK_DIR"
  log "starting PostgreSQL 15 on 127.0.0.1:$SUPABASE_DB_PORT"
  as_pg_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$LOCAL_STACK_DIR/postgres.log" -w -t 60 start >/dev/null
}

cluster_stop() {
  if cluster_running; then
    log "stopping PostgreSQL on port $SUPABASE_DB_PORT"
    as_pg_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null || true
  fi
}

cluster_destroy() { cluster_stop; rm -rf "$LOCAL_STACK_DIR"; }

# The emulation is applied once, as supabase_admin, and only to a database without `auth`.
apply_platform() {
  local has_auth
  has_auth=$(psql_as supabase_admin -At -c "select count(*) from pg_namespace where nspname = 'auth'")
  if [ "$has_auth" = 0 ]; then
    log "applying the platform emulation (supabase/platform/emulation.sql)"
    psql_as supabase_admin -f "$ROOT/supabase/platform/emulation.sql" >/dev/null
  fi
}

push_migrations() {
  log "supabase db push (as postgres)"
  (cd "$ROOT" && supabase db push --remote="$(db_url)" --yes --agent=no >"$LOCAL_STACK_DIR/push.log" 2>&1) || {
    cat "$LOCAL_STACK_DIR/push.log" >&2; return 1; }
}

# The seed files of config.toml's [db.seed] sql_paths, in that order: seed.sql, then seeds/*.sql.
seed_db() {
  log "seeding (supabase/seed.sql and supabase/seeds/*.sql, as postgres)"
  local f
  for f in "$ROOT/supabase/seed.sql" "$ROOT"/supabase/seeds/*.sql; do
    [ -f "$f" ] && psql_as postgres -f "$f" >/dev/null
  done
  return 0
}

install_test_helpers() {
  psql_as postgres -f "$ROOT/supabase/tests/helpers.sql" >/dev/null
}

# Everything a fresh database needs: emulation, migrations, seed (first time only).
prepare_db() {
  apply_platform
  # What the Realtime server does: today's partitions exist before any broadcast.
  psql_as supabase_admin -c "select supabase_local.maintain_realtime_partitions()" >/dev/null
  push_migrations
  if [ ! -f "$LOCAL_STACK_DIR/seeded" ]; then
    seed_db
    touch "$LOCAL_STACK_DIR/seeded"
  fi
}
