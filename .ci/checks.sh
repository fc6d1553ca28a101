#!/usr/bin/env bash
# What reviewers check first, run by .ci/run before the tests:
# - the code is formatted as .swift-format says (swift format lint --strict);
# - a migration that shipped is never edited: each file's SHA-256 is in .ci/migrations.sha256
#   (SQLite) or .ci/postgres-migrations.sha256 (PostgreSQL), and a new migration is added to its
#   list in the commit that adds it;
# - nothing in Sources/ imports FoundationNetworking: the server links no URLSession and no
#   libcurl (its clients are `HTTPExchange` and `PeerHTTPClient`, on AsyncHTTPClient);
# - no unstructured task (`Task {`, `Task.detached`) in Sources/: every task has a parent that
#   waits for it or cancels it;
# - no file over 600 lines and no function over 80 in Sources/ (.ci/sizes.py).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "checks: swift format lint --strict"
swift format lint --strict --recursive Sources Tests Package.swift

echo "checks: shipped migrations unchanged"
for pair in "XinfangStore:migrations.sha256" "XinfangPostgres:postgres-migrations.sha256"; do
  folder="Sources/${pair%%:*}/Migrations"
  list=".ci/${pair##*:}"
  (cd "$folder" && sha256sum --quiet --check "../../../$list")
  for file in "$folder"/*Migration*.swift; do
    if ! grep -q " $(basename "$file")\$" "$list"; then
      echo "checks: $file is not in $list: add its checksum in the commit that adds it" >&2
      exit 1
    fi
  done
done
echo "checks: no FoundationNetworking in Sources/"
networking=$(grep -rl "import FoundationNetworking" Sources || true)
if [ -n "$networking" ]; then
  echo "checks: FoundationNetworking named in $networking (the server links no URLSession nor libcurl)" >&2
  exit 1
fi

echo "checks: no unstructured tasks in Sources/"
if grep -rnE "(^|[^A-Za-z.])Task(\.detached)? *\{" Sources; then
  echo "checks: an unstructured Task in Sources/ (use a task group or async let)" >&2
  exit 1
fi

echo "checks: sizes of files and functions"
python3 .ci/sizes.py

echo "checks: passed"
