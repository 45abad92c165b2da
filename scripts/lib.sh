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
                libfaketime gcc libc6-dev
                # npm test's pooled pass: PgBouncer in transaction mode, as Supavisor on port 6543
                pgbouncer)
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

# `npm ci` installs exactly package-lock.json and never rewrites it: git status stays clean.
ensure_npm_packages() {
  if [ ! -x "$ROOT/node_modules/.bin/supabase" ] || [ ! -x "$ROOT/node_modules/.bin/deno" ]; then
    log "installing npm packages (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) >&2
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
shared_preload_libraries = 'pg_cron,plpgsql,plpgsql_check${LOCAL_STACK_PRELOAD:+,$LOCAL_STACK_PRELOAD}'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 32
max_connections = 400
wal_level = logical
timezone = 'UTC'
log_timezone = 'UTC'
EOF
}

# Durability. The persistent stack of `npm start` / `npm run db:start` holds a developer's data between
# runs: it keeps PostgreSQL's defaults (fsync, full_page_writes, synchronous_commit on), as `supabase
# start` and the hosted platform do, so a crash never loses an acknowledged write. The throwaway
# clusters of `npm test` and `npm run bench` set LOCAL_STACK_FAST=1: nothing in them outlives the run.
# Rewritten at every start, so a stack created with the old fast settings becomes durable.
cluster_durability() {
  local conf="$PGDATA_DIR/postgresql.conf"
  sed -i -E '/^(fsync|synchronous_commit|full_page_writes) = /d; /^# --- durability/d' "$conf"
  if [ "${LOCAL_STACK_FAST:-0}" = 1 ]; then
    printf '# --- durability: throwaway cluster (LOCAL_STACK_FAST=1)\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' >> "$conf"
  else
    printf '# --- durability: persistent stack, PostgreSQL defaults\nfsync = on\nsynchronous_commit = on\nfull_page_writes = on\n' >> "$conf"
  fi
}

cluster_start() {
  cluster_init
  if cluster_running; then return 0; fi
  mkdir -p "$SOCKET_DIR"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$SOCKET_DIR" "$LOCAL_STACK_DIR"
  cluster_durability
  log "starting PostgreSQL 15 on 127.0.0.1:$SUPABASE_DB_PORT"
  # The port was checked free, but it may be the local port of an outgoing connection by the time the
  # postmaster binds it (Address already in use): such a port is freed when that connection closes, so
  # the start is tried again on the same port a few times.
  local attempt
  for attempt in 1 2 3 4 5; do
    as_pg_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$LOCAL_STACK_DIR/postgres.log" -w -t 60 start >/dev/null && return 0
    tail -n 20 "$LOCAL_STACK_DIR/postgres.log" 2>/dev/null | grep -q "Address already in use" || return 1
    log "port $SUPABASE_DB_PORT is in use for the moment; trying again"
    sleep 1
  done
  return 1
}

cluster_stop() {
  if cluster_running; then
    log "stopping PostgreSQL on port $SUPABASE_DB_PORT"
    as_pg_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null || true
  fi
}

# A crash: the postmaster and every backend quit at once, without a checkpoint (the crash test, then
# cluster_start, which runs crash recovery from the WAL).
cluster_kill() {
  log "crashing PostgreSQL on port $SUPABASE_DB_PORT (pg_ctl stop -m immediate)"
  as_pg_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null
}

cluster_destroy() { pooler_stop; cluster_stop; rm -rf "$LOCAL_STACK_DIR"; }

# --- PgBouncer in transaction mode (npm test's pooled pass) -----------------------------------
# Production reaches Postgres through Supavisor in transaction mode (port 6543): a server connection
# serves one transaction of one client, then another client's; session state (SET, prepared
# statements) is not reset between them. PgBouncer with pool_mode = transaction does the same. Two
# databases: `postgres` (a pool of POOLER_POOL_SIZE server connections, default 40) and
# `postgres_single` (the same database through exactly one server connection, for the leak test).
# Started as the cluster's OS user (PgBouncer refuses root), stopped by its pid file.
pooler_dir() { printf '%s/pooler' "$LOCAL_STACK_DIR"; }

pooler_url() { # pooler_url [role] [database]
  printf 'postgresql://%s:%s@127.0.0.1:%s/%s' "${1:-postgres}" "$DB_PASSWORD" "$POOLER_PORT" "${2:-postgres}"
}

