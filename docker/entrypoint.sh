#!/usr/bin/env bash
# Entrypoint of the casola-worker images.
#
# 1. Prints GPU and driver diagnostics; a missing nvidia-smi or libcuda is reported, never fatal.
# 2. Creates the unversioned libcuda.so link when only libcuda.so.1 is there: the NVIDIA container
#    runtime mounts libcuda.so.1, and Triton's JIT links with -lcuda, which needs libcuda.so.
# 3. Runs the worker (its arguments, `casola-worker run` by default) as a child, forwards every
#    SIGTERM and SIGINT to it, and waits for it however long its shutdown takes: the grace period,
#    then flushing logs and metrics, the `stopping` heartbeat and stopping vLLM (worker.md,
#    "Shutdown"). It never kills the worker itself: `docker stop --time` is the only deadline
#    (docker/README.md, "Stopping a worker").
# 4. Exits with the worker's exit code (128 + N when signal N ended it).
set -uo pipefail
# Job control gives the worker a process group of its own. Without it a Ctrl-C on a
# `docker run -it` terminal would reach the worker twice (directly and forwarded), and a second
# signal cuts the worker's shutdown short; and bash would start the worker with SIGINT ignored,
# which a command that does not set its own handler (a shell script) keeps.
set -m

log() { printf 'entrypoint: %s\n' "$*"; }

# Indents a command's output under the entrypoint's log lines.
indent() { sed 's/^/entrypoint:   /'; }

gpu_diagnostics() {
  if command -v nvidia-smi >/dev/null 2>&1; then
    log "GPUs (index, name, driver, memory):"
    timeout 15 nvidia-smi --query-gpu=index,name,driver_version,memory.total \
      --format=csv,noheader 2>&1 | indent ||
      log "nvidia-smi failed (exit $?); the GPU health check will say more"
    # The banner is where nvidia-smi shows the newest CUDA version the host driver supports.
    local cuda
    cuda=$(timeout 15 nvidia-smi 2>/dev/null | grep -o 'CUDA Version: *[0-9.]*' | head -n 1)
    log "driver supports ${cuda:-CUDA Version: unknown}"
  else
    log "nvidia-smi not found: no NVIDIA driver is mounted (run with --gpus, or use the mock vLLM)"
  fi
  if [ -r /proc/driver/nvidia/version ]; then
    log "kernel module: $(head -n 1 /proc/driver/nvidia/version)"
  fi
  log "CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES-<unset>}" \
    "NVIDIA_VISIBLE_DEVICES=${NVIDIA_VISIBLE_DEVICES-<unset>}"
  local found
  found=$(ldconfig -p 2>/dev/null | grep 'libcuda\.so' | awk '{ print $NF }')
  if [ -z "$found" ]; then
    log "libcuda: the loader cache has no libcuda.so*"
    return
  fi
  local path
  for path in $found; do
    log "libcuda: $path -> $(readlink -f "$path")"
    case "$path" in
      */compat/*) log "libcuda: WARNING $path is a CUDA forward-compat library; with a newer host" \
        "driver it causes 'unsupported display driver / cuda driver combination'" ;;
    esac
  done
}

# The folders where libcuda.so.1 is looked for: the loader cache first, then where container
# runtimes mount the driver.
libcuda_dirs() {
  ldconfig -p 2>/dev/null | awk '/libcuda\.so\.1 / { print $NF }' | xargs -r -n 1 dirname
  printf '%s\n' /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/nvidia/lib64 \
    /usr/local/nvidia/lib /usr/lib/wsl/lib
}

link_libcuda() {
  local dir
  for dir in $(libcuda_dirs); do
    [ -e "$dir/libcuda.so.1" ] || continue
    if [ -e "$dir/libcuda.so" ] || [ -L "$dir/libcuda.so" ]; then
      return
    fi
    if ln -s libcuda.so.1 "$dir/libcuda.so" 2>/dev/null; then
      log "libcuda: created $dir/libcuda.so -> libcuda.so.1"
    else
      log "libcuda: could not create $dir/libcuda.so (read-only?); Triton's JIT may fail to link"
    fi
    return
  done
}

worker=''
pending=()

forward() {
  if [ -z "$worker" ]; then
    pending+=("$1")
    return
  fi
  log "SIG$1 received, forwarded to the worker (pid $worker); waiting for its shutdown"
  kill -s "$1" "$worker" 2>/dev/null || true
}

trap 'forward TERM' TERM
trap 'forward INT' INT

gpu_diagnostics
link_libcuda

if [ "$#" -eq 0 ]; then
  set -- casola-worker run
fi
# Stopped before the worker started: nothing to drain, so it is not started at all (started,
# it would get the signal before it could handle it and die at once).
if [ "${#pending[@]}" -gt 0 ]; then
  log "SIG${pending[0]} received before the worker started; not starting it"
  case "${pending[0]}" in
    INT) exit 130 ;;
    *) exit 143 ;;
  esac
fi
"$@" &
worker=$!

# `wait` also returns when a trapped signal arrives; only then is `exited` left unset.
while true; do
  unset exited
  wait -n -p exited "$worker"
  status=$?
  if [ -n "${exited-}" ]; then
    break
  fi
done
log "worker exited with code $status"
exit "$status"
