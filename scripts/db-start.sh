#!/usr/bin/env bash
# npm run db:start: start (or reuse) the persistent local database, apply new migrations, seed the
# first time, print its URL and return.
source "$(dirname "$0")/lib.sh"
ensure_deps
cluster_start
prepare_db
echo "Database URL: $(db_url)"
