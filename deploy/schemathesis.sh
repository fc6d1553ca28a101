#!/usr/bin/env bash
# Runs schemathesis (from PyPI, into .venv-schemathesis) against schemas/openapi.yaml and a
# running hierarchy: `xinfang demo` in .xinfang-schemathesis/ on free ports, the province and a
# county, as each one's leader (API token from the demo's credentials.json). Passes when no
# response is a 5xx and no node crashes. Usage: deploy/schemathesis.sh [MAX_EXAMPLES] [SEED] [SECONDS]
# (SECONDS: the time budget per node, 300 by default; the phases repeat until it is spent.)
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-100}
seed=${2:-1}
budget=${3:-300}
venv=.venv-schemathesis
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'schemathesis>=4,<5'
fi
swift build --product xinfang
bin=$(swift build --show-bin-path)/xinfang
dir=.xinfang-schemathesis
rm -rf "$dir" && mkdir -p "$dir"
"$bin" demo --dir "$dir/demo" --base-port 0 >"$dir/demo.out" 2>&1 &
demo=$!
trap 'kill -INT $demo 2>/dev/null || true; wait $demo 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do grep -q 'Ctrl-C stops' "$dir/demo.out" 2>/dev/null && break; kill -0 $demo || { cat "$dir/demo.out"; exit 1; }; sleep 0.2; done
status=0
for node in 430000 430102; do
  read -r url token < <(python3 - "$dir/demo/credentials.json" "$node" <<'PY'
import json, sys
for entry in json.load(open(sys.argv[1])):
    if entry["node"] == sys.argv[2]:
        print(entry["url"], entry["leaderToken"])
PY
)
  echo "== schemathesis against $node at $url ($examples examples per operation, seed $seed)"
  # DELETE /api/v1/tokens/{id} is left out: it would revoke the very token this run uses.
  # schemathesis's own exit status also counts errors inside schemathesis (seen: a SystemError in
  # hypothesis while it builds examples); the verdict is what the node answered, read below.
  "$venv/bin/st" run schemas/openapi.yaml --url "$url" -H "Authorization: Bearer $token" \
    --checks not_a_server_error --max-examples "$examples" --seed "$seed" --workers 2 \
    --max-time "$budget" --request-timeout 20 --generation-with-security-parameters false \
    --exclude-path-regex '^/api/v1/tokens/' --report junit,ndjson --report-dir "$dir/report-$node" || true
  # What the node answered, by status: no 5xx, and the token worked (some 2xx).
  if ! python3 - "$dir/report-$node" <<'PY'
import collections, glob, re, sys
codes = collections.Counter()
for path in glob.glob(sys.argv[1] + "/*.ndjson"):
    for line in open(path, encoding="utf-8"):
        codes.update(re.findall(r'"status_code": ?(\d{3})', line))
print("responses by status:", dict(sorted(codes.items())), "total", sum(codes.values()))
server_errors = sum(n for code, n in codes.items() if code.startswith("5"))
ok = sum(n for code, n in codes.items() if code.startswith("2"))
if server_errors or not ok:
    print(f"FAILED: {server_errors} responses were 5xx, {ok} were 2xx")
    sys.exit(1)
PY
  then status=1; fi
  kill -0 $demo || { echo "the demo died"; status=1; }
done
for log in "$dir"/demo/logs/*.log; do
  if grep -q -i 'fatal error\|unhandled error' "$log"; then echo "$log:"; grep -i 'fatal error\|unhandled error' "$log" | head; status=1; fi
done
exit $status
