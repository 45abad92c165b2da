#!/usr/bin/env bash
# npm run db:reset: drop the local database and build it again: emulation, migrations, seed.
source "$(dirname "$0")/lib.sh"
ensure_deps
cluster_destroy
cluster_start
prepare_db
echo "Database URL: $(db_url)"
