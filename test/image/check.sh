#!/usr/bin/env bash
# The image check (`npm run test:image`): builds the worker images with docker/build.sh on local
# stand-in bases (standins.sh), then runs inside them: `casola-worker --help`, the entrypoint
# supervising a stub worker (signals, shutdown, exit codes, GPU diagnostics), and the demo.
# Needs root (podman, buildah; installed when missing). No Docker engine or registry is used:
# podman builds with chroot isolation, and `buildah run` runs commands in the built images.
#
# Environment:
#   IMAGE_CHECK_DEMO [1]   0 leaves out the demo step (for a tree without `casola-worker demo`)
#   CASOLA_IMAGE_CHECK_CACHE [/var/cache/casola-image-check]   where the stand-ins' sources stay
set -euo pipefail
cd "$(dirname "$0")/../.."
here=test/image
# shellcheck source=test/image/standins.sh
source "$here/standins.sh"

DEMO=${IMAGE_CHECK_DEMO:-1}
IMAGE_NAME=localhost/casola-image-check/worker-vllm
LOCAL_IMAGE_NAME=localhost/casola-image-check/worker-local
IMAGE_TAG=check
VLLM_IMAGE="$IMAGE_NAME:$IMAGE_TAG"
OMNI_IMAGE="$IMAGE_NAME-omni:$IMAGE_TAG"
LOCAL_IMAGE="$LOCAL_IMAGE_NAME:$IMAGE_TAG"
started=$SECONDS
# shellcheck source=expect.sh
source "$here/expect.sh"
containers=()

