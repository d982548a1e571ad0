#!/usr/bin/env bash
# Spokes benchmarks (issue 3). One run measures, on 127.0.0.1 only:
#   1. node memory per idle connected tunnel (1,000 control connections from bench/IdleAgents)
#   2. time to first byte through a fresh stream (echo backend): direct / Spokes TCP lease / ssh -R
#   3. bulk TCP throughput, iperf3 one stream, forward and -R: direct / Spokes TCP lease / ssh -R
#   4. HTTP req/s and latency, wrk keep-alive against nginx: direct / Spokes Host routing / HAProxy / ssh -R
# and rewrites the results section of bench/README.md. Installs its tools with apt-get, builds Release,
# and stops every process it started. Not part of the test suite.
#
# Knobs (environment): DURATION (s, default 10), IDLE_TUNNELS (1000), TTFB_COUNT (200), KEEP_WORK=1 keeps the temp dir,
# SETUP_ONLY=1 starts everything, writes the ports to bench/.setup.env and waits (for profiling by hand).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
DURATION=${DURATION:-10}
IDLE_TUNNELS=${IDLE_TUNNELS:-1000}
TTFB_COUNT=${TTFB_COUNT:-200}
WORK=$(mktemp -d /tmp/spokes-bench.XXXXXX)
PIDS=()

. "$BENCH/lib.sh"

# ---------------------------------------------------------------- tools and build
install_missing iperf3:iperf3 wrk:wrk haproxy:haproxy nginx:nginx openssh-server:/usr/sbin/sshd openssh-client:ssh jq:jq
# Diagnostics tools, if the tool feed is reachable (the memory test then reports GC heap figures and a per-type diff).
dotnet_tool() {
  local path; path=$(command -v "$1" || ls "$HOME/.dotnet/tools/$1" 2>/dev/null || true)
  if [[ -z "$path" ]] && timeout 120 dotnet tool install -g "$1" >/dev/null 2>&1; then path="$HOME/.dotnet/tools/$1"; fi
  echo "$path"
}
COUNTERS=$(dotnet_tool dotnet-counters)
GCDUMP=$(dotnet_tool dotnet-gcdump)

build_release "$ROOT"

# ---------------------------------------------------------------- backends
P_HTTP=$(free_port); P_HTTPS=$(free_port); P_CLUSTER=$(free_port); P_RANGE=$(free_range 21)
P_IPERF=$(free_port); P_NGINX=$(free_port); P_ECHO=$(free_port); P_HAPROXY=$(free_port); P_SSHD=$(free_port)
P_SSH_IPERF=$(free_port); P_SSH_NGINX=$(free_port); P_SSH_ECHO=$(free_port)

start iperf3 iperf3 -s -B 127.0.0.1 -p "$P_IPERF"
start echo "${TOOL[@]}" echo --listen "$P_ECHO"

start_nginx "$P_NGINX"

cat >"$WORK/haproxy.cfg" <<EOF
global
  maxconn 8192
defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:$P_HAPROXY
  default_backend be
backend be
  http-reuse always
  server nginx 127.0.0.1:$P_NGINX
EOF
start haproxy haproxy -db -f "$WORK/haproxy.cfg"

# Private sshd: own host key, a key authorized for this run only.
mkdir -p "$WORK/ssh" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$WORK/ssh/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/ssh/client_key"
cp "$WORK/ssh/client_key.pub" "$WORK/ssh/authorized_keys"
cat >"$WORK/ssh/sshd_config" <<EOF
Port $P_SSHD
ListenAddress 127.0.0.1
HostKey $WORK/ssh/host_key
PidFile $WORK/ssh/sshd.pid
AuthorizedKeysFile $WORK/ssh/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding yes
PrintMotd no
Ciphers aes128-gcm@openssh.com
LogLevel ERROR
EOF
start sshd /usr/sbin/sshd -D -e -f "$WORK/ssh/sshd_config"
for p in "$P_IPERF" "$P_ECHO" "$P_NGINX" "$P_HAPROXY" "$P_SSHD"; do wait_port "$p" 30; done
start ssh ssh -N -T -c aes128-gcm@openssh.com -o Compression=no -o BatchMode=yes -o ExitOnForwardFailure=yes \
  -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -i "$WORK/ssh/client_key" -p "$P_SSHD" \
  -R "$P_SSH_IPERF:127.0.0.1:$P_IPERF" -R "$P_SSH_NGINX:127.0.0.1:$P_NGINX" -R "$P_SSH_ECHO:127.0.0.1:$P_ECHO" root@127.0.0.1
