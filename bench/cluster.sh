#!/usr/bin/env bash
# Spokes cluster benchmarks (issue 7). Three nodes on 127.0.0.1/.2/.3 sharing a private PostgreSQL, HAProxy in
# TCP mode on 127.0.0.10 in front (health checks on /readyz), one agent configured with the balancer's address
# (so it keeps legs on two of the three nodes). One run measures:
#   1. bulk TCP through a lease, iperf3 one stream, on a node holding a leg of the tunnel (same node) and on the
#      node holding none (cross-node relay), both directions, with the CPU of every node + the agent;
#   2. HTTP req/s (wrk keep-alive) through the balancer to 3 nodes, then to 1 node (the other two put in
#      maintenance through HAProxy's runtime API), against nginx directly;
#   3. failover: new visitors (a request loop through the balancer, a new connection each) while the node
#      holding the agent's primary leg is killed (SIGKILL) KILLS times and hung (SIGSTOP) FREEZES times; the
#      gap is the longest time without a successful request from 200 ms before the blow until it is back;
#   4. a rolling restart (SIGTERM: drain, then stop; start again) of the three nodes under the same loop.
# and rewrites the cluster section of bench/README.md. Not part of the test suite.
#
# Knobs (environment): DURATION (s per throughput/HTTP test, default 10), KILLS (20), FREEZES (5), KEEP_WORK=1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
DURATION=${DURATION:-10}
KILLS=${KILLS:-20}
FREEZES=${FREEZES:-5}
WORK=$(mktemp -d /tmp/spokes-cluster-bench.XXXXXX)
PIDS=()
. "$BENCH/lib.sh"

install_missing haproxy:/usr/sbin/haproxy wrk:wrk iperf3:iperf3 nginx:nginx jq:jq socat:socat
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || install_missing postgresql:/nonexistent
build_release "$ROOT"

# ---------------------------------------------------------------- PostgreSQL (private, on loopback)
PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
PG_DIR="$WORK/pg"; P_PG=$(free_port)
mkdir -p "$PG_DIR" && chown postgres "$WORK" "$PG_DIR" && chmod 700 "$PG_DIR"
runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR" -A trust -U postgres >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR" -l "$WORK/pg.log" -w \
  -o "-p $P_PG -k $PG_DIR -c listen_addresses=127.0.0.1" start >/dev/null
ON_EXIT+=("runuser -u postgres -- '$PG_BIN/pg_ctl' -D '$PG_DIR' -m immediate stop >/dev/null 2>&1")
PG="Host=127.0.0.1;Port=$P_PG;Username=postgres;Database=postgres"

# ---------------------------------------------------------------- backends
P_NGINX=$(free_port); P_IPERF=$(free_port)
start_nginx "$P_NGINX"
start iperf3 iperf3 -s -B 127.0.0.1 -p "$P_IPERF"
wait_port "$P_NGINX" 30; wait_port "$P_IPERF" 30

# ---------------------------------------------------------------- three nodes
BAL=127.0.0.10
HOSTS=(127.0.0.1 127.0.0.2 127.0.0.3)
P_HTTP=$(free_port); P_HTTPS=$(free_port); P_CLUSTER=$(free_port); P_RANGE=$(free_range 10)
SEEDS=$(printf '"%s:'"$P_CLUSTER"'",' "${HOSTS[@]}"); SEEDS="[${SEEDS%,}]"
DATA="$WORK/data"; mkdir -p "$DATA"
for i in 0 1 2; do
  cat >"$WORK/n$((i + 1)).json" <<EOF
{"domain":"localhost","dataPath":"$DATA","database":{"provider":"postgres","connectionString":"$PG"},
 "listen":{"http":"${HOSTS[i]}:$P_HTTP","https":"${HOSTS[i]}:$P_HTTPS"},
 "portRange":{"begin":$P_RANGE,"end":$((P_RANGE + 9))},"tunOptions":{"maxPorts":5},
 "cluster":{"host":"${HOSTS[i]}","port":$P_CLUSTER,"seeds":$SEEDS,"drainSeconds":10}}
