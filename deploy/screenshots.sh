#!/usr/bin/env bash
# Takes screenshots of the dashboard on the demo hierarchy: the province's landing page, a
# drill-down (a city, a county), the list behind a figure, a case page, an error page, the flags
# and the indicators, and the landing page, a list and a case page at a phone's 390 px.
#   deploy/screenshots.sh [OUT_DIR]      (default .xinfang-screenshots; needs root to install Chromium)
# Installs Chromium and CJK fonts from Debian's packages if missing, builds xinfang, starts the demo
# on ports 8630-8636 in .xinfang-shots-demo/, takes the pictures with headless Chromium, stops the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.xinfang-screenshots}
port=8630
demo_dir=.xinfang-shots-demo

. deploy/browser.sh

swift build --product xinfang
bin=$(swift build --show-bin-path)/xinfang
rm -rf "$demo_dir"
mkdir -p "$out"
out_abs=$(cd "$out" && pwd)
"$bin" demo --dir "$demo_dir" --base-port "$port" >"$out/demo.log" 2>&1 &
demo=$!
trap 'kill -INT $demo 2>/dev/null; wait $demo 2>/dev/null || true' EXIT

echo "waiting for the demo to seed …"
for _ in $(seq 1 240); do
  grep -q "Ctrl-C stops every node" "$out/demo.log" 2>/dev/null && break
  kill -0 $demo 2>/dev/null || { echo "the demo stopped:" >&2; tail -20 "$out/demo.log" >&2; exit 1; }
  sleep 0.5
done
grep -q "Ctrl-C stops every node" "$out/demo.log" || { echo "the demo did not come up within 2 minutes" >&2; exit 1; }

base=http://127.0.0.1:$port
# Every page needs a login: the pages are fetched as the province's leader (the demo's API token)
# and, being self-contained documents (inline CSS and SVG, no script), shot from the saved file.
token=$(sed -n 's/^XF_430000=//p' "$demo_dir/tokens.env")
auth="Authorization: Bearer $token"
case_number=$(curl -sf -H "$auth" "$base/api/v1/cases?limit=1&holder=430102" | sed -n 's/.*"caseNumber":"\([^"]*\)".*/\1/p' | head -1)
# shot NAME URL HEIGHT [WIDTH]: the page as the leader sees it (an error page too).
shot() {
  curl -s -H "$auth" "$2" -o "$out/$1.html"
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="${4:-1366}","$3" \
    --screenshot="$out/$1.png" "file://$out_abs/$1.html" >/dev/null 2>&1
  echo "  $out/$1.png  ← $2"
}
echo "screenshots:"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1366,700 \
  --screenshot="$out/0-login.png" "$base/ui/login" >/dev/null 2>&1
echo "  $out/0-login.png  ← $base/ui/login"
shot 1-province "$base/" 2400
shot 2-city "$base/ui/nodes/430100" 2200
shot 3-county "$base/ui/nodes/430102" 1800
shot 4-list-red "$base/ui/cases?within=430000&light=red&sort=due&order=asc" 1100
shot 5-case "$base/ui/cases/$case_number" 2600
shot 6-error "$base/ui/nowhere" 500
shot 7-flags "$base/ui/flags" 900
shot 8-stats "$base/ui/stats" 1200
shot 9-phone-province "$base/" 1400 390
shot 10-phone-list "$base/ui/cases?within=430000&open=true" 1200 390
shot 11-phone-case "$base/ui/cases/$case_number" 1600 390

# The petitioner's pages (no login) at a phone's width: the form, a case's milestones with the
# evaluation form, the page after rating, and a wrong second factor. The code and the mobile come
# from the demo's SMS sink (outbox/430000-sms.jsonl), as the petitioner would get them.
sms=$(grep '"kind":"lookupCode"' "$demo_dir/outbox/430000-sms.jsonl" | head -1)
code=$(echo "$sms" | sed -n 's/.*"code":"\([^"]*\)".*/\1/p')
last4=$(echo "$sms" | sed -n 's/.*"to":"[0-9]*\([0-9]\{4\}\)".*/\1/p')
lookup() {
  curl -s "$base/lookup" ${3:+--data "$3"} -o "$out/$1.html"
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=390,"$2" \
    --screenshot="$out/$1.png" "file://$out_abs/$1.html" >/dev/null 2>&1
  echo "  $out/$1.png  ← $base/lookup"
}
lookup 12-phone-lookup-form 800
lookup 13-phone-lookup-result 1500 "code=$code&last4=$last4"
curl -s "$base/lookup/evaluate" --data "code=$code&last4=$last4&officeRating=satisfied&unitRating=basicallySatisfied" -o "$out/14-phone-lookup-evaluated.html"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=390,1300 \
  --screenshot="$out/14-phone-lookup-evaluated.png" "file://$out_abs/14-phone-lookup-evaluated.html" >/dev/null 2>&1
echo "  $out/14-phone-lookup-evaluated.png  ← $base/lookup/evaluate"
lookup 15-phone-lookup-wrong 700 "code=$code&last4=0000"