for p in "$P_SSH_IPERF" "$P_SSH_NGINX" "$P_SSH_ECHO"; do wait_port "$p" 30; done
log "backends up: iperf3 $P_IPERF, nginx $P_NGINX, echo $P_ECHO, haproxy $P_HAPROXY, ssh -R $P_SSH_IPERF/$P_SSH_NGINX/$P_SSH_ECHO"

# ---------------------------------------------------------------- Spokes node and agent
log "starting node"
start_spokes "$P_HTTP" "$P_HTTPS" "$P_CLUSTER" "$P_RANGE" 20
agent http add --domain app.example.com --destination 127.0.0.1 --http "$P_NGINX" >/dev/null
start agent "${AGENT[@]}" --config "$WORK/agent/config.json" start
wait_log "$WORK/agent.log" "synced" 60
AGENT_PID=$PID_agent
lease() { # DESTINATION_PORT -> leased port
  local p
  p=$(agent tcp allocate | grep -oE '[0-9]+' | tail -1)
  agent tcp forward --port "$p" --destination 127.0.0.1 --dstport "$1" >/dev/null
  echo "$p"
}
P_SPOKES_IPERF=$(lease "$P_IPERF")
P_SPOKES_ECHO=$(lease "$P_ECHO")
wait_port "$P_SPOKES_IPERF" 30; wait_port "$P_SPOKES_ECHO" 30
curl -sf -o /dev/null -H 'Host: app.example.com' "http://127.0.0.1:$P_HTTP/" || { log "HTTP through Spokes does not work"; exit 1; }
log "spokes up: node pid $NODE (http $P_HTTP, https $P_HTTPS), agent pid $AGENT_PID, leases $P_SPOKES_IPERF $P_SPOKES_ECHO"

if [[ "${SETUP_ONLY:-0}" == 1 ]]; then # for profiling by hand: keep everything up until interrupted
  declare -p NODE AGENT_PID P_HTTP P_HTTPS P_IPERF P_NGINX P_ECHO P_HAPROXY P_SSH_IPERF P_SSH_NGINX P_SSH_ECHO \
    P_SPOKES_IPERF P_SPOKES_ECHO WORK REG | sed 's/^declare -- //' >"$BENCH/.setup.env"
  log "SETUP_ONLY: ports in $BENCH/.setup.env; interrupt to stop"
  sleep infinity & wait $!
fi

# ---------------------------------------------------------------- 1. idle tunnels
gc_heap_kib() { # PID: GC heap after the last collection, all generations (empty without dotnet-counters)
  [[ -n "$COUNTERS" ]] || return 0
  local out="$WORK/counters-$RANDOM.csv"
  timeout 30 "$COUNTERS" collect -p "$1" --counters 'System.Runtime[dotnet.gc.last_collection.heap.size]' \
    --format csv -o "$out" --duration 00:00:00:04 >/dev/null 2>&1 || true
  [[ -s "$out" ]] || return 0
  # Keep the last sample of each generation and sum them.
  awk -F, 'NR > 1 && /heap.size/ { last[$3] = $NF } END { s = 0; for (g in last) s += last[g]; if (s > 0) printf "%d\n", s / 1024 }' "$out"
}
settle() { sleep "${1:-5}"; }
# A heap dump forces a full blocking GC: the heap's composition, then RSS once garbage is gone.
gcdump() { [[ -n "$GCDUMP" ]] && timeout 120 "$GCDUMP" collect -p "$NODE" -o "$WORK/$1.gcdump" >/dev/null 2>&1 \
  && "$GCDUMP" report "$WORK/$1.gcdump" >"$WORK/$1.txt" 2>/dev/null; }