pooler_start() {
  local dir; dir=$(pooler_dir)
  export POOLER_PORT=${POOLER_PORT:-$((SUPABASE_DB_PORT + 1000))}
  mkdir -p "$dir"
  printf '"postgres" "%s"\n' "$DB_PASSWORD" >"$dir/userlist.txt"
  chmod 600 "$dir/userlist.txt"
  # A free port can be taken between the check and PgBouncer's bind (ports in this range are also the
  # local ports of outgoing connections): on "Address already in use" the next port is tried.
  local attempt i
  for attempt in 1 2 3 4 5; do
    while (echo >"/dev/tcp/127.0.0.1/$POOLER_PORT") 2>/dev/null; do POOLER_PORT=$((POOLER_PORT + 1)); done
    cat >"$dir/pgbouncer.ini" <<INI
[databases]
postgres = host=127.0.0.1 port=$SUPABASE_DB_PORT dbname=postgres
postgres_single = host=127.0.0.1 port=$SUPABASE_DB_PORT dbname=postgres pool_size=1
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $POOLER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = ${POOLER_POOL_SIZE:-40}
max_client_conn = 2000
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
    : >"$dir/pgbouncer.log"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
    log "starting PgBouncer (transaction mode) on 127.0.0.1:$POOLER_PORT -> $SUPABASE_DB_PORT"
    as_pg_user pgbouncer -d -q "$dir/pgbouncer.ini" || { cat "$dir/pgbouncer.log" >&2 2>/dev/null; return 1; }
    for i in $(seq 50); do
      (echo >"/dev/tcp/127.0.0.1/$POOLER_PORT") 2>/dev/null && return 0
      grep -q "Address already in use" "$dir/pgbouncer.log" 2>/dev/null && break
      sleep 0.1
    done
    grep -q "Address already in use" "$dir/pgbouncer.log" 2>/dev/null || break
    log "port $POOLER_PORT was taken meanwhile; trying the next one"
    rm -f "$dir/pgbouncer.pid"
    POOLER_PORT=$((POOLER_PORT + 1))
  done
  log "PgBouncer did not start"; cat "$dir/pgbouncer.log" >&2; return 1
}

pooler_stop() {
  local pidfile; pidfile="$(pooler_dir)/pgbouncer.pid"
  [ -f "$pidfile" ] || return 0
  log "stopping PgBouncer"
  kill "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
}

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

# The emulation and the migrations (no seed).
migrate_db() {
  apply_platform
  # What the Realtime server does: today's partitions exist before any broadcast.
  psql_as supabase_admin -c "select supabase_local.maintain_realtime_partitions()" >/dev/null
  push_migrations
}

# Everything a fresh database needs: emulation, migrations, seed (first time only).
prepare_db() {
  migrate_db
  if [ ! -f "$LOCAL_STACK_DIR/seeded" ]; then
    seed_db
    touch "$LOCAL_STACK_DIR/seeded"
  fi
}

# --- Schema files (supabase/schemas) ----------------------------------------------------------

# pg_cron lives in one database per cluster (cron.database_name, `postgres`): the file that
# schedules the jobs can only run there. Everything else in supabase/schemas runs in any database.
CRON_JOBS_FILE="$ROOT/supabase/schemas/90_cron_jobs.sql"

