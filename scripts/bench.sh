#!/usr/bin/env bash
# npm run bench: throughput benchmarks against a throwaway cluster (emulation, migrations, seed),
# like scripts/test.sh. Prints each measurement as a ratio to a baseline measured in the same run
# (scripts/bench/run.ts runs every scripts/bench/*.bench.ts). The cluster is removed even on failure.
source "$(dirname "$0")/lib.sh"

ensure_deps

port=${BENCH_DB_PORT:-54380}
while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
export SUPABASE_DB_PORT=$port
export LOCAL_STACK_FAST=1 # throwaway: fsync and synchronous_commit off (scripts/lib.sh, cluster_durability)
# pg_stat_statements (preloaded on the platform too): event.bench.ts prints the statements that took the most time.
export LOCAL_STACK_PRELOAD=pg_stat_statements
export LOCAL_STACK_DIR; LOCAL_STACK_DIR=$(mktemp -d /tmp/live-sessions-bench.XXXXXX)
PGDATA_DIR="$LOCAL_STACK_DIR/data"; SOCKET_DIR="$LOCAL_STACK_DIR/run"
chmod 755 "$LOCAL_STACK_DIR"
trap 'cluster_destroy' EXIT
trap 'exit 130' INT TERM

cluster_start
prepare_db
psql_as supabase_admin -c "create extension if not exists pg_stat_statements with schema extensions" \
  -c "alter system set pg_stat_statements.track = 'all'" -c "select pg_reload_conf()" >/dev/null
export SUPABASE_DB_URL; SUPABASE_DB_URL=$(db_url postgres)
# Superuser, only for fast fixtures (Bench.createUsers with skipSignupTrigger).
export SUPABASE_ADMIN_DB_URL; SUPABASE_ADMIN_DB_URL=$(db_url supabase_admin)

log "deno run scripts/bench/run.ts"
cd "$ROOT/supabase/functions" && deno run --allow-all --config deno.json ../../scripts/bench/run.ts
