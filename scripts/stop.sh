#!/usr/bin/env bash
# npm run stop: stop the functions server (if `npm start` left one) and the local database.
source "$(dirname "$0")/lib.sh"
if [ -f "$LOCAL_STACK_DIR/functions.pid" ]; then
  kill "$(cat "$LOCAL_STACK_DIR/functions.pid")" 2>/dev/null || true
  rm -f "$LOCAL_STACK_DIR/functions.pid"
fi
cluster_stop
