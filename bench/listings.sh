#!/usr/bin/env bash
# Listings at scale (issue 10): a node on SQLite (the embedded default's store) is given COUNT (default 100,000)
# auth tokens, each with its tunnel — journal events written with sqlite3 exactly as the entities persist them
# (`ev.key.created` + `ev.tun.created`, tag `spokes`), all carrying the sealed value of one real token — then started.
# Measured: start → "node up" and → /readyz (the catalog replays 2 × COUNT events), `spokes token ls`, `token ls --json`,
# `tunnel ls --json`, `audit ls --json` (wall time and entries listed), and REST pages of tokens and tunnels at the
# end of the list. Rewrites the listings section of bench/README.md. On 127.0.0.1 only; stops what it starts.
# Not part of the test suite.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
COUNT=${COUNT:-100000}
WORK=$(mktemp -d /tmp/spokes-listings.XXXXXX)
PIDS=()

. "$BENCH/lib.sh"

install_missing sqlite3:sqlite3 jq:jq curl:curl
build_release "$ROOT"

P_HTTP=$(free_port); P_HTTPS=$(free_port); P_CLUSTER=$(free_port); P_RANGE=$(free_range 5)
mkdir -p "$WORK/data"
cat >"$WORK/config.json" <<JSON
{"domain":"localhost","dataPath":"$WORK/data","listen":{"http":"127.0.0.1:$P_HTTP","https":"127.0.0.1:$P_HTTPS"},
 "portRange":{"begin":$P_RANGE,"end":$((P_RANGE + 4))},"cluster":{"host":"127.0.0.1","port":$P_CLUSTER}}
JSON
BOOT_WAIT=600

log "first start: one real token and a read API key"
boot
spokes token create --hostname real.example.com >/dev/null
KEY=$(spokes apikey create --scope read --description bench | tail -1)
halt

log "writing $COUNT tokens and tunnels as journal events with sqlite3"
t0=$(now)
sqlite3 "$WORK/data/spokes.db" <<SQL
PRAGMA journal_mode=WAL;
BEGIN;
CREATE TEMP TABLE real AS SELECT json_extract(CAST(message AS TEXT), '$.sealedValue') AS sealed, writer_uuid, created
  FROM journal WHERE manifest = 'ev.key.created' LIMIT 1;
CREATE TEMP TABLE n AS WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < $COUNT - 1) SELECT i FROM c;
INSERT INTO journal (created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid)
SELECT real.created + i * 2, 0, 'authtoken-' || printf('b%031x', i), 1,
       CAST(json_object('id', printf('b%031x', i), 'sealedValue', real.sealed, 'hostname', 'bulk' || i || '.example.com',
         'userId', NULL, 'userName', NULL, 'tunnelId', printf('c%031x', i), 'at', strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'),
         'by', 'cli') AS BLOB), 'ev.key.created', 4711, real.writer_uuid
FROM n, real;
INSERT INTO journal (created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid)
SELECT real.created + i * 2 + 1, 0, 'tunnel-' || printf('c%031x', i), 1,
       CAST(json_object('id', printf('c%031x', i), 'tokenId', printf('b%031x', i), 'userId', NULL, 'userName', NULL,
         'hostname', 'bulk' || i || '.example.com', 'at', strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), 'by', 'cli') AS BLOB),
       'ev.tun.created', 4711, real.writer_uuid
FROM n, real;
INSERT INTO tags (ordering_id, tag, sequence_nr, persistence_id)
SELECT ordering, 'spokes', 1, persistence_id FROM journal WHERE ordering NOT IN (SELECT ordering_id FROM tags);
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
WRITE_S=$(since "$t0")
DB_MIB=$(du -m "$WORK/data/spokes.db" | cut -f1)
log "written in $WRITE_S s; store $DB_MIB MiB"

log "second start: $COUNT tokens and tunnels"
boot
ROWS=()
row() { ROWS+=("| $1 | $2 s | $3 |"); log "$1: $2 s, $3"; }
s=$(timed spokes token ls); row '`token ls` (table)' "$s" "$(wc -l <"$WORK/timed.out") lines"
s=$(timed spokes token ls --json); row '`token ls --json`' "$s" "$(jq length "$WORK/timed.out") tokens"
s=$(timed spokes tunnel ls --json); row '`tunnel ls --json`' "$s" "$(jq length "$WORK/timed.out") tunnels"
s=$(timed spokes audit ls --json); row '`audit ls --json`' "$s" "$(jq length "$WORK/timed.out") entries"
s=$(timed api_page "tokens?offset=$((COUNT - 1000))&limit=1000"); row "REST \`/tokens?offset=$((COUNT - 1000))&limit=1000\`" "$s" "$(jq '.items | length' "$WORK/page.json") of $(jq .total "$WORK/page.json")"
s=$(timed api_page "tunnels?offset=$((COUNT - 1000))&limit=1000"); row "REST \`/tunnels?offset=$((COUNT - 1000))&limit=1000\`" "$s" "$(jq '.items | length' "$WORK/page.json") of $(jq .total "$WORK/page.json")"
RSS_MIB=$(awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$(pgrep -f -n "spokes.dll start --config $WORK/config.json")/status")
halt

RESULTS="$WORK/results.md"
{
  echo
  run_header "$ROOT"
  echo
  echo "$COUNT tokens with their tunnels ($((2 * COUNT)) journal events, written by sqlite3 in $WRITE_S s; store $DB_MIB MiB):"
  echo "start → node up $UP_S s, → /readyz $READY_S s (the catalog replays every event); node RSS after the listings $RSS_MIB MiB."
  echo
  echo "| listing | wall time | listed |"
  echo "| --- | --- | --- |"
  printf '%s\n' "${ROWS[@]}"
  echo
} >"$RESULTS"
cat "$RESULTS"
replace_results "$BENCH/README.md" listings "$RESULTS"