log "idle tunnels: minting $IDLE_TUNNELS auth tokens"
settle 3
RSS0=$(rss_kib "$NODE"); GC0=$(gc_heap_kib "$NODE")
"${TOOL[@]}" mint --port "$P_HTTPS" --ca "$WORK/data/certs/self-signed.crt" --registration "$REG" --count "$IDLE_TUNNELS" \
  --parallel 8 --out "$WORK/keys.txt" >"$WORK/mint.log" 2>&1 || { cat "$WORK/mint.log"; exit 1; }
settle 5
RSS1=$(rss_kib "$NODE"); GC1=$(gc_heap_kib "$NODE")
gcdump minted && { sleep 5; RSS1B=$(rss_kib "$NODE"); GC1B=$(gc_heap_kib "$NODE"); } || true
log "idle tunnels: connecting $IDLE_TUNNELS agents"
start hold "${TOOL[@]}" hold --port "$P_HTTPS" --ca "$WORK/data/certs/self-signed.crt" --keys "$WORK/keys.txt" --parallel 8
wait_log "$WORK/hold.log" "^connected" 600
HOLD_LINE=$(grep '^connected' "$WORK/hold.log")
settle 15
RSS2=$(rss_kib "$NODE"); GC2=$(gc_heap_kib "$NODE")
HOLD_RSS=$(rss_kib "$PID_hold")
gcdump connected && { sleep 5; RSS3=$(rss_kib "$NODE"); GC3=$(gc_heap_kib "$NODE"); } || true
ESTABLISHED=$(ss -Htn state established "sport = :$P_HTTPS" | wc -l)
kill -TERM "$PID_hold"; sleep 3
log "idle tunnels: $HOLD_LINE; node RSS $RSS0 -> $RSS1 (minted) -> $RSS2 KiB; GC ${GC0:-?} -> ${GC1:-?} -> ${GC2:-?} KiB"
settle 10

# ---------------------------------------------------------------- 2. time to first byte
ttfb() { "${TOOL[@]}" ttfb --target "$1" --count "$TTFB_COUNT" | sed -E 's/.*median_us=([0-9]+) p99_us=([0-9]+).*/\1 \2/'; }
log "time to first byte"
read -r TTFB_DIRECT_MED TTFB_DIRECT_P99 < <(ttfb "$P_ECHO")
read -r TTFB_SPOKES_MED TTFB_SPOKES_P99 < <(ttfb "$P_SPOKES_ECHO")
read -r TTFB_SSH_MED TTFB_SSH_P99 < <(ttfb "$P_SSH_ECHO")

