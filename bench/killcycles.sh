#!/usr/bin/env bash
# Durability under kill -9 (issue 10, "Faults"): one node on its embedded SQLite store; each cycle starts it, runs
# `spokes token create` one after another, kills the node with SIGKILL at a random moment between 1 and 3.5 s
# into the writes, and starts it again; every token whose create was acknowledged (exit 0) must be listed after the
# restart. Rewrites the "kill-cycles" section of bench/README.md. Knobs: CYCLES (100), KEEP_WORK=1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
CYCLES=${CYCLES:-100}
WORK=$(mktemp -d /tmp/spokes-bench-kill.XXXXXX)
PIDS=()
. "$BENCH/lib.sh"

build_release "$ROOT"
P_HTTP=$(free_port); P_HTTPS=$(free_port); P_CLUSTER=$(free_port); P_RANGE=$(free_range 3)
mkdir -p "$WORK/data"
cat >"$WORK/config.json" <<JSON
{"domain":"localhost","dataPath":"$WORK/data","listen":{"http":"127.0.0.1:$P_HTTP","https":"127.0.0.1:$P_HTTPS"},
 "portRange":{"begin":$P_RANGE,"end":$((P_RANGE + 2))},"cluster":{"host":"127.0.0.1","port":$P_CLUSTER}}
JSON
spokes() { "${SPOKES[@]}" --config "$WORK/config.json" "$@"; }
: >"$WORK/acked.txt"
missing() { # acknowledged hostnames not in the listing ($WORK/listed.json)
  spokes token ls --json --expand >"$WORK/listed.json"
  python3 -c '
import json, sys
acked = [l.strip() for l in open(sys.argv[1]) if l.strip()]
listed = {t["hostname"] for t in json.load(open(sys.argv[2]))}
print(sum(1 for h in acked if h not in listed))' "$WORK/acked.txt" "$WORK/listed.json"
}
UP_TIMES=()
for cycle in $(seq 1 "$CYCLES"); do
  from=$(lines "$WORK/node.log"); t0=$SECONDS
  start node "${SPOKES[@]}" start --config "$WORK/config.json"
  wait_log "$WORK/node.log" "node up" 120 "$from"
  UP_TIMES+=($((SECONDS - t0)))
  # Everything acknowledged before any kill so far is listed.
  missing=$(missing)
  ((missing == 0)) || log "cycle $cycle: $missing acknowledged tokens missing"
  (
    i=0
    while true; do
      i=$((i + 1))
      # A create in flight when the node dies waits for its caller timeout (50 s): cut after 4 s, it was not acknowledged.
      if timeout 4 "${SPOKES[@]}" --config "$WORK/config.json" token create --hostname "c$cycle-$i.example.com" --json >/dev/null 2>&1; then
        echo "c$cycle-$i.example.com" >>"$WORK/acked.txt"
      else
        break
      fi
    done
  ) &
  WRITER=$!
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 1.0 + 2.5 * r / 32767 }')"
  kill -KILL "$PID_node"
  wait "$WRITER" || true
  log "cycle $cycle: $(wc -l <"$WORK/acked.txt") acknowledged so far, $missing missing; up in ${UP_TIMES[-1]} s"
done
# The last cycle's writes, checked after one more start.
from=$(lines "$WORK/node.log")
start node "${SPOKES[@]}" start --config "$WORK/config.json"
wait_log "$WORK/node.log" "node up" 120 "$from"
LOST=$(missing)
ACKED=$(wc -l <"$WORK/acked.txt")
LISTED=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$WORK/listed.json")
UP_MEDIAN=$(printf '%s\n' "${UP_TIMES[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
{
  run_header "$ROOT"
  echo
  echo "**$CYCLES kill -9 cycles** of one node on SQLite, each killed 1–3.5 s into a run of \`spokes token create\`:"
  echo "$ACKED creates acknowledged, **$LOST of them missing** after the restarts; $LISTED tokens listed at the end (creates"
  echo "cut by the kill may or may not be there: they were never acknowledged). The node was up again in $UP_MEDIAN s (median)."
} >"$WORK/results.md"
cat "$WORK/results.md"
replace_results "$BENCH/README.md" kill-cycles "$WORK/results.md"
((LOST == 0))