EOF
done
NODE_PID=(); NODE_FROM=()
launch_node() { # INDEX (0-2)
  local name="n$(($1 + 1))"
  NODE_FROM[$1]=$(lines "$WORK/$name.log")
  start "$name" "${SPOKES[@]}" start --config "$WORK/$name.json"
  NODE_PID[$1]=${PIDS[-1]}
}
# await_node INDEX: waits for "node up"; a node that stops before (it could not join within its join timeout)
# is started again, as its supervisor (systemd Restart=always) would; each such restart is counted.
RESTARTS=0
await_node() {
  local name="n$(($1 + 1))" deadline=$((SECONDS + 180))
  until tail -n "+${NODE_FROM[$1]}" "$WORK/$name.log" | grep -q "node up"; do
    ((SECONDS < deadline)) || { log "$name: no 'node up' within 180 s"; tail -20 "$WORK/$name.log" >&2; return 1; }
    if ! kill -0 "${NODE_PID[$1]}" 2>/dev/null || [[ $(awk '{print $3}' "/proc/${NODE_PID[$1]}/stat" 2>/dev/null) == Z ]]; then
      wait "${NODE_PID[$1]}" 2>/dev/null || true
      log "$name stopped before joining ($(tail -n "+${NODE_FROM[$1]}" "$WORK/$name.log" | grep '^spokes:' | tail -1)); starting it again"
      RESTARTS=$((RESTARTS + 1)); sleep 2
      launch_node "$1"
    fi
    sleep 0.2
  done
}
start_node() { launch_node "$1"; await_node "$1"; }
log "starting 3 nodes"
start_node 0
launch_node 1; launch_node 2; await_node 1; await_node 2
spokes() { "${SPOKES[@]}" --config "$WORK/n1.json" "$@"; }

# ---------------------------------------------------------------- HAProxy in TCP mode (as deploy/haproxy)
P_STATS="$WORK/haproxy.sock"
servers() { # PORT|"" : one server line per node, checked on /readyz
  for i in 0 1 2; do
    echo "  server n$((i + 1)) ${HOSTS[i]}${1:+:$1} check port $P_HTTP inter 400ms fastinter 200ms fall 2 rise 2"
  done
}
check='  option httpchk
  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host localhost
  http-check expect status 200'
cat >"$WORK/haproxy.cfg" <<EOF
global
  maxconn 8000
  stats socket $P_STATS mode 600 level admin
defaults
  mode tcp
  timeout connect 1s
  timeout client 120s
  timeout server 120s
  timeout check 400ms
  retries 3
  option redispatch
frontend http
  bind $BAL:$P_HTTP
  default_backend http_nodes
backend http_nodes
$check
$(servers "$P_HTTP")
frontend https
  bind $BAL:$P_HTTPS
  default_backend https_nodes
backend https_nodes
$check
$(servers "$P_HTTPS")
frontend leases
  bind $BAL:$P_RANGE-$((P_RANGE + 9))
  default_backend lease_nodes
backend lease_nodes
$check
$(servers "")
EOF
start haproxy /usr/sbin/haproxy -db -f "$WORK/haproxy.cfg"
haproxy_cmd() { echo "$1" | socat stdio "unix-connect:$P_STATS"; }
servers_up() { # BACKEND: how many of its servers HAProxy has up
  haproxy_cmd "show servers state $1" | awk 'NR > 2 && $6 == 2 { n++ } END { print n + 0 }'
}
deadline=$((SECONDS + 60))
until [[ -S "$P_STATS" && $(servers_up http_nodes) == 3 ]]; do ((SECONDS < deadline)) || { log "haproxy: nodes not up"; exit 1; }; sleep 0.3; done

# ---------------------------------------------------------------- agent
mkdir -p "$WORK/agent"
agent() { "${AGENT[@]}" --config "$WORK/agent/config.json" "$@"; }
spokes registration create --description bench | tail -1 | agent configure --hostname localhost --port "$P_HTTPS" \
  --address "$BAL" --registration - --id bench --ca "$DATA/certs/self-signed.crt" >"$WORK/configure.log" 2>&1