# ---------------------------------------------------------------- 3. iperf3
# iperf NAME PORT [-R]: Gbit/s received; also records the proxy's CPU.
# CPU of the proxy under test (percent of one core over the run): node+agent, sshd+ssh or haproxy.
# The measuring functions run in a subshell ($(...)), so the figure goes to a file.
proxy_roots() { case $1 in spokes*) echo "$NODE $AGENT_PID" ;; ssh*) echo "$PID_sshd $PID_ssh" ;; haproxy*) echo "$PID_haproxy" ;; esac; }
cpu_begin() { local r; r=$(proxy_roots "$1"); [[ -z "$r" ]] && return; echo "$(tree_ticks $r) $(cpu_ticks "$NODE") $(cpu_ticks "$AGENT_PID")" >"$WORK/cpu0-$2"; }
cpu_end() { # KIND NAME
  local r t0 n0 a0 hz; r=$(proxy_roots "$1"); [[ -z "$r" ]] && return; hz=$(getconf CLK_TCK)
  read -r t0 n0 a0 <"$WORK/cpu0-$2"
  local t=$((($(tree_ticks $r) - t0) * 100 / (DURATION * hz)))
  if [[ $1 == spokes* ]]; then
    echo "$t (node $((($(cpu_ticks "$NODE") - n0) * 100 / (DURATION * hz))), agent $((($(cpu_ticks "$AGENT_PID") - a0) * 100 / (DURATION * hz))))" >"$WORK/cpu-$2"
  else
    echo "$t" >"$WORK/cpu-$2"
  fi
}
cpu() { cat "$WORK/cpu-$1" 2>/dev/null || echo ""; }
# per_gbit NAME GBPS: core-seconds the proxy used per Gbit moved (its CPU % over the run ÷ 100 ÷ Gbit/s).
per_gbit() { awk -v c="$(cpu "$1" | awk '{print $1}')" -v g="$2" 'BEGIN { if (c == "" || g + 0 == 0) print ""; else printf "%.2f", c / 100 / g }'; }
iperf() {
  local name=$1 port=$2; shift 2
  local out="$WORK/iperf-$name.json"
  cpu_begin "$name" "$name"
  iperf3 -c 127.0.0.1 -p "$port" -t "$DURATION" -J "$@" >"$out" || { log "iperf3 $name failed"; cat "$out" >&2; echo 0; return; }
  cpu_end "$name" "$name"
  jq -r '.end.sum_received.bits_per_second / 1e9 | . * 100 | round / 100' "$out"
}
log "iperf3 (${DURATION} s each)"
IPERF_DIRECT=$(iperf direct "$P_IPERF"); sleep 1
IPERF_SPOKES=$(iperf spokes "$P_SPOKES_IPERF"); sleep 1
IPERF_SSH=$(iperf ssh "$P_SSH_IPERF"); sleep 1
IPERF_DIRECT_R=$(iperf direct-r "$P_IPERF" -R); sleep 1
IPERF_SPOKES_R=$(iperf spokes-r "$P_SPOKES_IPERF" -R); sleep 1
IPERF_SSH_R=$(iperf ssh-r "$P_SSH_IPERF" -R); sleep 1
log "iperf3 Gbit/s: direct $IPERF_DIRECT/$IPERF_DIRECT_R spokes $IPERF_SPOKES/$IPERF_SPOKES_R ssh $IPERF_SSH/$IPERF_SSH_R"
# Four parallel streams through the same lease / forward (one mux connection carries them all on the Spokes side).
IPERF_DIRECT_P4=$(iperf direct-p4 "$P_IPERF" -P 4); sleep 1
IPERF_SPOKES_P4=$(iperf spokes-p4 "$P_SPOKES_IPERF" -P 4); sleep 1
IPERF_SSH_P4=$(iperf ssh-p4 "$P_SSH_IPERF" -P 4); sleep 1
log "iperf3 -P 4 Gbit/s: direct $IPERF_DIRECT_P4 spokes $IPERF_SPOKES_P4 ssh $IPERF_SSH_P4"

