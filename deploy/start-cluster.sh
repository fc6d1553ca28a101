#!/usr/bin/env bash
# Starts the example hierarchy (deploy/topology.example.json, 7 nodes on 127.0.0.1:8450-8456)
# from the per-node configurations in deploy/nodes/, without the demo's seeding.
#   deploy/start-cluster.sh          build, start every node in the background, wait until ready
#   deploy/start-cluster.sh stop     stop them (SIGTERM)
# Logs and process ids go to .xinfang-cluster/ at the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
run=.xinfang-cluster
mkdir -p "$run"
if [ "${1:-start}" = stop ]; then
  for pid in "$run"/*.pid; do [ -e "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true; rm -f "$pid"; done
  echo "stopped"; exit 0
fi
swift build
bin=$(swift build --show-bin-path)/xinfang
for config in deploy/nodes/*.json; do
  id=$(basename "$config" .json)
  "$bin" serve --config "$config" --log-level notice >"$run/$id.log" 2>&1 &
  echo $! >"$run/$id.pid"
done
for config in deploy/nodes/*.json; do
  port=$(sed -n 's/.*"listen": *"127.0.0.1:\([0-9]*\)".*/\1/p' "$config")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  echo "$(basename "$config" .json) http://127.0.0.1:$port $(curl -sf "http://127.0.0.1:$port/readyz" || echo 'NOT READY')"
done
