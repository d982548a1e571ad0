# Helpers shared by bench/run.sh and bench/cluster.sh (sourced, not run). The caller sets WORK (a temp dir)
# and PIDS=() before sourcing; every process it starts with `start` is stopped on exit.

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# Extra clean-up the caller registers (e.g. stopping PostgreSQL), run before the process groups are ended.
ON_EXIT=()
cleanup() {
  local rc=$?
  set +e
  for hook in "${ON_EXIT[@]}"; do eval "$hook"; done
  # Every process was started with setsid: its pid is its process group; end the group (nginx workers,
  # sshd session children), newest first.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM -- "-${PIDS[i]}" 2>/dev/null; kill -CONT -- "-${PIDS[i]}" 2>/dev/null; done
  for _ in $(seq 1 50); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.2
  done
  for p in "${PIDS[@]}"; do kill -KILL -- "-$p" 2>/dev/null; done
  if [[ "${KEEP_WORK:-0}" == 1 || $rc -ne 0 ]]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CMD... : runs CMD in its own session (pid = process group), output to $WORK/NAME.log (appended)
start() {
  local name=$1; shift
  setsid "$@" >>"$WORK/$name.log" 2>&1 </dev/null &
  PIDS+=($!)
  eval "PID_${name//-/_}=$!"
}

wait_log() { # FILE PATTERN TIMEOUT_S [FROM_LINE]
  local deadline=$((SECONDS + $3)) from=${4:-1}
  until tail -n "+$from" "$1" 2>/dev/null | grep -q -- "$2"; do
    ((SECONDS < deadline)) || { log "timeout waiting for '$2' in $1"; tail -20 "$1" >&2; return 1; }
    sleep 0.2
  done
}
lines() { if [[ -f "$1" ]]; then echo $(($(wc -l <"$1") + 1)); else echo 1; fi; } # FILE: the next line's number

wait_port() { # PORT TIMEOUT_S
  local deadline=$((SECONDS + $2))
  until ss -Hltn "sport = :$1" | grep -q .; do
    ((SECONDS < deadline)) || { log "timeout waiting for port $1"; return 1; }
    sleep 0.2
  done
}

# Ports checked on every address (ss matches the port whatever the address), never handed out twice.
TAKEN=" "
port_free() { [[ "$TAKEN" != *" $1 "* ]] && ! ss -Hatn "sport = :$1" | grep -q .; }
free_port() {
  local p
  while true; do
    p=$((20000 + RANDOM % 30000))
    if port_free "$p"; then TAKEN+="$p "; echo "$p"; return; fi
  done
}
free_range() { # COUNT: first port of COUNT consecutive free ports
  local base ok
  while true; do
    base=$((20000 + RANDOM % 30000)); ok=1
    for ((q = base; q < base + $1; q++)); do port_free "$q" || { ok=0; break; }; done
    if ((ok)); then for ((q = base; q < base + $1; q++)); do TAKEN+="$q "; done; echo "$base"; return; fi
  done
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
tree_ticks() { # PID...: CPU ticks of these processes and all their descendants (sshd session children)
  local pids=" $* " total=0 pid ppid changed=1
  while ((changed)); do
    changed=0
    while read -r pid ppid; do
      if [[ "$pids" == *" $ppid "* && "$pids" != *" $pid "* ]]; then pids+="$pid "; changed=1; fi
    done < <(ps -e -o pid=,ppid=)
  done
  for pid in $pids; do total=$((total + $(cpu_ticks "$pid"))); done
  echo "$total"
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# install_missing PACKAGE:COMMAND... : apt-get installs each package whose command is missing. The packages'
# own services must not start: everything here runs privately on loopback.
install_missing() {
  local need=() pair
  for pair in "$@"; do
    command -v "${pair#*:}" >/dev/null 2>&1 || [[ -x "${pair#*:}" ]] || need+=("${pair%%:*}")
  done
  ((${#need[@]})) || return 0
  log "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y "${need[@]}" >"$WORK/apt.log" 2>&1 \
    || { apt-get update >>"$WORK/apt.log" 2>&1; DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y "${need[@]}" >>"$WORK/apt.log" 2>&1; }
}

build_release() { # ROOT: Spokes and the bench tool, Release
  log "building Release"
  dotnet build -c Release "$1/Spokes.sln" -v q -nologo >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; exit 1; }
  dotnet build -c Release "$1/bench/IdleAgents/IdleAgents.csproj" -v q -nologo >>"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; exit 1; }
  SPOKES=("dotnet" "$1/Spokes.Cli/bin/Release/net10.0/spokes.dll")
  AGENT=("dotnet" "$1/Spokes.Agent/bin/Release/net10.0/spokes-agent.dll")
  TOOL=("dotnet" "$1/bench/IdleAgents/bin/Release/net10.0/idle-agents.dll")
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == ">=") ? (v + 0 >= t) : (v + 0 <= t); print (v == "n/a") ? "?" : (ok ? "met" : "**missed**") }'; }

run_header() { # ROOT: the line that opens a results block
  local cpu runtime
  cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  runtime=$(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/ {v = $2} END {print v}')
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC') — $(nproc) cores, ${cpu}, kernel $(uname -r), .NET SDK $(dotnet --version) (runtime ${runtime}), Release build,"
  echo "commit $(git -C "$1" rev-parse --short HEAD)$(git -C "$1" diff --quiet HEAD -- . ':!bench' 2>/dev/null || echo '+local changes'); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
}

# replace_results README NAME FILE: puts FILE between <!-- NAME:begin --> and <!-- NAME:end --> in README.
replace_results() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys, re
readme, name, results = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
text = open(readme).read()
begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
block = begin + "\n" + results + end
if begin in text:
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
else:
    text += "\n" + block + "\n"
open(readme, "w").write(text)
PY
}

# start_nginx PORT: nginx (1 worker, no access log) serving a 1 KiB index.html from $WORK/www on 127.0.0.1:PORT.
start_nginx() {
  mkdir -p "$WORK/www" "$WORK/nginx-tmp"
  head -c 1024 /dev/zero | tr '\0' 'x' >"$WORK/www/index.html"
  cat >"$WORK/nginx.conf" <<NGINX
user root;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-tmp/body; proxy_temp_path $WORK/nginx-tmp/proxy;
  fastcgi_temp_path $WORK/nginx-tmp/fcgi; uwsgi_temp_path $WORK/nginx-tmp/uwsgi; scgi_temp_path $WORK/nginx-tmp/scgi;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$1; root $WORK/www; }
}
NGINX
  start nginx nginx -c "$WORK/nginx.conf" -g 'daemon off;'
}

# start_spokes HTTP HTTPS CLUSTER RANGE_BEGIN RANGE_SIZE: one node on 127.0.0.1 (domain localhost, data in $WORK/data;
# per-address visitor limits off unless SPOKES_LIMITS gives the "limits" keys: every load generator here is one
# address, 127.0.0.1 — the counters still run;
# NODE = its pid, REG = the registration the agent used) and an agent configured for it in $WORK/agent, not started.
# Defines spokes() and agent() (CLIs).
start_spokes() {
  mkdir -p "$WORK/data" "$WORK/agent"
  local limits='"connectionsPerAddressPerTunnel":0,"connectionsPerAddress":0' # (a default inside ${:-} loses its quotes)
  cat >"$WORK/config.json" <<EOF
{"domain":"localhost","dataPath":"$WORK/data","listen":{"http":"127.0.0.1:$1","https":"127.0.0.1:$2"},
 "portRange":{"begin":$4,"end":$(($4 + $5))},"cluster":{"host":"127.0.0.1","port":$3},
 "tunOptions":{"maxPoolSize":5,"maxPorts":5},
 "limits":{${SPOKES_LIMITS:-$limits}}}
EOF
  start node "${SPOKES[@]}" start --config "$WORK/config.json"
  wait_log "$WORK/node.log" "node up" 120
  NODE=$PID_node
  spokes() { "${SPOKES[@]}" --config "$WORK/config.json" "$@"; }
  agent() { "${AGENT[@]}" --config "$WORK/agent/config.json" "$@"; }
  REG=$(spokes registration create --description bench | tail -1)
  echo "$REG" | agent configure --hostname localhost --port "$2" --address 127.0.0.1 --registration - --id bench \
    --ca "$WORK/data/certs/self-signed.crt" >"$WORK/configure.log" 2>&1
}

# One node of a store-scale bench (history.sh, listings.sh): the config in $WORK/config.json, ports P_HTTP and P_HTTPS,
# a read API key in KEY.
spokes() { "${SPOKES[@]}" --config "$WORK/config.json" "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
timed() { local t; t=$(now); "$@" >"$WORK/timed.out" 2>&1 || { cat "$WORK/timed.out" >&2; return 1; }; since "$t"; }

# boot: starts the node; sets UP_S (start → "node up", within BOOT_WAIT s) and READY_S (start → /readyz 200)
boot() {
  local from t0
  from=$(lines "$WORK/node.log"); t0=$(now)
  start node "${SPOKES[@]}" start --config "$WORK/config.json"
  wait_log "$WORK/node.log" "node up" "${BOOT_WAIT:-180}" "$from"
  UP_S=$(since "$t0")
  until curl -fsS -o /dev/null -H "Host: localhost" "http://127.0.0.1:$P_HTTP/readyz"; do sleep 0.05; done
  READY_S=$(since "$t0")
}
halt() {
  kill -TERM -- "-$PID_node"
  while kill -0 "$PID_node" 2>/dev/null; do sleep 0.2; done
}
api_page() { curl -fsS -k -o "$WORK/page.json" -H "Authorization: Bearer $KEY" "https://localhost:$P_HTTPS/api/v1/$1" --resolve "localhost:$P_HTTPS:127.0.0.1"; }
