#!/usr/bin/env bash
# One visitor against one tunnel (issue 10, "a tunnel cannot be exhausted by one visitor"): a node with its default
# visitor limits (limits.connectionsPerAddressPerTunnel 256, limits.connectionsPerAddress 1024), one agent with an
# HTTP rule and a leased TCP port, both to nginx's 1 KiB page. Legitimate visitors from 127.0.0.3 (COUNT HTTP
# requests and COUNT requests over the leased port, a new connection each, 5 s allowed each) are measured alone,
# then while 127.0.0.2 tries to hold HOLD connections (half HTTP requests whose answer it never reads, half silent
# connections to the leased port; every connection closed on it is opened again after 1 s).
# Then a sign-in flood (FLOOD threads of wrong passwords, each from a new address and e-mail) against real traffic
# (wrk through the tunnel), alone and during the flood.
# Rewrites the "visitors" section of bench/README.md. Knobs: HOLD (10000), COUNT (300), FLOOD (32), KEEP_WORK=1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
HOLD=${HOLD:-10000}
FLOOD=${FLOOD:-32}
COUNT=${COUNT:-2000}
WORK=$(mktemp -d /tmp/spokes-bench-visitors.XXXXXX)
PIDS=()
. "$BENCH/lib.sh"

install_missing nginx:nginx
ulimit -n "$(ulimit -Hn)"
build_release "$ROOT"
P_HTTP=$(free_port); P_HTTPS=$(free_port); P_CLUSTER=$(free_port); P_RANGE=$(free_range 3); P_NGINX=$(free_port)
start_nginx "$P_NGINX"
wait_port "$P_NGINX" 30
SPOKES_LIMITS='"connectionsPerAddressPerTunnel":256,"connectionsPerAddress":1024' \
  start_spokes "$P_HTTP" "$P_HTTPS" "$P_CLUSTER" "$P_RANGE" 2
agent http add --domain web.example.com --destination 127.0.0.1 --http "$P_NGINX" >/dev/null
start agent "${AGENT[@]}" --config "$WORK/agent/config.json" start
wait_log "$WORK/agent.log" "synced" 60
P_LEASE=$(agent tcp allocate | grep -oE '[0-9]+' | tail -1)
agent tcp forward --port "$P_LEASE" --destination 127.0.0.1 --dstport "$P_NGINX" >/dev/null
curl -sf -o /dev/null -H "Host: web.example.com" "http://127.0.0.1:$P_HTTP/" || { log "the HTTP rule does not answer"; exit 1; }
curl -sf -o /dev/null "http://127.0.0.1:$P_LEASE/" || { log "the leased port does not answer"; exit 1; }

legit() { python3 "$BENCH/visitors.py" legit 127.0.0.3 "$P_HTTP" web.example.com "$P_LEASE" "$COUNT"; }
log "legitimate visitors alone"
ALONE=$(legit)
RSS0=$(rss_kib "$NODE")
log "alone: $ALONE; 127.0.0.2 now tries to hold $HOLD connections"
python3 "$BENCH/visitors.py" attack 127.0.0.2 "$P_HTTP" web.example.com "$P_LEASE" "$HOLD" 600 "$WORK/attack.txt" &
ATTACK=$!
PIDS+=($ATTACK)
sleep 20 # the attacker opens its connections (500 per 0.1 s) and the node refuses beyond its limits
log "attacker: $(tail -1 "$WORK/attack.txt")"
A0=$(tail -1 "$WORK/attack.txt" | awk '{print $3}')
T0=$SECONDS
n0=$(cpu_ticks "$NODE")
UNDER=$(legit)
ELAPSED=$((SECONDS - T0))
NODE_CPU=$((($(cpu_ticks "$NODE") - n0) * 100 / (ELAPSED * $(getconf CLK_TCK))))
LAST=$(tail -1 "$WORK/attack.txt")
HELD=$(awk '{print $2}' <<<"$LAST")
RATE=$((($(awk '{print $3}' <<<"$LAST") - A0) / (ELAPSED > 0 ? ELAPSED : 1)))
RSS1=$(rss_kib "$NODE")
ESTAB=$(ss -Htn state established "( sport = :$P_HTTP or sport = :$P_LEASE )" dst 127.0.0.2 | wc -l)
REFUSALS=$(grep -c "refused\|limit" "$WORK/node.log" || true)
kill "$ATTACK" 2>/dev/null || true
log "under attack: $UNDER (attacker held $HELD, node-side $ESTAB, $RATE attempts/s)"
wait_gone() { for _ in $(seq 1 100); do [[ $(ss -Htn dst 127.0.0.2 | wc -l) -eq 0 ]] && return; sleep 0.2; done; }
wait_gone