agent http add --domain app.example.com --destination 127.0.0.1 --http "$P_NGINX" >/dev/null
start agent "${AGENT[@]}" --config "$WORK/agent/config.json" start
AGENT_PID=$PID_agent
wait_log "$WORK/agent.log" "synced" 60
P_LEASE=$(agent tcp allocate | grep -oE '[0-9]+' | tail -1)
agent tcp forward --port "$P_LEASE" --destination 127.0.0.1 --dstport "$P_IPERF" >/dev/null
legs() { agent status --json 2>/dev/null | jq -r '.nodes[]?' 2>/dev/null || true; } # primary first
wait_legs() { # the agent holds legs on 2 nodes, the balancer has every node up
  local deadline=$((SECONDS + 90))
  until [[ $(legs | wc -l) -ge 2 && $(servers_up http_nodes) == 3 ]]; do
    ((SECONDS < deadline)) || { log "agent legs: $(legs | tr '\n' ' '); haproxy up: $(servers_up http_nodes)"; return 1; }
    sleep 0.3
  done
}
converged() { # every node up and ready, as the cluster reports it
  [[ $(spokes cluster status --json 2>/dev/null | jq '[.[] | select(.status == "up" and .ready)] | length' 2>/dev/null) == 3 ]]
}
wait_converged() {
  local deadline=$((SECONDS + 120))
  until converged; do ((SECONDS < deadline)) || { log "cluster not converged: $(spokes cluster status 2>&1 | tail -6)"; return 1; }; sleep 1; done
}
node_index() { local host=${1%:*} i; for i in 0 1 2; do if [[ ${HOSTS[i]} == "$host" ]]; then echo "$i"; fi; done; }
wait_legs
curl -sf -o /dev/null -H 'Host: app.example.com' "http://$BAL:$P_HTTP/" || { log "HTTP through the balancer does not work"; exit 1; }
log "cluster up: nodes ${NODE_PID[*]}, agent $AGENT_PID (legs $(legs | tr '\n' ' ')), lease $P_LEASE"

# ---------------------------------------------------------------- CPU of nodes + agent
HZ=$(getconf CLK_TCK)
cluster_ticks() { local t=0; for p in "${NODE_PID[@]}" "$AGENT_PID"; do t=$((t + $(cpu_ticks "$p"))); done; echo $t; }
# cores NAME TICKS0: cores used by the nodes + agent since TICKS0 over DURATION, saved for the report
cores() { awk -v d=$(($(cluster_ticks) - $2)) -v hz="$HZ" -v s="$DURATION" 'BEGIN { printf "%.2f", d / hz / s }' >"$WORK/cores-$1"; }
core() { cat "$WORK/cores-$1"; }

# ---------------------------------------------------------------- 1. same-node vs cross-node relay
mapfile -t LEGS < <(legs)
SAME=$(node_index "${LEGS[0]}")
for i in 0 1 2; do if [[ " ${LEGS[*]} " != *" ${HOSTS[i]}:"* ]]; then CROSS=$i; fi; done
iperf() { # NAME HOST [-R]: Gbit/s
  local name=$1 host=$2 t0; shift 2
  t0=$(cluster_ticks)
  iperf3 -c "$host" -p "$P_LEASE" -t "$DURATION" -J "$@" >"$WORK/iperf-$name.json" || { log "iperf3 $name failed"; echo 0; return; }
  cores "$name" "$t0"
  jq -r '.end.sum_received.bits_per_second / 1e9 | . * 100 | round / 100' "$WORK/iperf-$name.json"
}
log "iperf3: same node ${HOSTS[SAME]}, cross-node ${HOSTS[CROSS]} (${DURATION} s each)"
TP_DIRECT=$(iperf3 -c 127.0.0.1 -p "$P_IPERF" -t "$DURATION" -J | jq -r '.end.sum_received.bits_per_second / 1e9 | . * 100 | round / 100'); sleep 1
TP_SAME=$(iperf same "${HOSTS[SAME]}"); sleep 1
TP_CROSS=$(iperf cross "${HOSTS[CROSS]}"); sleep 1
TP_SAME_R=$(iperf same-r "${HOSTS[SAME]}" -R); sleep 1
TP_CROSS_R=$(iperf cross-r "${HOSTS[CROSS]}" -R); sleep 1
log "iperf3 Gbit/s: direct $TP_DIRECT, same $TP_SAME/$TP_SAME_R, cross $TP_CROSS/$TP_CROSS_R"

