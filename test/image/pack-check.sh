#!/usr/bin/env bash
# The package check (`npm run test:pack`): the tarball `npm pack` makes, installed into an empty
# folder with production dependencies only, runs `casola-worker --help` and the demo.
#
# Environment:
#   IMAGE_CHECK_DEMO [1]   0 leaves out the demo step (for a tree without `casola-worker demo`)
set -euo pipefail
cd "$(dirname "$0")/../.."

DEMO=${IMAGE_CHECK_DEMO:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=expect.sh
source test/image/expect.sh

has() { grep -q -- "$2" <<<"$1"; }
production_only() {
  [ -d node_modules/xstate ] && [ ! -e node_modules/typescript ] && [ ! -e node_modules/vitest ]
}

npm run build --silent
tarball=$(npm pack --silent --pack-destination "$work")
mkdir "$work/app"
cd "$work/app"
npm install --omit=dev --no-audit --no-fund --loglevel=error "$work/$tarball"
bin="$work/app/node_modules/.bin/casola-worker"

expect 'casola-worker --help runs from the installed package' \
  has "$("$bin" --help 2>&1 || true)" 'Usage: casola-worker'
expect 'production dependencies only (no typescript, vitest)' production_only
if [ "$DEMO" = 1 ]; then
  expect 'casola-worker demo exits 0 from the installed package' \
    env VLLM_SERVE_COMMAND="$bin mock-vllm" timeout 300 "$bin" demo
else
  echo "demo step left out (IMAGE_CHECK_DEMO=$DEMO)"
fi

echo "pack: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
