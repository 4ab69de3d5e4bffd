#!/usr/bin/env bash
# Installs the Node.js tools pinned in package.json (Node 22 itself, the
# aws-local-stepfunctions interpreter, asl-validator, the CDK CLI) into
# node_modules, and prints the path of the Node 22 binary on stdout:
#
#   NODE="$(scripts/node-deps.sh)"
#
# It runs `npm ci` (`npm install` when there is no package-lock.json) only
# when node_modules is missing or older than package.json or the lock file,
# so it is cheap to call on every `make test` and `make demo`. Concurrent
# calls wait for each other.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

log() { echo "node-deps: $*" >&2; }

command -v npm >/dev/null 2>&1 || {
  log "npm is not installed; install Node.js (any version with npm), e.g. apt-get install nodejs npm"
  exit 1
}

# One install at a time: `go test ./...` may start several callers at once.
if command -v flock >/dev/null 2>&1; then
  lock="${TMPDIR:-/tmp}/ecprov-node-deps-$(printf %s "$root" | sha256sum | cut -c1-16).lock"
  exec 9>"$lock"
  flock 9
fi

stamp=node_modules/.ecprov-deps-stamp
want="$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)"
node=node_modules/.bin/node

fresh() {
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
    [ -x "$node" ] && [ -f node_modules/aws-local-stepfunctions/package.json ]
}

if ! fresh; then
  if [ -f package-lock.json ]; then
    log "installing the Node tools pinned in package-lock.json (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error >&2
  else
    log "no package-lock.json: installing from package.json (npm install)"
    npm install --no-audit --no-fund --loglevel=error >&2
    want="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
  fi
  echo "$want" >"$stamp"
fi

version="$("$node" --version 2>/dev/null || true)"
case "$version" in
  v2[2-9].* | v[3-9][0-9].*) ;;
  *)
    log "$node is ${version:-not runnable}; Node 22 or later is needed (package.json pins the npm package node@22)"
    exit 1
    ;;
esac
log "Node ${version#v} at $root/$node"
echo "$root/$node"
