#!/usr/bin/env bash
# The failover benchmark: for each run, a fresh pg_auto_failover formation from the machine's binaries (a monitor,
# a primary and a synchronous standby, on 127.0.0.1) with the monitor settings docs/deploy.md recommends, the
# published Exporter and Receiver as separate processes against the multi-host connection string
# (Target Session Attributes=primary;Host Recheck Seconds=1), 16 OTLP clients (8 gRPC, 8 HTTP); the primary
# node's process tree (its pg_autoctl keeper, postgres supervisor and postgres) is killed with SIGKILL. One table
# row per run: outage (crash to the first acknowledgement of a request sent after it), requests refused,
# acknowledged heartbeats lost (must be 0), duplicates delivered by the Receiver.
#   bench/failover.sh                      3 runs with the recommended settings
#   bench/failover.sh --runs 5             more runs
#   bench/failover.sh --defaults           pg_auto_failover's default timeouts and Npgsql's Host Recheck Seconds (10)
# Needs pg_autoctl and the pgautofailover extension (Debian: apt-get install postgresql-15-auto-failover).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3
defaults=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --defaults) defaults=1; shift ;;
    *) echo "failover: unknown option $1" >&2; exit 2 ;;
  esac
done

bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$bin/initdb" ] || { echo "failover: PostgreSQL binaries not found (apt-get install postgresql, or set PG_BIN)" >&2; exit 1; }
command -v pg_autoctl >/dev/null || { echo "failover: pg_autoctl not found (apt-get install postgresql-$(basename "$(dirname "$bin")")-auto-failover)" >&2; exit 1; }
root=$(mktemp -d /tmp/partialcollector-failover.XXXXXX)
chmod 755 "$root"   # the postgres user keeps its clusters below it
out="$root/publish"
as_pg() { if [ "$(id -u)" = 0 ]; then setpriv --reuid postgres --regid postgres --init-groups -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
# Every process of a pg_autoctl tree we started, by pid (no matching by name: other clusters may run here).
tree() { echo "$1"; for c in $(pgrep -P "$1" || true); do tree "$c"; done; }
teardown() { for p in "${pids[@]}"; do kill -9 $(tree "$p") 2>/dev/null || true; done; pids=(); }
cleanup() { teardown; rm -rf "$root"; }
trap cleanup EXIT

echo "failover: publishing (Release)" >&2
rid=$(dotnet --info | awk '/RID:/ {print $2; exit}')
dotnet publish PartialCollector.Exporter -c Release -r "$rid" --self-contained false -o "$out/exporter" -v quiet -nologo >&2
dotnet publish PartialCollector.Receiver -c Release -r "$rid" --self-contained false -o "$out/receiver" -v quiet -nologo >&2
dotnet build bench/PartialCollector.Bench -c Release -v quiet -nologo >&2

if [ "$defaults" = 1 ]; then recheck=10; settings="pg_auto_failover defaults, Host Recheck Seconds=10"; else recheck=1; settings="recommended (docs/deploy.md section 8), Host Recheck Seconds=1"; fi
echo "failover: $runs runs, $settings" >&2
echo "| run | outage s | promoted after s | requests refused | other answers | acknowledged | acknowledged lost | spans delivered | delivered twice | due during the outage, delivered |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
status=0
for run in $(seq 1 "$runs"); do
  dir="$root/run$run"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  export XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/share" XDG_RUNTIME_DIR="$dir/run"
  mport=$(free_port); aport=$(free_port); bport=$(free_port)
  as_pg pg_autoctl create monitor --pgdata "$dir/monitor" --pgport "$mport" --hostname 127.0.0.1 --auth trust --no-ssl --pgctl "$bin/pg_ctl" --run >"$dir/monitor.log" 2>&1 &
  pids+=($!); disown $!
  monitor="Host=127.0.0.1;Port=$mport;Username=autoctl_node;Database=pg_auto_failover;Pooling=false"
  q() { as_pg "$bin/psql" -h 127.0.0.1 -p "$mport" -U "$1" -d pg_auto_failover -Atqc "$2" 2>/dev/null; }
  for _ in $(seq 1 600); do [ "$(q autoctl_node 'select count(*) from pgautofailover.formation' || true)" = 1 ] && break; sleep 0.2; done
  if [ "$defaults" = 0 ]; then
    for s in health_check_period=1000 health_check_timeout=1000 health_check_max_retries=1 health_check_retry_delay=500 node_considered_unhealthy_timeout=3000 primary_demote_timeout=5000; do
      q postgres "alter system set pgautofailover.${s%%=*} = ${s#*=}" >/dev/null
    done
    q postgres "select pg_reload_conf()" >/dev/null
  fi
  uri="postgres://autoctl_node@127.0.0.1:$mport/pg_auto_failover?sslmode=disable"
  nodes=()
  for n in a b; do
    port=$([ $n = a ] && echo "$aport" || echo "$bport")
    as_pg pg_autoctl create postgres --pgdata "$dir/node_$n" --pgport "$port" --pghost 127.0.0.1 --listen 127.0.0.1 --hostname 127.0.0.1 \
      --name "node_$n" --monitor "$uri" --auth trust --no-ssl --pgctl "$bin/pg_ctl" --run >"$dir/node_$n.log" 2>&1 &
    pids+=($!); disown $!
    nodes+=(--node "node_$n=$!")
  done
  for _ in $(seq 1 900); do
    [ "$(q autoctl_node "select string_agg(reportedstate || '/' || goalstate, ' ' order by reportedstate) from pgautofailover.node" || true)" = "primary/primary secondary/secondary" ] && break
    sleep 0.2
  done
  # A primary cut off from the monitor and the standby demotes itself before the monitor's demote timeout.
  if [ "$defaults" = 0 ]; then
    for n in a b; do as_pg pg_autoctl config set --pgdata "$dir/node_$n" timeout.network_partition_timeout 3 >/dev/null; done
  fi
  label="$run"; [ "$defaults" = 1 ] && label="$run (defaults)"
  DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 dotnet bench/PartialCollector.Bench/bin/Release/net10.0/PartialCollector.Bench.dll --failover \
    --connection "Host=127.0.0.1:$aport,127.0.0.1:$bport;Username=postgres;Database=bench;Target Session Attributes=primary;Host Recheck Seconds=$recheck" \
    --monitor "$monitor" "${nodes[@]}" --label "$label" \
    --exporter "$out/exporter/PartialCollector.Exporter.dll" --receiver "$out/receiver/PartialCollector.Receiver.dll" || status=1
  teardown
done
exit $status
