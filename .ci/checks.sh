#!/usr/bin/env bash
# What reviewers check first, run by .ci/run before the tests:
# - the code is formatted as .swift-format says (swift format lint --strict);
# - a migration that shipped is never edited: each file's SHA-256 is in .ci/migrations.sha256,
#   and a new migration is added to that list in the commit that adds it.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "checks: swift format lint --strict"
swift format lint --strict --recursive Sources Tests Package.swift

echo "checks: shipped migrations unchanged"
(cd Sources/XinfangStore/Migrations && sha256sum --quiet --check ../../../.ci/migrations.sha256)
for file in Sources/XinfangStore/Migrations/Migration*.swift; do
  if ! grep -q " $(basename "$file")\$" .ci/migrations.sha256; then
    echo "checks: $file is not in .ci/migrations.sha256: add its checksum in the commit that adds it" >&2
    exit 1
  fi
done
echo "checks: passed"