# ---------------------------------------------------------------- 4. wrk
to_ms() { # wrk latency (e.g. 1.23ms, 850.00us, 1.02s) -> ms
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
# http NAME PORT [CONNECTIONS]: "req/s p50_ms p99_ms errors"
http() {
  local name=$1 port=$2 connections=${3:-64}
  local out="$WORK/wrk-$name.txt"
  wrk -t2 -c"$connections" -d2s -H 'Host: app.example.com' "http://127.0.0.1:$port/" >/dev/null 2>&1 || true # warm-up
  cpu_begin "$name" "http-$name"
  wrk -t2 -c"$connections" -d"${DURATION}s" --latency -H 'Host: app.example.com' "http://127.0.0.1:$port/" >"$out" 2>&1
  cpu_end "$name" "http-$name"
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ {printf "%d", $2}' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  errors=$( (grep -E 'Socket errors|Non-2xx' "$out" || true) | tr '\n' ' ')
  echo "$rps $p50 $p99 ${errors:-none}"
}
log "wrk (${DURATION} s each)"
read -r HTTP_DIRECT_RPS HTTP_DIRECT_P50 HTTP_DIRECT_P99 HTTP_DIRECT_ERR < <(http direct "$P_NGINX"); sleep 1
read -r HTTP_SPOKES_RPS HTTP_SPOKES_P50 HTTP_SPOKES_P99 HTTP_SPOKES_ERR < <(http spokes "$P_HTTP"); sleep 1
read -r HTTP_HAPROXY_RPS HTTP_HAPROXY_P50 HTTP_HAPROXY_P99 HTTP_HAPROXY_ERR < <(http haproxy "$P_HAPROXY"); sleep 1
read -r HTTP_SSH_RPS HTTP_SSH_P50 HTTP_SSH_P99 HTTP_SSH_ERR < <(http ssh "$P_SSH_NGINX"); sleep 1
read -r HTTP256_SPOKES_RPS HTTP256_SPOKES_P50 HTTP256_SPOKES_P99 HTTP256_SPOKES_ERR < <(http spokes-256 "$P_HTTP" 256); sleep 1
read -r HTTP256_HAPROXY_RPS HTTP256_HAPROXY_P50 HTTP256_HAPROXY_P99 HTTP256_HAPROXY_ERR < <(http haproxy-256 "$P_HAPROXY" 256)
log "wrk req/s: direct $HTTP_DIRECT_RPS spokes $HTTP_SPOKES_RPS haproxy $HTTP_HAPROXY_RPS ssh $HTTP_SSH_RPS"

# ---------------------------------------------------------------- results
kib_per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%.1f", (b - a) / n }'; }
N_OPEN=$(echo "$HOLD_LINE" | grep -oE '^connected [0-9]+' | grep -oE '[0-9]+')
PER_TUNNEL_RSS=$(kib_per "$RSS1" "$RSS2" "$N_OPEN")
PER_TUNNEL_GC=$(kib_per "${GC1:-}" "${GC2:-}" "$N_OPEN")
PER_TUNNEL_ALL=$(kib_per "$RSS0" "$RSS2" "$N_OPEN")
PER_TUNNEL_RSS_GC=$(kib_per "${RSS1B:-}" "${RSS3:-}" "$N_OPEN")
PER_TUNNEL_GC_GC=$(kib_per "${GC1B:-}" "${GC3:-}" "$N_OPEN")
# Per-type growth of the GC heap between the two dumps, per tunnel.
HEAP_DIFF=$(python3 - "$WORK/minted.txt" "$WORK/connected.txt" "$N_OPEN" <<'PY' 2>/dev/null || true
import re, sys
def load(path):
    types = {}
    for line in open(path):
        m = re.match(r"\s*([\d,]+)\s+([\d,]+)\s+(\S.*?)\s*$", line)
        if m:
            # dotnet-gcdump report: average object size, count, type
            size, count = int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))
            total, n = types.get(m.group(3), (0, 0))
            types[m.group(3)] = (total + size * count, n + count)
    return types
a, b, n = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
rows = sorted(((b[t][0] - a.get(t, (0, 0))[0], b[t][1] - a.get(t, (0, 0))[1], t) for t in b), reverse=True)[:15]
print("| type (GC heap growth, top 15) | bytes per tunnel | objects per tunnel |")
print("| --- | ---: | ---: |")
for bytes_, count, t in rows:
    t = re.sub(r"\s*\[[^\]]*\]$", "", t).replace("|", "\\|")
    print(f"| `{t}` | {bytes_ / n:.0f} | {count / n:.1f} |")
