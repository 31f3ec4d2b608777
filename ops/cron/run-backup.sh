#!/usr/bin/env bash
# Runs `eslamed backup` inside the app container; exits with its status and logs one line either way.
set -uo pipefail
cd "$(dirname "$0")/../.."
log=/var/log/eslamed-backup.log
started=$(date -u +%FT%TZ)
docker compose -f ops/docker-compose.yml exec -T app eslamed backup >>"$log" 2>&1
status=$?
if [ "$status" -eq 0 ]; then
  logger -t eslamed-backup "backup started $started succeeded"
else
  logger -p user.err -t eslamed-backup "backup started $started FAILED with exit $status; see $log"
  echo "eslamed backup FAILED (exit $status), see $log" >&2
fi
exit "$status"
