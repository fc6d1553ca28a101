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
  # /readyz answers without credentials (its status and checks only) once the node serves.
  for _ in $(seq 1 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] && break; sleep 0.1; done
  status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")
  echo "$(basename "$config" .json) http://127.0.0.1:$port $([ "$status" = 200 ] && echo 'serving (log in: xinfang users create --config '"$config"' …)' || echo 'NOT READY')"
done
