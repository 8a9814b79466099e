#!/usr/bin/env bash
# The benchmark harness: the published Exporter and Receiver as separate processes, the load generator and
# references, one table at the end. The bench program starts a throwaway PostgreSQL (default settings) from the
# machine's binaries itself (PartialCollector.LocalPostgres, as the AppHost and the tests do: the newest
# /usr/lib/postgresql/<version>/bin or PG_BIN, run as the postgres user when root) and removes it when it ends.
#   bench/run.sh            full run (20 s per shape, 1,000,000 rows for collection)
#   bench/run.sh --quick    smoke run, under two minutes
#   bench/run.sh --connection "Host=...;Database=bench;..."   against an existing server instead
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(mktemp -d /tmp/partialcollector-bench.XXXXXX)
out="$root/publish"
trap 'rm -rf "$root"' EXIT

echo "bench: publishing (Release)" >&2
# For this platform, as a container image is: ReadyToRun, so the services do not spend their first seconds compiling.
rid=$(dotnet --info | awk '/RID:/ {print $2; exit}')
dotnet publish PartialCollector.Exporter -c Release -r "$rid" --self-contained false -o "$out/exporter" -v quiet -nologo >&2
dotnet publish PartialCollector.Receiver -c Release -r "$rid" --self-contained false -o "$out/receiver" -v quiet -nologo >&2
dotnet build bench/PartialCollector.Bench -c Release -v quiet -nologo >&2

# A lean load generator: no thread-pool spinning to take CPU from what it measures.
DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 dotnet bench/PartialCollector.Bench/bin/Release/net10.0/PartialCollector.Bench.dll \
  --exporter "$out/exporter/PartialCollector.Exporter.dll" \
  --receiver "$out/receiver/PartialCollector.Receiver.dll" \
  "$@"
