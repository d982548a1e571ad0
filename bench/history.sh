#!/usr/bin/env bash
# Traffic history at scale (issue 13): a node on SQLite (the embedded default's store) is started with an empty
# history, stopped, given HISTORY (default 1,000,000) synthetic relayed connections of one tunnel spread over the
# last 30 days (rows and their hourly/daily/monthly roll-ups, written with sqlite3 as the node's recorder would),
# and started again. Measured each time: start → "node up", start → /readyz 200, `spokes audit ls`, `spokes tunnel ls`,
# the REST connection history's first page and a page 999,000 deep. Then the node is restarted with
# traffic.retentionDays 7 and the prune of the older rows is timed, with a `token create` made while it runs.
# Rewrites the history section of bench/README.md. On 127.0.0.1 only; stops what it starts. Not part of the test suite.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
HISTORY=${HISTORY:-1000000}
WORK=$(mktemp -d /tmp/spokes-history.XXXXXX)
PIDS=()

. "$BENCH/lib.sh"

install_missing sqlite3:sqlite3 jq:jq curl:curl
build_release "$ROOT"

P_HTTP=$(free_port); P_HTTPS=$(free_port); P_CLUSTER=$(free_port); P_RANGE=$(free_range 5)
mkdir -p "$WORK/data"
write_config() { # RETENTION_DAYS
  cat >"$WORK/config.json" <<EOF
{"domain":"localhost","dataPath":"$WORK/data","listen":{"http":"127.0.0.1:$P_HTTP","https":"127.0.0.1:$P_HTTPS"},
 "portRange":{"begin":$P_RANGE,"end":$((P_RANGE + 4))},"cluster":{"host":"127.0.0.1","port":$P_CLUSTER},
 "traffic":{"retentionDays":$1}}
EOF
}

# measure LABEL: one row of the results table
ROWS=()
measure() {
  local audit tunnels first deep entries
  audit=$(timed spokes audit ls --json); entries=$(jq length "$WORK/timed.out")
  tunnels=$(timed spokes tunnel ls --json)
  first=$(timed api_page "tunnels/$TUNNEL/connections?offset=0&limit=100")
  TOTAL=$(jq .total "$WORK/page.json")
  local deep_offset=$((TOTAL > 1000 ? TOTAL - 1000 : 0))
  deep=$(timed api_page "tunnels/$TUNNEL/connections?offset=$deep_offset&limit=100")
  local monthly; monthly=$(spokes tunnel ls --json | jq -r --arg t "$TUNNEL" '.[] | select(.id == $t) | .bytesMonthly')
  ROWS+=("| $1 | $TOTAL | $UP_S s | $READY_S s | $audit s ($entries entries) | $tunnels s | $first s | $deep s (offset $deep_offset) | $monthly |")
  log "$1: up $UP_S s, ready $READY_S s, audit ls $audit s, tunnel ls $tunnels s, first page $first s, deep page $deep s, total $TOTAL"
}

write_config 90
log "first start, empty history"
boot
spokes token create --hostname history.example.com >/dev/null
TUNNEL=$(spokes tunnel ls --json | jq -r '.[0].id')
KEY=$(spokes apikey create --scope read --description bench | tail -1)
measure "empty history"
DB_BEFORE=$(du -m "$WORK/data/spokes.db" | cut -f1)
halt

log "writing $HISTORY connections with sqlite3"
t0=$(now)
sqlite3 "$WORK/data/spokes.db" <<SQL
PRAGMA journal_mode=WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $HISTORY - 1)
INSERT INTO spokes_connection (tunnel_id, closed_ms, rule, client, bytes_in, bytes_out, duration_ms, node)
SELECT '$TUNNEL', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) - (i * 2592000000 / $HISTORY),
       'http:history.example.com', '192.0.2.' || (i % 250) || ':' || (1024 + i % 60000), 400 + i % 600, 2000 + i % 9000,
       5 + i % 500, '127.0.0.1:$P_CLUSTER'
FROM n;
INSERT INTO spokes_traffic (tunnel_id, period, start_ms, bytes_in, bytes_out, connections)
SELECT tunnel_id, 'h', closed_ms - closed_ms % 3600000, SUM(bytes_in), SUM(bytes_out), COUNT(*) FROM spokes_connection GROUP BY 1, 3;
INSERT INTO spokes_traffic (tunnel_id, period, start_ms, bytes_in, bytes_out, connections)
SELECT tunnel_id, 'd', closed_ms - closed_ms % 86400000, SUM(bytes_in), SUM(bytes_out), COUNT(*) FROM spokes_connection GROUP BY 1, 3;
INSERT INTO spokes_traffic (tunnel_id, period, start_ms, bytes_in, bytes_out, connections)
SELECT tunnel_id, 'm', CAST((julianday(date(closed_ms / 1000, 'unixepoch', 'start of month')) - 2440587.5) * 86400000 AS INTEGER),
       SUM(bytes_in), SUM(bytes_out), COUNT(*) FROM spokes_connection GROUP BY 1, 3;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
WRITE_S=$(since "$t0")
DB_AFTER=$(du -m "$WORK/data/spokes.db" | cut -f1)
log "written in $WRITE_S s; store $DB_BEFORE → $DB_AFTER MiB"

log "second start, $HISTORY connections"
boot
measure "$HISTORY connections"
halt

log "third start, retention 7 days: the prune"
write_config 7
from=$(lines "$WORK/node.log")
boot
t0=$(now)
CREATE_S=$(timed spokes token create --hostname during-prune.example.com)
wait_log "$WORK/node.log" "rows older than" 600 "$from"
PRUNE_S=$(since "$t0")
PRUNED=$(tail -n "+$from" "$WORK/node.log" | grep -o '[0-9]* rows older than' | head -1 | cut -d' ' -f1)
measure "after the prune (7 days kept)"
halt

RESULTS="$WORK/results.md"
{
  echo
  run_header "$ROOT"
  echo
  echo "| history | connections listed | start → node up | start → /readyz | \`audit ls\` | \`tunnel ls\` | REST first page | REST deep page | bytesMonthly |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Synthetic history: $HISTORY rows written by sqlite3 in $WRITE_S s (store $DB_BEFORE → $DB_AFTER MiB). Prune at"
  echo "\`retentionDays: 7\`: $PRUNED rows deleted, logged ${PRUNE_S} s after the node was up (the first prune runs ~3 s after"
  echo "start, 10,000 rows per statement); a \`token create\` made while it ran took $CREATE_S s."
  echo
} >"$RESULTS"
cat "$RESULTS"
replace_results "$BENCH/README.md" history "$RESULTS"
