#!/usr/bin/env bash
# Installs the S3 emulator the storage tests run against (moto in server mode, from PyPI) into
# a virtualenv under target/emulators/, without touching the machine's Python. Idempotent.
# Prints the path of a python that can run it; the tests read it from SNAPINSPECT_MOTO:
#
#   SNAPINSPECT_MOTO=$(scripts/install-emulators.sh)
#   export SNAPINSPECT_MOTO
#   "$SNAPINSPECT_MOTO" -m moto.server -H 127.0.0.1 -p 5000    # to run it by hand
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/target/emulators
py=$venv/bin/python
spec='moto[server]>=5.0,<6'

if [ -x "$py" ] && "$py" -c 'import moto.server' 2>/dev/null; then
  echo "$py"
  exit 0
fi

python=${PYTHON:-python3}
command -v "$python" >/dev/null || { echo "install-emulators: $python not found" >&2; exit 1; }
mkdir -p "$root/target"
rm -rf "$venv"
if ! "$python" -m venv "$venv" >&2; then
  # Debian's python3 without python3-venv: install it, then try again.
  if command -v apt-get >/dev/null; then
    apt-get -qq install -y python3-venv >&2 || { apt-get -qq update >&2 && apt-get -qq install -y python3-venv >&2; }
    rm -rf "$venv"
    "$python" -m venv "$venv" >&2
  else
    echo "install-emulators: $python -m venv failed" >&2
    exit 1
  fi
fi
"$py" -m pip install -q --disable-pip-version-check "$spec" >&2
"$py" -c 'import moto.server' || { echo "install-emulators: moto.server not importable" >&2; exit 1; }
echo "$py"
