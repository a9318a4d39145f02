#!/usr/bin/env bash
# Runs OpenStack's image API conformance suite (tempest.api.image + glance-tempest-plugin, Debian packages) against
# Glimpse, through the shared harness ../shared/tools/tempest (Keystone on 127.0.0.1:5000). Builds, starts Glimpse
# on $TEMPEST_PORT (default 9299) with Keystone authentication and the configuration the suite assumes, loads
# Glance's metadata definitions, runs the suite, stops Glimpse. Last line: "N passed, N failed, N skipped".
#   REGEX (optional first argument) narrows the tests, e.g. '^tempest\.api\.image\.v2\.test_images_tags'.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
harness=${TEMPEST_HARNESS:-../shared/tools/tempest}
port=${TEMPEST_PORT:-9299}
data=$(mktemp -d /tmp/glimpse-tempest.XXXXXX)
# The local PostgreSQL (FerretDB's backend) runs as user postgres, which must be able to enter the data directory.
chmod 755 "$data"
dist=dist-tempest

GLIMPSE_DIST=$dist node scripts/build.mjs >/dev/null || exit 1
bash "$harness/start-keystone.sh" >/dev/null || exit 1
bash "$harness/setup-catalog.sh" "http://127.0.0.1:$port" >/dev/null || exit 1

# What the suite assumes: Keystone tokens (validated with the catalog's glance service user), two stores (the
# copy-image and multi-store tests need them), web-download from the harness's loopback file server, and arbitrary
# bytes uploaded under any declared disk_format (so the format gate only refuses unsafe images, not mismatches).
export GLIMPSE_PORT=$port GLIMPSE_DATA_DIR=$data GLIMPSE_DB_NAME="tempest_$(basename "$data" | tr -c 'a-zA-Z0-9\n' _)" GLIMPSE_QUEUE_PREFIX=tempest \
  GLIMPSE_AUTH=keystone GLIMPSE_KEYSTONE_URL=http://127.0.0.1:5000 GLIMPSE_KEYSTONE_USERNAME=glance \
  GLIMPSE_KEYSTONE_PASSWORD=secretglance GLIMPSE_KEYSTONE_PROJECT_NAME=service GLIMPSE_KEYSTONE_TIMEOUT_SECONDS=30 \
  GLIMPSE_STORES=local:file,second:file GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS=127.0.0.1/32 \
  GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS=80,443,8765 GLIMPSE_FORMAT_REQUIRE_MATCH=false LOG_LEVEL=warn
# TEMPEST_IMAGE_CACHING=1 (the harness then runs test_image_caching): this node gets an image cache.
[ "${TEMPEST_IMAGE_CACHING:-0}" = 1 ] && export GLIMPSE_IMAGE_CACHE_DIR="$data/cache"
# The v1 tests (TEMPEST_API_V1=1) register images by location (x-image-meta-location = the harness's file
# server): that needs an http store and GLIMPSE_API_V1_LOCATIONS, off by default.
if [ "${TEMPEST_API_V1:-0}" = 1 ]; then
  export GLIMPSE_STORES=local:file,second:file,web:http GLIMPSE_API_V1_LOCATIONS=true
fi
node "$dist/apps/metadefs-cli/src/main.js" load /etc/glance/metadefs >/dev/null || exit 1
node $(node -p "require('./package.json').config.node_flags") "$dist/apps/standalone/src/main.js" >"$data/glimpse.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data" "$dist"' EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 1; done

bash "$harness/run-tempest.sh" "http://127.0.0.1:$port" "$@"