# ---------------------------------------------------------------- 2. HTTP through the balancer, 3 nodes vs 1
wrk_rps() { # NAME URL_HOST PORT: "req/s p99"
  local out="$WORK/wrk-$1.txt" t0
  wrk -t2 -c64 -d2s -H 'Host: app.example.com' "http://$2:$3/" >/dev/null 2>&1 || true
  t0=$(cluster_ticks)
  wrk -t2 -c64 -d"${DURATION}s" --latency -H 'Host: app.example.com' "http://$2:$3/" >"$out" 2>&1
  cores "$1" "$t0"
  echo "$(awk '/^Requests\/sec:/ {printf "%d", $2}' "$out") $(awk '$1 == "99%" {print $2}' "$out") $( (grep -cE 'Socket errors|Non-2xx' "$out" || true))"
}
log "wrk (${DURATION} s each)"
read -r RPS_DIRECT P99_DIRECT _ < <(wrk_rps direct 127.0.0.1 "$P_NGINX")
read -r RPS_3 P99_3 ERR_3 < <(wrk_rps three "$BAL" "$P_HTTP")
for i in 0 1 2; do [[ $i == "$SAME" ]] && continue; haproxy_cmd "set server http_nodes/n$((i + 1)) state maint" >/dev/null; done
read -r RPS_1 P99_1 ERR_1 < <(wrk_rps one "$BAL" "$P_HTTP")
for i in 0 1 2; do haproxy_cmd "set server http_nodes/n$((i + 1)) state ready" >/dev/null; done
log "wrk req/s: direct $RPS_DIRECT, 3 nodes $RPS_3, 1 node $RPS_1"
wait_legs

# ---------------------------------------------------------------- 3. failover
VISITS="$WORK/visits.txt"; EVENTS="$WORK/events.txt"; : >"$EVENTS"
wait_converged
start visit "${TOOL[@]}" visit --target "$BAL:$P_HTTP" --domain app.example.com --workers 4 --out "$VISITS"
now_ms() { date +%s%3N; }
# succeeding SECONDS: every visit of the last SECONDS succeeded (and there were some)
succeeding() {
  awk -v since=$(($(now_ms) - $1 * 1000)) '$1 >= since { n++; if ($2 != 1) bad++ } END { exit !(n >= 5 && bad == 0) }' "$VISITS"
}
wait_succeeding() { # SECONDS TIMEOUT_S
  local deadline=$((SECONDS + $2))
  until succeeding "$1"; do ((SECONDS < deadline)) || { log "visitors still failing"; tail -5 "$VISITS" >&2; return 1; }; sleep 0.2; done
}
until [[ -s "$VISITS" ]]; do sleep 0.2; done
wait_succeeding 2 30
blow() { # KIND (kill|freeze) N
  local primary victim at from
  mapfile -t LEGS < <(legs)
  primary=${LEGS[0]}; victim=$(node_index "$primary")
  at=$(now_ms)
  if [[ $1 == kill ]]; then kill -KILL "${NODE_PID[victim]}"; else kill -STOP "${NODE_PID[victim]}"; fi
  sleep 3; wait_succeeding 2 60
  echo "$1 $at $(now_ms) n$((victim + 1))" >>"$EVENTS"
  if [[ $1 == freeze ]]; then
    # Held until the cluster has downed it (failure detector + stable-after), then thawed: it learns it was
    # downed and exits 1, like a node the operator's supervisor then restarts.
    sleep 12
    kill -CONT "${NODE_PID[victim]}"
    if ! timeout 60 tail --pid="${NODE_PID[victim]}" -f /dev/null; then
      log "n$((victim + 1)) was not downed while hung; stopping it"; kill -TERM "${NODE_PID[victim]}"
      timeout 60 tail --pid="${NODE_PID[victim]}" -f /dev/null || true
    fi
  fi
  wait "${NODE_PID[victim]}" 2>/dev/null || true
  at=$(now_ms)
  start_node "$victim"
  wait_legs; wait_converged; wait_succeeding 2 60
  echo "rejoin $at $(now_ms) n$((victim + 1))" >>"$EVENTS"
  log "$1 $2: n$((victim + 1)) (primary $primary) back; legs now $(legs | tr '\n' ' ')"
}
for n in $(seq 1 "$KILLS"); do blow kill "$n"; done
for n in $(seq 1 "$FREEZES"); do blow freeze "$n"; done

