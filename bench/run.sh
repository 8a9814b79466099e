#!/usr/bin/env bash
# The benchmark harness: a throwaway PostgreSQL (default settings) from the machine's binaries, the published
# Exporter and Receiver as separate processes, the load generator and references, one table at the end.
#   bench/run.sh            full run (20 s per shape, 1,000,000 rows for collection)
#   bench/run.sh --quick    smoke run, under two minutes
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(mktemp -d /tmp/partialcollector-bench.XXXXXX)
out="$root/publish"

bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$bin/initdb" ] || { echo "bench: PostgreSQL binaries not found (apt-get install postgresql, or set PG_BIN)" >&2; exit 1; }
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$root/data"
[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$root"
echo "bench: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on port $port (default settings) in $root" >&2
run_pg "$bin/initdb" -D "$root/data" -U postgres --auth=trust -E UTF8 >/dev/null
run_pg "$bin/pg_ctl" -D "$root/data" -o "-p $port -k $root -c listen_addresses=127.0.0.1 -c max_connections=300" -l "$root/postgres.log" -w start >/dev/null
cleanup() { run_pg "$bin/pg_ctl" -D "$root/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$root"; }
trap cleanup EXIT

echo "bench: publishing (Release)" >&2
# For this platform, as a container image is: ReadyToRun, so the services do not spend their first seconds compiling.
rid=$(dotnet --info | awk '/RID:/ {print $2; exit}')
dotnet publish PartialCollector.Exporter -c Release -r "$rid" --self-contained false -o "$out/exporter" -v quiet -nologo >&2
dotnet publish PartialCollector.Receiver -c Release -r "$rid" --self-contained false -o "$out/receiver" -v quiet -nologo >&2
dotnet build bench/PartialCollector.Bench -c Release -v quiet -nologo >&2

# A lean load generator: no thread-pool spinning to take CPU from what it measures.
DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 dotnet bench/PartialCollector.Bench/bin/Release/net10.0/PartialCollector.Bench.dll \
  --connection "Host=127.0.0.1;Port=$port;Username=postgres;Database=bench" \
  --exporter "$out/exporter/PartialCollector.Exporter.dll" \
  --receiver "$out/receiver/PartialCollector.Receiver.dll" \
  "$@"
