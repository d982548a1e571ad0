#!/usr/bin/env bash
# Runs the whole Spokes test suite on a fresh Debian machine with the .NET 10 SDK:
# installs what the tests need (Debian packages), starts a throwaway PostgreSQL on loopback,
# builds, runs every test, and prints "N passed, N failed" at the end.
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
[ -x /usr/bin/pebble ] || need+=(pebble)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/spokes-test.XXXXXX)
pg_bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
pg_dir="$work/pg"
cleanup() {
  if [ -f "$pg_dir/postmaster.pid" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A throwaway PostgreSQL on a free loopback port, for the cluster tests (HAProxy is started by the tests themselves).
pg_port=""
for p in $(shuf -i 20000-60000 -n 100); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then pg_port=$p; break; fi
done
mkdir -p "$pg_dir" && chown postgres "$work" "$pg_dir" && chmod 700 "$pg_dir"
runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir" -A trust -U postgres >/dev/null
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir" -l "$work/pg.log" -w \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null
export SPOKES_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"

dotnet build Spokes.sln -c Debug -nologo -v q 2>&1 | grep -E "error|Warn|Elapsed" || true
set +e
dotnet test Spokes.Tests/Spokes.Tests.csproj -c Debug --no-build -nologo \
  --logger "console;verbosity=normal" --results-directory "$work/results" 2>&1 | tee "$work/test.log"
status=${PIPESTATUS[0]}
set -e
count() { { grep -oE "^ *$1: +[0-9]+" "$work/test.log" || true; } | awk '{s+=$2} END {print s+0}'; }
passed=$(count Passed)
failed=$(count Failed)
skipped=$(count Skipped)
# The names of failed tests again at the end, where a truncated CI log still shows them.
if [ "$failed" -gt 0 ]; then
  echo "failed tests:"
  grep -E "^ +Failed [A-Za-z]" "$work/test.log" | sed -E 's/^ +/  /' || true
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$passed" -eq 0 ]; then exit 1; fi
exit "$status"
