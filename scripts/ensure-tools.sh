#!/usr/bin/env bash
# Installs whatever Glimpse needs and this machine lacks: npm dependencies, and (as root, with apt-get) the
# Debian packages its local services and tests use, and FerretDB (scripts/install-ferretdb.sh) when no
# mongod is on PATH. Safe to run again: it only installs what is missing.
#   --ci   always reinstall the npm dependencies from package-lock.json
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--ci" ] || [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm ci` refuses a lock file that lacks other platforms' optional packages (@swc/core-darwin-*, …), and the
  # registry these machines reach does not serve those, so the lock cannot list them. `npm install` with the
  # lock file present installs exactly the locked versions and leaves package-lock.json unchanged.
  npm ci --no-audit --no-fund --loglevel=silent 2>/dev/null || npm install --no-audit --no-fund --loglevel=error
fi

# command -> Debian package
declare -A packages=(
  [redis-server]=redis-server
  [qemu-img]=qemu-utils
  [glance]=python3-glanceclient
  [openstack]=python3-openstackclient
  [xorriso]=xorriso
  [genisoimage]=genisoimage
  [sfdisk]=fdisk
  [glance-manage]=glance-common # Glance's metadata definition files (/etc/glance/metadefs), loaded by the metadefs tests
  # Keystone for the keystone-auth test (started by ../shared/tools/tempest/start-keystone.sh) and the conformance run
  [keystone-wsgi-public]="python3-keystone uwsgi-core uwsgi-plugin-python3"
)
missing=()
# shellcheck disable=SC2206 # a value may name several packages
for cmd in "${!packages[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=(${packages[$cmd]}); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "warning: missing ${missing[*]} (install them with apt-get as root)" >&2
  fi
fi
# Debian starts no services on install in this environment; if it did, ours use their own ports anyway.

if ! command -v mongod >/dev/null 2>&1 && [ -z "${MONGODB_URI:-}" ]; then
  bash scripts/install-ferretdb.sh >/dev/null
fi

# The S3 store tests run against a real S3-compatible server (Versity Gateway), built with Go.
if command -v go >/dev/null 2>&1; then
  bash scripts/install-s3-server.sh >/dev/null || echo "warning: could not install versitygw; the S3 store tests will fail" >&2
fi