# container IMAGE: a working container of IMAGE (removed on exit); its name in $container.
container() {
  container=$(buildah from --pull=never --quiet "$1")
  containers+=("$container")
}
cleanup() {
  if [ "${#containers[@]}" -gt 0 ]; then
    buildah rm "${containers[@]}" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

# run_in CONTAINER [--env K=V]... -- COMMAND...: runs COMMAND in the container (10 minutes at most).
run_in() {
  local name=$1
  shift
  local options=()
  while [ "$1" != -- ]; do
    options+=("$1")
    shift
  done
  shift
  timeout 600 buildah run --isolation chroot "${options[@]}" "$name" -- "$@"
}

config_of() { podman image inspect --format "{{json .Config.$2}}" "$1"; }
has() { grep -q -- "$2" <<<"$1"; }
lacks() { ! grep -q -- "$2" <<<"$1"; }

ensure_tools
make_standins
echo "stand-ins ready after $((SECONDS - started)) s"

say "building the images (docker/build.sh, with podman)"
previous=$(podman image inspect --format '{{.Id}}' "$VLLM_IMAGE" "$OMNI_IMAGE" "$LOCAL_IMAGE" \
  2>/dev/null || true)
BUILDER=podman BUILD_FLAGS='--isolation chroot --pull=never' \
  BASE_IMAGE=$STANDIN_VLLM OMNI_BASE_IMAGE=$STANDIN_OMNI NODE_IMAGE=$STANDIN_NODE \
  IMAGE_NAME=$IMAGE_NAME LOCAL_IMAGE_NAME=$LOCAL_IMAGE_NAME IMAGE_TAG=$IMAGE_TAG \
  docker/build.sh vllm omni local
echo "images built after $((SECONDS - started)) s"
# The previous run's images, untagged now, go; the layers the build reuses stay.
for id in $previous; do
  if [ "$(podman image inspect --format '{{len .RepoTags}}' "$id")" = 0 ]; then
    podman rmi "$id" >/dev/null 2>&1 || true
  fi
done

say "the vLLM image"
entrypoint=$(config_of "$VLLM_IMAGE" Entrypoint)
expect 'the entrypoint is /app/entrypoint.sh' [ "$entrypoint" = '["/app/entrypoint.sh"]' ]
expect 'the default command is casola-worker run' \
  [ "$(config_of "$VLLM_IMAGE" Cmd)" = '["casola-worker","run"]' ]
env=$(config_of "$VLLM_IMAGE" Env)
expect 'VLLM_HOST=127.0.0.1 is set' has "$env" '"VLLM_HOST=127.0.0.1"'
expect 'VLLM_PORT=8000 is set' has "$env" '"VLLM_PORT=8000"'
expect 'VLLM_SERVE_COMMAND=vllm is set' has "$env" '"VLLM_SERVE_COMMAND=vllm"'
node_flags=$(node -p "require('./package.json').config.nodeFlags")
expect "NODE_OPTIONS=$node_flags is set (package.json config.nodeFlags)" \
  has "$env" "\"NODE_OPTIONS=$node_flags\""
container "$VLLM_IMAGE"
vllm=$container
help=$(run_in "$vllm" -- casola-worker --help 2>&1) || true
expect 'casola-worker --help runs in the image' has "$help" 'Usage: casola-worker'
expect 'the image runs Node 24' has "$(run_in "$vllm" -- node --version)" '^v24\.'
expect 'production dependencies only (no typescript, vitest)' \
  run_in "$vllm" -- sh -c 'test -d node_modules/xstate && ! test -e node_modules/typescript &&
    ! test -e node_modules/vitest'
container "$STANDIN_VLLM"
expect 'the stand-in base registers a CUDA compat folder (so the next check can fail)' \
  has "$(run_in "$container" -- ldconfig -p)" /usr/local/cuda/compat
loader=$(run_in "$vllm" -- sh -c 'ldconfig -p; cat /etc/ld.so.conf.d/*.conf')
expect 'the CUDA forward-compat loader entries are gone' lacks "$loader" /compat

say "the entrypoint in the vLLM image, supervising a stub worker"
run_in "$vllm" -- mkdir -p /tmp/image-check
for file in stub-worker.ts entrypoint-cases.sh expect.sh fake-nvidia-smi.sh; do
  buildah copy --quiet "$vllm" "$here/$file" "/tmp/image-check/$file" >/dev/null
done
expect 'entrypoint cases pass (signal forwarding, shutdown, exit codes, diagnostics)' \
  run_in "$vllm" --env ENTRYPOINT_CASES_DRIVER=1 -- bash /tmp/image-check/entrypoint-cases.sh

if [ "$DEMO" = 1 ]; then
  say "the demo in the vLLM image, the mock vLLM as its engine"
  expect 'casola-worker demo exits 0 through the entrypoint' \
    run_in "$vllm" --env 'VLLM_SERVE_COMMAND=casola-worker mock-vllm' -- \
    /app/entrypoint.sh casola-worker demo
else
  echo "demo step left out (IMAGE_CHECK_DEMO=$DEMO)"
fi

say "the vLLM-Omni image"
expect 'VLLM_SERVE_COMMAND=vllm-omni is set' \
  has "$(config_of "$OMNI_IMAGE" Env)" '"VLLM_SERVE_COMMAND=vllm-omni"'
expect 'the working folder is /app' [ "$(config_of "$OMNI_IMAGE" WorkingDir)" = '"/app"' ]
container "$OMNI_IMAGE"
expect 'a relative vllm_omni/... stage config path resolves from /app' \
  run_in "$container" -- test -f vllm_omni/model_executor/stage_configs/stand_in.yaml
expect 'casola-worker runs in the omni image' run_in "$container" -- casola-worker --version

say "the local image (Node only, for docker/compose.yaml)"
expect 'VLLM_SERVE_COMMAND points at the mock vLLM' \
  has "$(config_of "$LOCAL_IMAGE" Env)" '"VLLM_SERVE_COMMAND=casola-worker mock-vllm"'
expect "the local image sets NODE_OPTIONS=$node_flags too" \
  has "$(config_of "$LOCAL_IMAGE" Env)" "\"NODE_OPTIONS=$node_flags\""
container "$LOCAL_IMAGE"
expect 'casola-worker --help runs in the local image' \
  has "$(run_in "$container" -- casola-worker --help 2>&1 || true)" 'Usage: casola-worker'
# Containers cannot run here (no OCI runtime may set rlimits), so the compose file is
# validated, not started; Debian 12's docker-compose (1.29) is the strictest reader of it.
expect 'docker/compose.yaml is valid for docker-compose' \
  docker-compose -f docker/compose.yaml config --quiet

echo
echo "image check took $((SECONDS - started)) s"
echo "image: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