# ---------------------------------------------------------------- 4. rolling restart (drain)
ROLL_FROM=$(now_ms)
for i in 0 1 2; do
  at=$(now_ms)
  kill -TERM "${NODE_PID[i]}"
  timeout 60 tail --pid="${NODE_PID[i]}" -f /dev/null || true
  echo "drain $at $(now_ms) n$((i + 1))" >>"$EVENTS"
  start_node "$i"
  wait_legs; wait_converged; wait_succeeding 2 60
done
ROLL_TO=$(now_ms)
echo "rolling $ROLL_FROM $ROLL_TO all" >>"$EVENTS"
kill -TERM "$PID_visit"; timeout 10 tail --pid="$PID_visit" -f /dev/null || true

# ---------------------------------------------------------------- results
python3 - "$VISITS" "$EVENTS" >"$WORK/failover.txt" <<'PY'
import sys
visits = []
for line in open(sys.argv[1]):
    parts = line.split(" ", 2)
    if len(parts) >= 2 and parts[0].isdigit():
        visits.append((int(parts[0]), parts[1].strip() == "1"))
visits.sort()
events = [line.split() for line in open(sys.argv[2]) if line.strip()]
def gap(start, end):
    """Longest time without a successful visit from 200 ms before start until end (as the tests read it)."""
    frm = start - 200
    oks = [t for t, ok in visits if ok and t <= end]
    prev = max([t for t in oks if t <= frm], default=frm)
    longest = 0
    for t in oks:
        if t > frm:
            longest, prev = max(longest, t - prev), t
    return longest
def failed(start, end):
    inside = [ok for t, ok in visits if start <= t <= end]
    return len(inside), inside.count(False)