# Applies supabase/schemas/*.sql in filename order as postgres (as migrations run), one transaction
# per file, to $PGDATABASE_NAME. With --without-cron-jobs the pg_cron file is left out (a database
# other than the cluster's cron database: see cron_jobs_of_schemas).
apply_schemas() {
  local f
  log "applying supabase/schemas/*.sql (as postgres)${1:+ $1}"
  for f in "$ROOT"/supabase/schemas/*.sql; do
    [ "${1:-}" = --without-cron-jobs ] && [ "$f" = "$CRON_JOBS_FILE" ] && continue
    PGOPTIONS="-c client_min_messages=warning" psql_as postgres --single-transaction -f "$f" >/dev/null ||
      { log "failed: ${f#"$ROOT"/}"; return 1; }
  done
}

# The pg_cron jobs (jobname, schedule, command, database, user, active), one line each.
cron_jobs() {
  psql_as supabase_admin -At -F ' | ' -c \
    "select jobname, schedule, command, database, username, active from cron.job order by jobname collate \"C\""
}

# The pg_cron jobs the schema files declare, without a second cron database: in the cron database
# (which holds the migrated project), inside one transaction that is rolled back, the project's
# jobs are removed and the jobs file runs as postgres, as it would in a fresh database.
cron_jobs_of_schemas() {
  PGDATABASE_NAME=postgres PGOPTIONS="-c client_min_messages=warning" psql_as supabase_admin -At -F ' | ' <<SQL
begin;
delete from cron.job where username = 'postgres';
set role postgres;
\o /dev/null
\i $CRON_JOBS_FILE
\o
reset role;
select jobname, schedule, command, database, username, active from cron.job order by jobname collate "C";
rollback;
SQL
}

# The rows of public and private in $PGDATABASE_NAME, normalized (scripts/schema-normalize.mjs --data).
# The admin_stats rollups (88_admin_stats.sql) are folded first (private.stats_fold, which the
# minute job may or may not have run in either build yet), and private.stats_hourly, keyed by the
# hour each build ran in, is compared as its sums per metric instead of its rows.
data_snapshot() {
  if [ "$(psql_as supabase_admin -At -c "select to_regprocedure('private.stats_fold(integer)') is not null")" = t ]; then
    psql_as supabase_admin -At -c "select private.stats_fold()" >/dev/null
  fi
  PGPASSWORD="$DB_PASSWORD" "$PG_BIN/pg_dump" -h "$SOCKET_DIR" -p "$SUPABASE_DB_PORT" -U supabase_admin \
    --data-only --schema=public --schema=private --exclude-table-data=private.stats_hourly \
    "${PGDATABASE_NAME:-postgres}" |
    node "$ROOT/scripts/schema-normalize.mjs" --data
  if [ "$(psql_as supabase_admin -At -c "select to_regclass('private.stats_hourly') is not null")" = t ]; then
    printf '\n-- private.stats_hourly summed over hours\n'
    psql_as supabase_admin -At -F ' ' -c \
      'select metric, sum(n) from private.stats_hourly group by metric having sum(n) <> 0 order by metric collate "C"'
  fi
}

# Writes what makes two builds of the database equal into directory $1, for $PGDATABASE_NAME:
#   schema.sql             pg_dump --schema-only, normalized for order (scripts/schema-normalize.mjs)
#   realtime_policies.txt  the policies on realtime.messages (and any other realtime table)
#   grants.txt             every ACL: relations, columns, functions, schemas, types, default privileges
#   comments.txt           every comment on a project or platform object
#   data.txt               the rows of public and private (normalized: scripts/schema-normalize.mjs
#                          --data): what the build itself inserts, e.g. private.time_zones
# The sections repeat parts of schema.sql on purpose: each is readable on its own when it differs.
# Left out: the schemas cron (pg_cron's own objects, which the emulation creates in the cron
# database only; the jobs are compared with cron_jobs) and supabase_migrations (the CLI's history).
schema_snapshot() {
  local dir="$1"
  mkdir -p "$dir"
  PGPASSWORD="$DB_PASSWORD" "$PG_BIN/pg_dump" -h "$SOCKET_DIR" -p "$SUPABASE_DB_PORT" -U supabase_admin \
    --schema-only --exclude-schema=cron --exclude-schema=supabase_migrations "${PGDATABASE_NAME:-postgres}" |
    node "$ROOT/scripts/schema-normalize.mjs" >"$dir/schema.sql"
  data_snapshot >"$dir/data.txt"
  psql_as supabase_admin -At -F ' | ' >"$dir/realtime_policies.txt" <<'SQL'
select tablename, policyname, cmd, roles::text, permissive, coalesce(qual, ''), coalesce(with_check, '')
from pg_policies where schemaname = 'realtime' order by tablename collate "C", policyname collate "C";
SQL
  psql_as supabase_admin -At -F ' | ' >"$dir/grants.txt" <<'SQL'
with acl(kind, object, items, nsp) as (
  select 'relation', c.oid::regclass::text, c.relacl::text[], n.nspname
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and c.relname !~ '^messages_\d{4}_\d{2}_\d{2}'
  union all
  select 'column', a.attrelid::regclass::text || '.' || a.attname, a.attacl::text[], n.nspname
  from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
  where a.attacl is not null and not a.attisdropped and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
    and c.relname !~ '^messages_\d{4}_\d{2}_\d{2}'
  union all
  select 'function', p.oid::regprocedure::text, p.proacl::text[], n.nspname
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname not in ('pg_catalog', 'information_schema')
  union all
  select 'schema', n.nspname, n.nspacl::text[], n.nspname from pg_namespace n
  where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname !~ '^pg_(toast_)?temp'
  union all
  select 'type', t.oid::regtype::text, t.typacl::text[], n.nspname
  from pg_type t join pg_namespace n on n.oid = t.typnamespace
  where t.typacl is not null and n.nspname not in ('pg_catalog', 'information_schema')
  union all
  select 'default privileges', d.defaclrole::regrole::text || ' in ' || coalesce(d.defaclnamespace::regnamespace::text, '(all schemas)')
         || ' on ' || d.defaclobjtype::text, d.defaclacl::text[], coalesce(d.defaclnamespace::regnamespace::text, '')
  from pg_default_acl d
)
select kind, object, coalesce((select string_agg(i, ' ' order by i collate "C") from unnest(items) i), '(default)')
from acl where nsp not in ('cron', 'supabase_migrations')
order by kind collate "C", object collate "C";
SQL
  psql_as supabase_admin -At -F ' | ' >"$dir/comments.txt" <<'SQL'
select pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description
from pg_description d
where d.objoid >= 16384 and pg_describe_object(d.classoid, d.objoid, d.objsubid) !~ 'messages_\d{4}_\d{2}_\d{2}'
  and pg_describe_object(d.classoid, d.objoid, d.objsubid) !~ '^(extension pg_cron|\w+( \w+)? (cron|supabase_migrations)\.)'
order by pg_describe_object(d.classoid, d.objoid, d.objsubid) collate "C", d.description collate "C";
SQL
}

# Builds database $1 of the running cluster from the schema files: a fresh database, the platform
# emulation, today's realtime partitions, then supabase/schemas/*.sql without the pg_cron file (the
# cluster's cron database is `postgres`; see cron_jobs_of_schemas).
build_schemas_db() {
  PGOPTIONS="-c client_min_messages=warning" psql_as supabase_admin \
    -c "drop database if exists $1 with (force)" -c "create database $1" >/dev/null &&
    PGDATABASE_NAME="$1" apply_platform &&
    PGDATABASE_NAME="$1" psql_as supabase_admin -c "select supabase_local.maintain_realtime_partitions()" >/dev/null &&
    PGDATABASE_NAME="$1" apply_schemas --without-cron-jobs
}

# `npm test`'s "schema files = migrations": the migrated `postgres` database of the running cluster
# (before the seed) against database from_schemas built beside it (build_schemas_db):
# schema_snapshot of both, and the pg_cron jobs of the migrations against those of the schema
# files (cron_jobs_of_schemas).
check_schema_files() {
  local dir="$LOCAL_STACK_DIR/schema-check"
  rm -rf "$dir"
  build_schemas_db from_schemas || return 1
  PGDATABASE_NAME=postgres schema_snapshot "$dir/migrations"
  PGDATABASE_NAME=from_schemas schema_snapshot "$dir/schemas"
  PGDATABASE_NAME=postgres cron_jobs >"$dir/migrations/cron_jobs.txt"
  cron_jobs_of_schemas >"$dir/schemas/cron_jobs.txt"
  local rc=0
  schema_compare "$dir/migrations" "$dir/schemas" migrations schemas || rc=1
  psql_as supabase_admin -c "drop database from_schemas with (force)" >/dev/null
  return "$rc"
}

# Compares two snapshot directories; prints one line per part and the differences. Fails on any.
schema_compare() { # schema_compare <dir a> <dir b> <label a> <label b>
  local a="$1" b="$2" part rc=0
  for part in "$a"/*; do
    part=$(basename "$part")
    if diff -u --label "$3/$part" --label "$4/$part" "$a/$part" "$b/$part" >"$a/$part.diff" 2>&1; then
      printf '  %-24s identical (%s lines)\n' "$part" "$(wc -l <"$a/$part")"
    else
      printf '  %-24s DIFFERENT:\n' "$part"
      head -60 "$a/$part.diff"
      rc=1
    fi
    rm -f "$a/$part.diff"
  done
  return "$rc"
}
