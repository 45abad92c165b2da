#!/usr/bin/env bash
# scripts/schema-check.sh: proves that supabase/schemas and supabase/migrations build the same
# database, and (with --history <git revision>) that the migrations of that revision do too.
#
#   scripts/schema-check.sh                      # migrations = schema files
#   scripts/schema-check.sh --history 1d308fe    # and = the 42 migrations the baseline replaced
#
# Each build gets its own throwaway cluster (pg_cron lives in one database per cluster, so each
# build has its cron jobs) with the platform emulation; then the build, its snapshot (see
# schema_snapshot in lib.sh: normalized pg_dump --schema-only, realtime.messages policies, grants,
# comments) and its pg_cron jobs, then the seed (supabase/seed.sql, supabase/seeds/*.sql) and a
# normalized data dump of public and private (scripts/schema-normalize.mjs --data). Every build is
# compared with the first. Exit status 0 when all are identical. `npm test` runs the fast form of
# this check (schema files against the migrated test database, no seed) as "schema files = migrations".
source "$(dirname "$0")/lib.sh"
set +e

history_rev=""
while [ $# -gt 0 ]; do
  case "$1" in
    --history) history_rev="$2"; shift 2 ;;
    *) echo "usage: $0 [--history <git revision>]" >&2; exit 2 ;;
  esac
done

ensure_deps || exit 1
work=$(mktemp -d /tmp/live-sessions-schema-check.XXXXXX)
chmod 755 "$work"
port=${SCHEMA_CHECK_PORT:-54350}
cleanup() { [ -n "${LOCAL_STACK_DIR:-}" ] && [ -d "$LOCAL_STACK_DIR" ] && cluster_destroy; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# build <label> <how>: a throwaway cluster, the emulation, then <how> (a function), snapshot, seed.
build() {
  local label="$1" how="$2"
  while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  export SUPABASE_DB_PORT=$port
  LOCAL_STACK_DIR="$work/stack-$label"; PGDATA_DIR="$LOCAL_STACK_DIR/data"; SOCKET_DIR="$LOCAL_STACK_DIR/run"
  mkdir -p "$LOCAL_STACK_DIR"; chmod 755 "$LOCAL_STACK_DIR"
  log "== build '$label' on port $port"
  cluster_start && apply_platform &&
    psql_as supabase_admin -c "select supabase_local.maintain_realtime_partitions()" >/dev/null &&
    "$how" || { log "build '$label' failed"; return 1; }
  schema_snapshot "$work/$label"
  cron_jobs >"$work/$label/cron_jobs.txt"
  # The jobs stop before the seed: a run between seed and dump (the reminder job adds default
  # reminders every minute) would make builds differ by when they ran, not by what they are.
  psql_as supabase_admin -c "update cron.job set active = false" >/dev/null
  seed_db || { log "seeding '$label' failed"; return 1; }
  data_snapshot >"$work/$label/seed_data.txt"
  cluster_destroy
}

build_from_migrations() { push_migrations; }
build_from_schemas() { apply_schemas; }
build_from_history() {
  local tree="$work/history-tree"
  mkdir -p "$tree"
  git -C "$ROOT" archive "$history_rev" supabase/config.toml supabase/migrations | tar -x -C "$tree" || return 1
  log "$(ls "$tree/supabase/migrations" | wc -l) migrations of $history_rev"
  (ROOT="$tree"; push_migrations)
}

labels=(migrations schemas)
build migrations build_from_migrations || exit 1
build schemas build_from_schemas || exit 1
if [ -n "$history_rev" ]; then
  build history build_from_history || exit 1
  labels+=(history)
fi

rc=0
for label in "${labels[@]:1}"; do
  echo "${labels[0]} vs $label:"
  schema_compare "$work/${labels[0]}" "$work/$label" "${labels[0]}" "$label" || rc=1
done
if [ "$rc" = 0 ]; then echo "schema check: identical"; else echo "schema check: DIFFERENT"; fi
exit "$rc"
