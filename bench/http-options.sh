#!/usr/bin/env bash
# The cost of the agent's own HTTP stack (issue 8): wrk keep-alive (-t2 -c64, --latency) against nginx's 1 KiB
# page through one node and one agent on 127.0.0.1, for four rules on the same nginx:
#   raw          a plain rule: bytes relayed, no HTTP parsing on the agent
#   host-header  --host-header: Kestrel + YARP on the agent
#   basic-auth   --basic-user/--basic-pass: the same plus the (remembered) credential check on every request
#   webroot      --webroot: the agent serves the same 1 KiB file itself (no nginx)
# plus nginx directly, and CPU of node + agent. Rewrites the "http-options" section of bench/README.md.
# Knobs: DURATION (s, default 10), KEEP_WORK=1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
DURATION=${DURATION:-10}
WORK=$(mktemp -d /tmp/spokes-bench-opt.XXXXXX)
PIDS=()
. "$BENCH/lib.sh"

install_missing wrk:wrk nginx:nginx
build_release "$ROOT"
P_HTTP=$(free_port); P_HTTPS=$(free_port); P_CLUSTER=$(free_port); P_RANGE=$(free_range 3); P_NGINX=$(free_port)
start_nginx "$P_NGINX"
wait_port "$P_NGINX" 30

start_spokes "$P_HTTP" "$P_HTTPS" "$P_CLUSTER" "$P_RANGE" 2
agent http add --domain raw.example.com --destination 127.0.0.1 --http "$P_NGINX" >/dev/null
agent http add --domain host-header.example.com --destination 127.0.0.1 --http "$P_NGINX" --host-header nginx.local >/dev/null
echo 'bench password 1' | agent http add --domain basic-auth.example.com --destination 127.0.0.1 --http "$P_NGINX" \
  --basic-user bench --basic-pass - >/dev/null
agent http add --domain webroot.example.com --destination 127.0.0.1 --webroot "$WORK/www" >/dev/null
start agent "${AGENT[@]}" --config "$WORK/agent/config.json" start
wait_log "$WORK/agent.log" "synced" 60
AGENT_PID=$PID_agent
AUTH="Authorization: Basic $(printf 'bench:bench password 1' | base64)"
for d in raw host-header webroot; do
  curl -sf -o /dev/null -H "Host: $d.example.com" "http://127.0.0.1:$P_HTTP/" || { log "$d does not answer"; exit 1; }
done
curl -sf -o /dev/null -H "Host: basic-auth.example.com" -H "$AUTH" "http://127.0.0.1:$P_HTTP/" || { log "basic-auth does not answer"; exit 1; }

to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }
hz=$(getconf CLK_TCK)
# run NAME PORT HOST [HEADER]: one table row
run() {
  local name=$1 port=$2 host=$3 extra=${4:-X-Bench: 1} out="$WORK/wrk-$1.txt"
  wrk -t2 -c64 -d2s -H "Host: $host" -H "$extra" "http://127.0.0.1:$port/" >/dev/null 2>&1 || true
  local n0 a0; n0=$(cpu_ticks "$NODE"); a0=$(cpu_ticks "$AGENT_PID")
  wrk -t2 -c64 -d"${DURATION}s" --latency -H "Host: $host" -H "$extra" "http://127.0.0.1:$port/" >"$out" 2>&1
  local node=$((($(cpu_ticks "$NODE") - n0) * 100 / (DURATION * hz))) agentc=$((($(cpu_ticks "$AGENT_PID") - a0) * 100 / (DURATION * hz)))
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ {printf "%d", $2}' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")"); p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  errors=$( (grep -E 'Socket errors|Non-2xx' "$out" || true) | tr '\n' ' ')
  local per; per=$(awk -v c=$((node + agentc)) -v r="$rps" 'BEGIN { if (r + 0 == 0) print "n/a"; else printf "%.1f", c * 10000 / r }')
  if [[ "$name" == direct ]]; then per="-"; node="-"; agentc="-"; fi
  echo "| $name | $rps | $p50 | $p99 | ${errors:-none} | $node / $agentc | $per |"
  log "$name: $rps req/s"
}
{
  run_header "$ROOT"
  echo
  echo "**Agent HTTP stack, wrk -t2 -c64 -d${DURATION}s keep-alive, --latency**, nginx's 1 KiB page (one node, one agent)"
  echo
  echo "| rule | req/s | p50 ms | p99 ms | errors | CPU % node / agent | node+agent CPU µs per request |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  run direct "$P_NGINX" localhost; sleep 1
  run raw "$P_HTTP" raw.example.com; sleep 1
  run host-header "$P_HTTP" host-header.example.com; sleep 1
  run basic-auth "$P_HTTP" basic-auth.example.com "$AUTH"; sleep 1
  run webroot "$P_HTTP" webroot.example.com
} >"$WORK/results.md"
cat "$WORK/results.md"
replace_results "$BENCH/README.md" http-options "$WORK/results.md"
log "bench/README.md updated"
