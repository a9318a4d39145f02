#!/usr/bin/env bash
# Installs whatever Glimpse needs and this machine lacks. Safe to run again: it only installs what is missing.
#   (no flag)   what *running* needs: npm dependencies, redis-server, FerretDB and the PostgreSQL it runs on
#               (when no mongod is on PATH and MONGODB_URI is unset), qemu-img when GLIMPSE_IMPORT_CONVERT_TO is set. `npm start` runs this.
#   --test      also what the *tests* need: the real clients (glance, openstack), Keystone, the image tools the
#               format tests use, Glance's metadefs, Chromium for the console's browser tests, Versity Gateway
#               for the S3 store tests, Swift (and memcached) for the Swift store tests. `npm test` runs this.
#   --ci        always reinstall the npm dependencies from package-lock.json (implies nothing else).
#   --dry-run   print what would be installed, one `kind name` line each (npm, deb, go), and install nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

ci=false test=false dry=false
for arg in "$@"; do
  case "$arg" in
    --ci) ci=true ;;
    --test) test=true ;;
    --dry-run) dry=true ;;
    *) echo "usage: $0 [--test] [--ci] [--dry-run]" >&2; exit 2 ;;
  esac
done
have() { command -v "$1" >/dev/null 2>&1; }

# command -> Debian package(s); the value may name several packages.
declare -A run_packages=(
  [redis-server]=redis-server
)
[ -n "${GLIMPSE_IMPORT_CONVERT_TO:-}" ] && run_packages[qemu-img]=qemu-utils
declare -A test_packages=(
  [qemu-img]=qemu-utils
  [glance]=python3-glanceclient
  [openstack]=python3-openstackclient
  [xorriso]=xorriso
  [genisoimage]=genisoimage
  [sfdisk]=fdisk
  [glance-manage]=glance-common # Glance's metadata definition files (/etc/glance/metadefs), loaded by the metadefs tests
  # Keystone for the keystone-auth test (started by ../shared/tools/tempest/start-keystone.sh) and the conformance run
  [keystone-wsgi-public]="python3-keystone uwsgi-core uwsgi-plugin-python3"
  [chromium]=chromium # the console's browser tests (test/browser), driven by playwright-core; never a downloaded browser
  # The Swift store tests: a real single-node Swift (../shared/tools/swift/start-swift.sh; tempauth needs memcached)
  [swift-config]=swift
  [swift-proxy-server]=swift-proxy
  [swift-account-server]=swift-account
  [swift-container-server]=swift-container
  [swift-object-server]=swift-object
  [swift]=python3-swiftclient
  [memcached]=memcached
)

# node_modules is current when it was installed from this very package-lock.json (a stamp of its hash; file
# times are no guide: a checkout or a rebase touches the lock without changing it).
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.glimpse-lock.sha256
npm_needed=false
if $ci || [ ! -d node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then npm_needed=true; fi

missing=()
# shellcheck disable=SC2206 # a value may name several packages
for cmd in "${!run_packages[@]}"; do have "$cmd" || missing+=(${run_packages[$cmd]}); done
if $test; then
  # shellcheck disable=SC2206
  for cmd in "${!test_packages[@]}"; do have "$cmd" || missing+=(${test_packages[$cmd]}); done
fi
# PostgreSQL under the local FerretDB (its default backend); Debian keeps initdb off PATH, in /usr/lib/postgresql/<v>/bin.
have_postgres() {
  if [ -n "${GLIMPSE_POSTGRES_BIN_DIR:-}" ]; then [ -x "$GLIMPSE_POSTGRES_BIN_DIR/initdb" ]; return; fi
  have initdb || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}
if ! have mongod && [ -z "${MONGODB_URI:-}" ] && [ "${GLIMPSE_FERRETDB_BACKEND:-postgresql}" = postgresql ] && ! have_postgres; then
  missing+=(postgresql)
fi
# The sqlite3 shell adds the _id indexes FerretDB's SQLite backend can use (CompanionIndexes).
if ! have mongod && [ -z "${MONGODB_URI:-}" ] && [ "${GLIMPSE_FERRETDB_BACKEND:-postgresql}" = sqlite ] && ! have sqlite3; then
  missing+=(sqlite3)
fi
# de-duplicate (qemu-utils may be both a run and a test need)
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sed '/^$/d' | sort -u)

gobin=$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin
ferretdb_needed=false s3_needed=false
if ! have mongod && [ -z "${MONGODB_URI:-}" ] && [ ! -x "$gobin/ferretdb" ]; then ferretdb_needed=true; fi
if $test && ! have versitygw && [ ! -x "$gobin/versitygw" ]; then s3_needed=true; fi

if $dry; then
  $npm_needed && echo "npm dependencies"
  for p in "${missing[@]}"; do echo "deb $p"; done
  $ferretdb_needed && echo "go ferretdb"
  $s3_needed && echo "go versitygw"
  exit 0
fi

if $npm_needed; then
  # `npm ci` refuses a lock file that lacks other platforms' optional packages (@swc/core-darwin-*, …), and the
  # registry these machines reach does not serve those, so the lock cannot list them. `npm install` with the
  # lock file present installs exactly the locked versions and leaves package-lock.json unchanged.
  npm ci --no-audit --no-fund --loglevel=silent 2>/dev/null || npm install --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamp"
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && have apt-get; then
    echo "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "warning: missing ${missing[*]} (install them with apt-get as root)" >&2
  fi
fi
# Debian starts no services on install in this environment; if it did (its PostgreSQL cluster on 5432 included),
# ours use their own ports and data directories anyway.

# install-ferretdb.sh checks the installed version itself, so it also runs when a binary is present.
if ! have mongod && [ -z "${MONGODB_URI:-}" ]; then
  bash scripts/install-ferretdb.sh >/dev/null
fi

# The S3 store tests run against a real S3-compatible server (Versity Gateway), built with Go.
if $test && have go; then
  bash scripts/install-s3-server.sh >/dev/null || echo "warning: could not install versitygw; the S3 store tests will fail" >&2
fi
