#!/usr/bin/env bash
# Installs the system libraries xinfang builds against, python3 with venv (.ci/sizes.py, the TOTP
# and tour tests, and deploy/install-test-tools.sh), curl (the README tour test) and PostgreSQL
# (the PostgreSQL backend's tests start throwaway clusters with deploy/postgres.sh) and gdb (CI's
# watchdog prints a hung test run's backtraces, .ci/watchdog.sh), if they are missing
# (Debian/Ubuntu, as root).
# Safe to run again: it does nothing when everything is present.
set -euo pipefail
missing=()
for pkg in libsqlite3-dev python3 python3-venv curl postgresql gdb; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
