#!/usr/bin/env bash
# npm run gen:types: regenerate supabase/functions/_shared/database.types.ts from the local
# database (started and migrated first). `npm test` fails when the committed file drifts.
source "$(dirname "$0")/lib.sh"
ensure_deps
cluster_start
prepare_db
supabase gen types typescript --remote="$(db_url)" --schema public --agent=no \
  > "$ROOT/supabase/functions/_shared/database.types.ts"
log "wrote supabase/functions/_shared/database.types.ts"
