#!/usr/bin/env bash
# The package check (`npm run test:pack`), as a user gets the package: a fresh clone of the
# committed tree (uncommitted changes are not in it), `npm ci`, `npm pack` (its `prepack` builds
# dist/), the tarball installed into an empty folder with production dependencies only, then
# `casola-worker --help`, the demo, and the Node.js version check run from the installed package.
#
# Environment:
#   IMAGE_CHECK_DEMO [1]      0 leaves out the demo step (for a tree without `casola-worker demo`)
#   PACK_CHECK_OLD_NODE [/usr/bin/node]  a Node.js older than the minimum, when the machine has one:
#                             the installed CLI and SDK import must end with the one-line message
set -euo pipefail
cd "$(dirname "$0")/../.."

DEMO=${IMAGE_CHECK_DEMO:-1}
OLD_NODE=${PACK_CHECK_OLD_NODE:-/usr/bin/node}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=expect.sh
source test/image/expect.sh

has() { grep -q -- "$2" <<<"$1"; }
production_only() {
  [ -d node_modules/xstate ] && [ ! -e node_modules/typescript ] && [ ! -e node_modules/vitest ]
}
ships() { tar -tzf "$work/$tarball" | grep -x "package/$1" >/dev/null; }

git clone --quiet --no-hardlinks . "$work/clone"
(cd "$work/clone" && npm ci --no-audit --no-fund --loglevel=error --prefer-offline)
tarball=$(cd "$work/clone" && npm pack --silent --pack-destination "$work" | tail -n 1)
expect 'npm pack on a fresh clone ships the built CLI and SDK' ships dist/src/cli.js
expect 'npm pack ships the docs the README links' ships docs/README.md
expect 'npm pack ships the status pages'"'"' scripts' ships dist/src/status/assets/debug-page.js
expect 'npm pack ships the relay page'"'"'s script' ships dist/src/inspect/assets/relay-page.js
mkdir "$work/app"
cd "$work/app"
npm install --omit=dev --no-audit --no-fund --loglevel=error "$work/$tarball"
bin="$work/app/node_modules/.bin/casola-worker"

expect 'casola-worker --help runs from the installed package' \
  has "$("$bin" --help 2>&1 || true)" 'Usage: casola-worker'
expect 'production dependencies only (no typescript, vitest)' production_only
expect 'the SDK imports from the installed package' \
  node --input-type=module -e "const m = await import('casola-worker'); if (typeof m.createWorker !== 'function') process.exit(1);"
if [ "$DEMO" = 1 ]; then
  expect 'casola-worker demo exits 0 from the installed package' \
    env VLLM_SERVE_COMMAND="$bin mock-vllm" timeout 300 "$bin" demo
else
  echo "demo step left out (IMAGE_CHECK_DEMO=$DEMO)"
fi
old_node_refused() {
  local out
  out=$("$OLD_NODE" "$@" 2>&1) && return 1
  has "$out" "^casola-worker needs Node.js ≥ [0-9.]*; this is $("$OLD_NODE" --version) — see README$"
}
if [ -x "$OLD_NODE" ] && ! "$OLD_NODE" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 19) ? 0 : 1)'; then
  expect "on Node $("$OLD_NODE" --version) the installed CLI says which Node it needs" \
    old_node_refused "$work/app/node_modules/casola-worker/dist/cli.js" demo
  expect "on Node $("$OLD_NODE" --version) the SDK import says which Node it needs" \
    old_node_refused --input-type=module -e "await import('casola-worker')"
else
  echo "no Node.js older than the minimum at $OLD_NODE: the old-Node step left out"
fi

echo "pack: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
