#!/usr/bin/env bash
# Renders every kind of written notice (文书) for sample cases taken through their whole life on
# the simulated hierarchy (`xinfang notices samples`), takes a screenshot of each at A4 width with
# headless Chromium and prints them to PDF (A4, CJK fonts embedded by Chromium's print path).
#   deploy/notices.sh [OUT_DIR] [TEMPLATES_DIR]   (default .xinfang-notices; needs root to install Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.xinfang-notices}
templates=${2:-}

. deploy/browser.sh

swift build --product xinfang
bin=$(swift build --show-bin-path)/xinfang
rm -rf "$out"
mkdir -p "$out"
out_abs=$(cd "$out" && pwd)
"$bin" notices samples --out "$out" ${templates:+--templates "$templates"}
for page in "$out_abs"/*.html; do
  name=$(basename "$page" .html)
  # 794 × 1123 CSS pixels is A4 at 96 dpi.
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=860,1190 \
    --screenshot="$out_abs/$name.png" "file://$page" >/dev/null 2>&1
  "$browser" --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
    --print-to-pdf="$out_abs/$name.pdf" "file://$page" >/dev/null 2>&1
  echo "  $out/$name.png  $out/$name.pdf"
done
