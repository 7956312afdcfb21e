#!/usr/bin/env bash
# Starts and stops the services the tests need, on 127.0.0.1 only, sending nothing off the
# machine: Azurite (Azure Blob Storage emulator) from npm, and Debian's Chromium for the report
# tests, driven by playwright-core from npm. Also installs compliance-trestle from PyPI (in a
# virtual environment of its own) to validate the OSCAL exports. Sourced by ci/test.
#
#   start_services   installs what is missing, starts it, exports its address
#   stop_services    stops what start_services started

BASELINE_TOOLS="${BASELINE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/baseline-tools}"
AZURITE_VERSION=3.35.0
STORAGE_BLOB_VERSION=12.28.0
PLAYWRIGHT_CORE_VERSION=1.64.1
TRESTLE_VERSION=5.2.0
SERVICE_PIDS=()
SERVICE_DIRS=()

install_node_tools() {
  if [ -x "$BASELINE_TOOLS/node_modules/.bin/azurite-blob" ] && [ -d "$BASELINE_TOOLS/node_modules/@azure/storage-blob" ] \
    && grep -qs "\"version\": \"$PLAYWRIGHT_CORE_VERSION\"" "$BASELINE_TOOLS/node_modules/playwright-core/package.json"; then
    return
  fi
  command -v npm >/dev/null || { echo "ci: npm is needed to install Azurite and playwright-core" >&2; return 1; }
  echo "ci: installing azurite@$AZURITE_VERSION and playwright-core@$PLAYWRIGHT_CORE_VERSION into $BASELINE_TOOLS" >&2
  mkdir -p "$BASELINE_TOOLS"
  npm install --no-audit --no-fund --loglevel=error --prefix "$BASELINE_TOOLS" \
    "azurite@$AZURITE_VERSION" "@azure/storage-blob@$STORAGE_BLOB_VERSION" \
    "playwright-core@$PLAYWRIGHT_CORE_VERSION" >&2
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_azurite() {
  install_node_tools
  local dir port
  dir=$(mktemp -d -t baseline-azurite.XXXXXX)
  port=$(free_port)
  "$BASELINE_TOOLS/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" \
    --location "$dir" --silent --disableTelemetry --skipApiVersionCheck >"$dir/azurite.log" 2>&1 &
  SERVICE_PIDS+=("$!")
  SERVICE_DIRS+=("$dir")
  export AZURITE_BLOB_STORAGE_URL="http://127.0.0.1:$port"
  export BASELINE_TEST_AZURE_CONTAINER=baseline-test
  for _ in $(seq 1 100); do
    if NODE_PATH="$BASELINE_TOOLS/node_modules" node ci/azure-container.js "$BASELINE_TEST_AZURE_CONTAINER" 2>/dev/null; then
      echo "ci: Azurite listening on 127.0.0.1:$port" >&2
      return
    fi
    sleep 0.2
  done
  echo "ci: Azurite did not start; its log:" >&2
  cat "$dir/azurite.log" >&2
  return 1
}

# Debian's Chromium for the report tests; playwright-core drives it (it never downloads a
# browser of its own). Installed with apt when missing (CI runs as root).
install_chromium() {
  if command -v chromium >/dev/null; then
    export BASELINE_CHROMIUM="$(command -v chromium)"
    return
  fi
  echo "ci: installing Debian's chromium" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >&2
  export BASELINE_CHROMIUM=/usr/bin/chromium
}

# compliance-trestle, the OSCAL validator, in a virtual environment under $BASELINE_TOOLS.
install_trestle() {
  local venv="$BASELINE_TOOLS/trestle-$TRESTLE_VERSION"
  if [ ! -x "$venv/bin/trestle" ]; then
    echo "ci: installing compliance-trestle==$TRESTLE_VERSION into $venv" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "compliance-trestle==$TRESTLE_VERSION" >&2
  fi
  export BASELINE_TRESTLE="$venv/bin/trestle"
}

start_services() {
  start_azurite
  install_chromium
  install_trestle
  export BASELINE_NODE_PATH="$BASELINE_TOOLS/node_modules"
}

stop_services() {
  local pid dir
  for pid in "${SERVICE_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for dir in "${SERVICE_DIRS[@]}"; do
    rm -rf "$dir"
  done
  SERVICE_PIDS=()
  SERVICE_DIRS=()
}
