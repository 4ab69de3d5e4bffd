#!/usr/bin/env bash
# Runs the CDK CLI pinned in package.json with the Node 22 of node_modules,
# from the repository root, where cdk.json is. The CLI and the Go app's jsii
# runtime both run `node` from PATH, so node_modules/.bin goes first.
#
#   scripts/cdk.sh synth                       # writes cdk.out/
#   scripts/cdk.sh deploy -c prefix=ecprov     # any cdk command and option
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

node="$(scripts/node-deps.sh)" # installs node_modules when missing or stale
export PATH="$(dirname "$node"):$PATH"
export JSII_NODE="$node"
# The CLI would look up newer versions; this one is pinned on purpose.
export CDK_DISABLE_VERSION_CHECK=1
exec "$node" node_modules/aws-cdk/bin/cdk "$@"