def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, -(-len(s) * q // 100) - 1))] if s else 0
for kind in ("kill", "freeze", "rejoin", "drain"):
    rows = [e for e in events if e[0] == kind]
    gaps = [gap(int(e[1]), int(e[2])) for e in rows]
    counts = [failed(int(e[1]), int(e[2])) for e in rows]
    print(kind, len(rows), pct(gaps, 50), pct(gaps, 99), max(gaps, default=0), sum(c[0] for c in counts), sum(c[1] for c in counts),
          ",".join(str(g) for g in gaps))
roll = [e for e in events if e[0] == "rolling"]
if roll:
    n, bad = failed(int(roll[0][1]), int(roll[0][2]))
    print("rolling", 1, 0, 0, 0, n, bad, "")
PY
cat "$WORK/failover.txt" >&2
fo() { awk -v k="$1" -v f="$2" '$1 == k { print $f }' "$WORK/failover.txt"; }
gbit_core() { awk -v g="$1" -v c="$2" 'BEGIN { if (g + 0 == 0) print "n/a"; else printf "%.2f", c / g }'; }
us_per_req() { awk -v r="$1" -v c="$2" 'BEGIN { if (r + 0 == 0) print "n/a"; else printf "%.0f", c * 1e6 / r }'; }
s_ms() { awk -v v="$1" 'BEGIN { printf "%.2f", v / 1000 }'; }
R_CROSS=$(ratio "$TP_CROSS" "$TP_SAME"); R_CROSS_R=$(ratio "$TP_CROSS_R" "$TP_SAME_R")

cat >"$WORK/cluster.md" <<EOF
$(run_header "$ROOT")
Three nodes on 127.0.0.1/.2/.3 with one PostgreSQL, HAProxy (TCP mode, /readyz checks every 400 ms, out after
2 failures) on 127.0.0.10, one agent configured with the balancer's address holding legs on two nodes.
"cores" = CPU of the three nodes + the agent during the test, in cores; everything shares 2 cores with the
load generator and the backend.

**Bulk TCP through a lease, iperf3 one stream, ${DURATION} s** (Gbit/s, receiver side; direct loopback: $TP_DIRECT)

| visitor enters on | → | cores | cores per Gbit/s | ← (\`-R\`) | cores | cores per Gbit/s |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
| a node holding a leg (same node) | $TP_SAME | $(core same) | $(gbit_core "$TP_SAME" "$(core same)") | $TP_SAME_R | $(core same-r) | $(gbit_core "$TP_SAME_R" "$(core same-r)") |
| the node holding none (relayed to a peer) | $TP_CROSS | $(core cross) | $(gbit_core "$TP_CROSS" "$(core cross)") | $TP_CROSS_R | $(core cross-r) | $(gbit_core "$TP_CROSS_R" "$(core cross-r)") |
| **cross-node ÷ same-node** | **$R_CROSS** | | | **$R_CROSS_R** | | |

**HTTP through the balancer, wrk -t2 -c64 keep-alive, ${DURATION} s**, nginx serving 1 KiB

| path | requests/s | p99 | cores | CPU µs per request |
| --- | ---: | ---: | ---: | ---: |
| nginx direct | $RPS_DIRECT | $P99_DIRECT | | |
| balancer → 3 nodes (one relays to a peer) | $RPS_3 | $P99_3 | $(core three) | $(us_per_req "$RPS_3" "$(core three)") |
| balancer → 1 node (two in maintenance) | $RPS_1 | $P99_1 | $(core one) | $(us_per_req "$RPS_1" "$(core one)") |
| **3 nodes ÷ 1 node** | **$(ratio "$RPS_3" "$RPS_1")** | | | |

**Node loss, new visitors** (4 workers, a new connection per request through the balancer, 1 s timeout;
gap = longest time without a successful request, from 200 ms before the blow until requests succeed again)

| blow | count | gap p50 s | gap p99 s | gap max s | requests in the windows | failed |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
| SIGKILL of the node holding the agent's primary leg | $(fo kill 2) | $(s_ms "$(fo kill 3)") | $(s_ms "$(fo kill 4)") | $(s_ms "$(fo kill 5)") | $(fo kill 6) | $(fo kill 7) |
| SIGSTOP of the node holding the primary leg | $(fo freeze 2) | $(s_ms "$(fo freeze 3)") | $(s_ms "$(fo freeze 4)") | $(s_ms "$(fo freeze 5)") | $(fo freeze 6) | $(fo freeze 7) |
| the lost node restarting and rejoining | $(fo rejoin 2) | $(s_ms "$(fo rejoin 3)") | $(s_ms "$(fo rejoin 4)") | $(s_ms "$(fo rejoin 5)") | $(fo rejoin 6) | $(fo rejoin 7) |
| rolling restart: SIGTERM (drain $(printf '%s' 10) s max) and start, each node in turn | 3 | | | $(s_ms "$(fo drain 5)") | $(fo rolling 6) | $(fo rolling 7) |

SIGKILL gaps (ms): $(fo kill 8). Nodes that stopped before joining and were started again (their join timeout): $RESTARTS.

**Targets**

| target | measured | |
| --- | --- | --- |
| SIGKILL gap p50 ≤ 1 s | $(s_ms "$(fo kill 3)") s | $(verdict "$(s_ms "$(fo kill 3)")" "<=" 1) |
| SIGKILL gap p99 ≤ 3 s over $(fo kill 2) kills | $(s_ms "$(fo kill 4)") s | $(verdict "$(s_ms "$(fo kill 4)")" "<=" 3) |
| cross-node ≥ 0.7 × same-node throughput | $R_CROSS × / $R_CROSS_R × (-R) | $(verdict "$R_CROSS" ">=" 0.7) / $(verdict "$R_CROSS_R" ">=" 0.7) |
| rolling restart: 0 failed requests | $(fo rolling 7) of $(fo rolling 6) | $(verdict "$(fo rolling 7)" "<=" 0) |
EOF
replace_results "$BENCH/README.md" cluster "$WORK/cluster.md"
cat "$WORK/cluster.md"
log "bench/README.md updated (cluster section)"
