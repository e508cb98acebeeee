#!/usr/bin/env bash
# Builds the casola-worker images from docker/vllm.Dockerfile (build context: the repository
# root) and pushes them only when asked.
#
#   docker/build.sh [--push] [vllm] [omni] [local]      (no image named: vllm and omni)
#
# Environment (defaults in brackets):
#   IMAGE_NAME [casola-worker-vllm]   the vLLM image; the vLLM-Omni one is "$IMAGE_NAME-omni"
#   OMNI_IMAGE_NAME [$IMAGE_NAME-omni], LOCAL_IMAGE_NAME [casola-worker-local]
#   IMAGE_TAG [latest]                the tag of every image built
#   PUSH [0]                          1: push after building (same as --push)
#   BASE_IMAGE, OMNI_BASE_IMAGE, NODE_IMAGE   override the Dockerfile's base images
#   BUILDER [docker; podman without a Docker engine]   the build tool
#   PLATFORM [linux/amd64]
#   BUILD_FLAGS                       more flags for "$BUILDER build" (split on spaces)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
IMAGE_NAME=${IMAGE_NAME:-casola-worker-vllm}
OMNI_IMAGE_NAME=${OMNI_IMAGE_NAME:-$IMAGE_NAME-omni}
LOCAL_IMAGE_NAME=${LOCAL_IMAGE_NAME:-casola-worker-local}
IMAGE_TAG=${IMAGE_TAG:-latest}
OMNI_BASE_IMAGE=${OMNI_BASE_IMAGE:-vllm/vllm-omni:v0.14.0}
PLATFORM=${PLATFORM:-linux/amd64}
PUSH=${PUSH:-0}
# Docker when its engine answers, else podman when installed.
if [ -z "${BUILDER:-}" ]; then
  BUILDER=docker
  if ! docker info >/dev/null 2>&1 && command -v podman >/dev/null 2>&1; then BUILDER=podman; fi
fi

images=()
for arg in "$@"; do
  case "$arg" in
    --push) PUSH=1 ;;
    vllm | omni | local) images+=("$arg") ;;
    *)
      echo "usage: docker/build.sh [--push] [vllm] [omni] [local]" >&2
      exit 2
      ;;
  esac
done
if [ "${#images[@]}" -eq 0 ]; then
  images=(vllm omni)
fi

# build IMAGE ARGS...: builds IMAGE from the Dockerfile with the given extra arguments.
build() {
  local image=$1
  shift
  local args=(--platform "$PLATFORM" -f "$root/docker/vllm.Dockerfile" -t "$image")
  if [ -n "${NODE_IMAGE:-}" ]; then args+=(--build-arg "NODE_IMAGE=$NODE_IMAGE"); fi
  # shellcheck disable=SC2086 # BUILD_FLAGS is a list of flags
  echo "+ $BUILDER build ${BUILD_FLAGS:-} ${args[*]} $* $root"
  # shellcheck disable=SC2086
  "$BUILDER" build ${BUILD_FLAGS:-} "${args[@]}" "$@" "$root"
  built+=("$image")
}

built=()
for kind in "${images[@]}"; do
  case "$kind" in
    vllm)
      build "$IMAGE_NAME:$IMAGE_TAG" ${BASE_IMAGE:+--build-arg "BASE_IMAGE=$BASE_IMAGE"}
      ;;
    omni)
      build "$OMNI_IMAGE_NAME:$IMAGE_TAG" --build-arg "BASE_IMAGE=$OMNI_BASE_IMAGE" \
        --build-arg VLLM_SERVE_COMMAND=vllm-omni --build-arg LINK_PYTHON_PACKAGE=vllm_omni
      ;;
    local)
      build "$LOCAL_IMAGE_NAME:$IMAGE_TAG" --target local
      ;;
  esac
done

if [ "$PUSH" = 1 ]; then
  for image in "${built[@]}"; do
    echo "+ $BUILDER push $image"
    "$BUILDER" push "$image"
  done
fi

echo
echo "Built: ${built[*]}"
if [ "$PUSH" != 1 ]; then
  echo "Not pushed (docker/build.sh --push, or PUSH=1, pushes them)."
fi
echo "Run:   docker run --gpus all --stop-timeout 60 -e CASOLA_WS_URL=wss://... \\"
echo "         -e CASOLA_CONFIG_ID=... -e CASOLA_API_TOKEN=... -e VLLM_MODEL=... ${built[0]}"