# ---------------------------------------------------------------- sign-in flood
install_missing wrk:wrk
echo 'bench admin password 1' | spokes users add --email admin@example.com --password-stdin >/dev/null
traffic() { # SECONDS: "req/s p99" of wrk (1 thread, 16 connections, keep-alive) through the tunnel
  wrk -t1 -c16 -d"$1s" --latency -H "Host: web.example.com" "http://127.0.0.1:$P_HTTP/" >"$WORK/wrk.txt" 2>&1
  echo "$(awk '/^Requests\/sec:/ {printf "%d", $2}' "$WORK/wrk.txt") $(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")"
}
traffic 2 >/dev/null
# Three rounds of real traffic alone, then during a flood; the medians are reported (one 10 s sample on a 2-core
# box swings by a third).
ALONES=(); FLOODS=(); CPUS=(); : >"$WORK/signin-all.txt"
for round in 1 2 3; do
  ALONES+=("$(traffic 8)")
  python3 "$BENCH/visitors.py" signin "$P_HTTPS" localhost "$FLOOD" 12 "$WORK/signin.txt" &
  FLOODER=$!
  sleep 3
  n0=$(cpu_ticks "$NODE")
  FLOODS+=("$(traffic 8)")
  CPUS+=($((($(cpu_ticks "$NODE") - n0) * 100 / (8 * $(getconf CLK_TCK)))))
  wait "$FLOODER" || true
  cat "$WORK/signin.txt" >>"$WORK/signin-all.txt"
  log "round $round: alone ${ALONES[-1]}, during the flood ${FLOODS[-1]} ($(cat "$WORK/signin.txt"))"
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
TRAFFIC_ALONE=$(median "${ALONES[@]}")
TRAFFIC_FLOOD=$(median "${FLOODS[@]}")
FLOOD_CPU=$(median "${CPUS[@]}")
SIGNINS=$(tr ' ' '\n' <"$WORK/signin-all.txt" | awk -F= 'NF == 2 {n[$1] += $2} END {for (k in n) printf "%s=%d ", k, n[k]}')
log "traffic under the flood: $TRAFFIC_FLOOD; sign-in answers: $SIGNINS"

success() { awk -v f="$2" '{ for (i = 1; i <= NF; i++) if ($i == f) { split($(i + 1), a, "/"); printf "%d/%d (%.1f %%)", a[1], a[2], 100 * a[1] / a[2] } }' <<<"$1"; }
lat() { awk -v f="$2" '{ for (i = 1; i <= NF; i++) if ($i == f) printf "%s / %s", $(i + 2), $(i + 3) }' <<<"$1"; }
{
  run_header "$ROOT"
  echo
  echo "**One address against one tunnel**: 127.0.0.2 tries to hold $HOLD connections (half HTTP requests never read, half"
  echo "silent connections to the leased port, each reopened 1 s after the node closes it); legitimate visitors from"
  echo "127.0.0.3 make $COUNT HTTP requests and $COUNT requests over the leased port, a new connection each, 5 s allowed each."
  echo
  echo "| visitors from 127.0.0.3 | HTTP success | HTTP p50 / p99 ms | leased port success | leased p50 / p99 ms |"
  echo "| --- | --- | --- | --- | --- |"
  echo "| alone | $(success "$ALONE" http) | $(lat "$ALONE" http) | $(success "$ALONE" tcp) | $(lat "$ALONE" tcp) |"
  echo "| while 127.0.0.2 holds | $(success "$UNDER" http) | $(lat "$UNDER" http) | $(success "$UNDER" tcp) | $(lat "$UNDER" tcp) |"
  echo
  echo "The attacker held $HELD connections open at the end (the node's side: $ESTAB established from 127.0.0.2) and made"
  echo "$RATE connection attempts per second; node CPU $NODE_CPU % of one core during the measurement; node RSS"
  echo "$((RSS0 / 1024)) MiB before, $((RSS1 / 1024)) MiB under attack; $REFUSALS refusal lines in the node's log."
  echo
  echo "**Sign-in flood**: $FLOOD threads post wrong passwords to the console's sign-in, each try on a new TLS connection"
  echo "from a new source address (127.1.x.y) with a new e-mail, so no throttle counts two tries; real traffic is wrk"
  echo "(1 thread, 16 connections, keep-alive, 8 s) through the tunnel's HTTP rule, alone and during the flood, three"
  echo "rounds each (medians; the rounds: alone ${ALONES[*]% *}, during ${FLOODS[*]% *} — see the log for p99s)."
  echo
  echo "| real traffic | req/s | p99 |"
  echo "| --- | --- | --- |"
  echo "| alone (median) | ${TRAFFIC_ALONE% *} | ${TRAFFIC_ALONE#* } |"
  echo "| during the flood (median) | ${TRAFFIC_FLOOD% *} | ${TRAFFIC_FLOOD#* } |"
  echo
  echo "Real traffic kept $(awk -v a="${TRAFFIC_FLOOD% *}" -v b="${TRAFFIC_ALONE% *}" 'BEGIN { printf "%.0f", 100 * a / b }') % of its rate; node CPU $FLOOD_CPU % of one core during the flood. The sign-in"
  echo "answers of the three floods, counted: $SIGNINS(\`credentials\` = a hash was computed and did not match; \`busy\` = refused"
  echo "because the bounded hashing was full; \`throttled\` = refused before hashing)."
} >"$WORK/results.md"
cat "$WORK/results.md"
replace_results "$BENCH/README.md" visitors "$WORK/results.md"
