#!/usr/bin/env bash
# Installs Versity Gateway (versitygw, Apache-2.0), an S3-compatible server over a plain directory (its posix
# backend), into $GOBIN (default ~/go/bin). The S3 store tests start it on a free loopback port
# (test/support/s3-server.ts); Glimpse itself never needs it.
set -euo pipefail
VERSION=v1.8.0
BIN_DIR=${GOBIN:-$(go env GOPATH)/bin}
if [ -x "$BIN_DIR/versitygw" ] && go version -m "$BIN_DIR/versitygw" 2>/dev/null | grep -q "github.com/versity/versitygw[[:space:]]*${VERSION}"; then
  echo "versitygw ${VERSION} already installed at $BIN_DIR/versitygw"; exit 0
fi
command -v go >/dev/null || { echo "go is required to install versitygw" >&2; exit 1; }
mkdir -p "$BIN_DIR"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$work" && GOBIN="$BIN_DIR" go install "github.com/versity/versitygw/cmd/versitygw@${VERSION}")
echo "versitygw ${VERSION} installed at $BIN_DIR/versitygw"
