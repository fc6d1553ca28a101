#!/usr/bin/env bash
# Installs the Python tools some tests use into .build/pytools, a virtual environment inside this
# checkout (nothing system-wide): qrcode, an independent QR encoder the QR code tests compare with
# module by module, and schemathesis, which checks the running demo against schemas/openapi.yaml
# (and brings jsonschema-rs, which checks the exchange export against its schema).
# Needs python3 with venv (deploy/install-system-deps.sh) and PyPI. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/pytools
mkdir -p .build
# Test processes side by side install once: the first holds the lock, the others then find it done.
exec 9>.build/pytools.lock
flock 9
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import qrcode, schemathesis" 2>/dev/null; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "qrcode==8.2" "schemathesis==4.32.5"
echo "install-test-tools: qrcode and schemathesis in $venv"