PY
)
R_TP_SSH=$(ratio "$IPERF_SPOKES" "$IPERF_SSH"); R_TP_SSH_R=$(ratio "$IPERF_SPOKES_R" "$IPERF_SSH_R")
R_TP_DIR=$(ratio "$IPERF_SPOKES" "$IPERF_DIRECT"); R_TP_DIR_R=$(ratio "$IPERF_SPOKES_R" "$IPERF_DIRECT_R")
R_RPS_HA=$(ratio "$HTTP_SPOKES_RPS" "$HTTP_HAPROXY_RPS"); R_RPS_SSH=$(ratio "$HTTP_SPOKES_RPS" "$HTTP_SSH_RPS")
R_P99_HA=$(ratio "$HTTP_SPOKES_P99" "$HTTP_HAPROXY_P99")
us_ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

cat >"$WORK/results.md" <<EOF
$(run_header "$ROOT")
Everything on 127.0.0.1; each test ${DURATION} s. "proxy CPU" = percent of one core used during the run by the proxy under test
(Spokes: node + agent; \`ssh -R\`: sshd with its session processes + the ssh client; HAProxy: haproxy).

**Bulk TCP, iperf3** (Gbit/s, receiver side; one stream unless marked)

| direction | direct | Spokes lease | \`ssh -R\` aes128-gcm | Spokes ÷ direct | Spokes ÷ ssh | proxy CPU % Spokes | proxy CPU % ssh | core·s/Gbit Spokes | core·s/Gbit ssh |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| client → server | $IPERF_DIRECT | $IPERF_SPOKES | $IPERF_SSH | $R_TP_DIR | $R_TP_SSH | $(cpu spokes) | $(cpu ssh) | $(per_gbit spokes "$IPERF_SPOKES") | $(per_gbit ssh "$IPERF_SSH") |
| server → client (\`-R\`) | $IPERF_DIRECT_R | $IPERF_SPOKES_R | $IPERF_SSH_R | $R_TP_DIR_R | $R_TP_SSH_R | $(cpu spokes-r) | $(cpu ssh-r) | $(per_gbit spokes-r "$IPERF_SPOKES_R") | $(per_gbit ssh-r "$IPERF_SSH_R") |
| client → server, 4 streams (\`-P 4\`) | $IPERF_DIRECT_P4 | $IPERF_SPOKES_P4 | $IPERF_SSH_P4 | $(ratio "$IPERF_SPOKES_P4" "$IPERF_DIRECT_P4") | $(ratio "$IPERF_SPOKES_P4" "$IPERF_SSH_P4") | $(cpu spokes-p4) | $(cpu ssh-p4) | $(per_gbit spokes-p4 "$IPERF_SPOKES_P4") | $(per_gbit ssh-p4 "$IPERF_SSH_P4") |

**HTTP, wrk -t2 -c64 keep-alive (-c256 where marked), --latency**, nginx serving a 1 KiB static file

| path | requests/s | p50 ms | p99 ms | errors | proxy CPU % |
| --- | ---: | ---: | ---: | --- | ---: |
| direct | $HTTP_DIRECT_RPS | $HTTP_DIRECT_P50 | $HTTP_DIRECT_P99 | $HTTP_DIRECT_ERR | |
| Spokes Host routing | $HTTP_SPOKES_RPS | $HTTP_SPOKES_P50 | $HTTP_SPOKES_P99 | $HTTP_SPOKES_ERR | $(cpu http-spokes) |
| HAProxy (mode http) | $HTTP_HAPROXY_RPS | $HTTP_HAPROXY_P50 | $HTTP_HAPROXY_P99 | $HTTP_HAPROXY_ERR | $(cpu http-haproxy) |
| \`ssh -R\` | $HTTP_SSH_RPS | $HTTP_SSH_P50 | $HTTP_SSH_P99 | $HTTP_SSH_ERR | $(cpu http-ssh) |
| Spokes Host routing, **-c256** | $HTTP256_SPOKES_RPS | $HTTP256_SPOKES_P50 | $HTTP256_SPOKES_P99 | $HTTP256_SPOKES_ERR | $(cpu http-spokes-256) |
| HAProxy (mode http), **-c256** | $HTTP256_HAPROXY_RPS | $HTTP256_HAPROXY_P50 | $HTTP256_HAPROXY_P99 | $HTTP256_HAPROXY_ERR | $(cpu http-haproxy-256) |

**Time to first byte through a new connection** ($TTFB_COUNT sequential connections, 1 byte to an echo backend; ms)

| path | median | p99 |
| --- | ---: | ---: |
| direct | $(us_ms "$TTFB_DIRECT_MED") | $(us_ms "$TTFB_DIRECT_P99") |
| Spokes lease (new stream) | $(us_ms "$TTFB_SPOKES_MED") | $(us_ms "$TTFB_SPOKES_P99") |
| \`ssh -R\` (new channel) | $(us_ms "$TTFB_SSH_MED") | $(us_ms "$TTFB_SSH_P99") |

**Node memory, $N_OPEN idle connected tunnels** (bench/IdleAgents; $HOLD_LINE; $ESTABLISHED established TLS connections on the node's port)

| | node RSS KiB | GC heap KiB |
| --- | ---: | ---: |
| before | $RSS0 | ${GC0:-n/a} |
| after minting $IDLE_TUNNELS auth tokens (tunnels exist, not connected) | $RSS1 | ${GC1:-n/a} |
| with $N_OPEN tunnels connected and idle (15 s after) | $RSS2 | ${GC2:-n/a} |
| **per idle tunnel** (connected − minted) | **$PER_TUNNEL_RSS** | $PER_TUNNEL_GC |
| after minting, after a full GC (forced by dotnet-gcdump) | ${RSS1B:-n/a} | ${GC1B:-n/a} |
| connected, after a full GC (forced by dotnet-gcdump) | ${RSS3:-n/a} | ${GC3:-n/a} |
| **per idle tunnel after full GCs** | **$PER_TUNNEL_RSS_GC** | $PER_TUNNEL_GC_GC |
| per tunnel including its token/tunnel state (connected − before) | $PER_TUNNEL_ALL | |

${HEAP_DIFF:+$HEAP_DIFF
}
**Targets**

| target | measured | |
| --- | --- | --- |
| throughput ≥ 1.4 × \`ssh -R\` | $R_TP_SSH × / $R_TP_SSH_R × (-R) | $(verdict "$R_TP_SSH" ">=" 1.4) / $(verdict "$R_TP_SSH_R" ">=" 1.4) |
| throughput ≥ 0.35 × direct | $R_TP_DIR × / $R_TP_DIR_R × (-R) | $(verdict "$R_TP_DIR" ">=" 0.35) / $(verdict "$R_TP_DIR_R" ">=" 0.35) |
| HTTP req/s ≥ 0.8 × HAProxy | $R_RPS_HA × | $(verdict "$R_RPS_HA" ">=" 0.8) |
| HTTP req/s ≥ 1.5 × \`ssh -R\` | $R_RPS_SSH × | $(verdict "$R_RPS_SSH" ">=" 1.5) |
| HTTP p99 ≤ 1.5 × HAProxy | $R_P99_HA × | $(verdict "$R_P99_HA" "<=" 1.5) |
| ≤ 48 KiB node memory per idle tunnel | $PER_TUNNEL_RSS KiB ($PER_TUNNEL_RSS_GC after full GCs) | $(verdict "$PER_TUNNEL_RSS" "<=" 48) ($(verdict "$PER_TUNNEL_RSS_GC" "<=" 48)) |
EOF

replace_results "$BENCH/README.md" results "$WORK/results.md"
cat "$WORK/results.md"
log "bench/README.md updated"
