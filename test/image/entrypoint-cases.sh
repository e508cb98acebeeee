#!/usr/bin/env bash
# The entrypoint supervising the stub worker (stub-worker.ts), run inside a built image by
# check.sh: signal forwarding, a complete slow shutdown, a second signal, exit codes, and the
# GPU diagnostics with and without a driver. The cases that send signals run at once, so the
# whole set takes about one stub shutdown (12 s).
#
# entrypoint-cases.sh [ENTRYPOINT]   (default /app/entrypoint.sh)
set -uo pipefail
# Job control: without it the entrypoints started below would begin with SIGINT ignored.
set -m

entrypoint=${1:-/app/entrypoint.sh}
here=$(cd "$(dirname "$0")" && pwd)
stub="$here/stub-worker.ts"
work=$(mktemp -d)
# shellcheck source=expect.sh
source "$here/expect.sh"

# Waits (at most 30 s) until FILE has at least N lines.
wait_lines() {
  local file=$1 lines=$2 tries=300
  while [ "$tries" -gt 0 ]; do
    if [ -f "$file" ] && [ "$(wc -l <"$file")" -ge "$lines" ]; then
      return 0
    fi
    sleep 0.1
    tries=$((tries - 1))
  done
  echo "timed out waiting for $lines line(s) in $file" >&2
  return 1
}

# start_case NAME STUB-ARGS...: the entrypoint running the stub; its pid in $work/NAME/pid.
start_case() {
  local name=$1
  shift
  mkdir -p "$work/$name"
  CASOLA_SHUTDOWN_GRACE_PERIOD=1 "$entrypoint" node "$stub" --markers "$work/$name" "$@" \
    >"$work/$name/out" 2>&1 &
  echo $! >"$work/$name/pid"
}

# finish_case NAME: waits for the entrypoint and stores its exit code in $work/NAME/code.
finish_case() {
  wait "$(cat "$work/$1/pid")"
  echo $? >"$work/$1/code"
}

code_is() { [ "$(cat "$work/$1/code")" = "$2" ]; }
marker_is() { [ "$(cat "$work/$1/$2" 2>/dev/null)" = "$3" ]; }
output_has() { grep -q -- "$2" "$work/$1/out"; }

start_case term --exit-code 0
start_case int --exit-code 3
start_case twice --exit-code 4
start_case own --exit-code 5 --exit-after-ms 500
start_case killed --exit-code 0
start_case group --exit-code 6
for name in term int twice killed group; do
  wait_lines "$work/$name/started" 1
done

kill -TERM "$(cat "$work/term/pid")"
kill -INT "$(cat "$work/int/pid")"
kill -TERM "$(cat "$work/twice/pid")"
wait_lines "$work/twice/signals" 1 && kill -TERM "$(cat "$work/twice/pid")"
kill -KILL "$(cat "$work/killed/started")"
# What a Ctrl-C on a `docker run -it` terminal does: SIGINT to the whole foreground process group
# (each entrypoint here leads its own group).
kill -INT -- -"$(cat "$work/group/pid")"
for name in term int twice own killed group; do
  finish_case "$name"
done

expect 'SIGTERM is forwarded to the worker' marker_is term signals SIGTERM
expect 'the worker shutdown runs to the end (12 s, past a 1 s grace period)' \
  marker_is term finished complete
expect 'exit code 0 after SIGTERM' code_is term 0
expect 'SIGINT is forwarded to the worker' marker_is int signals SIGINT
expect 'exit code 3 propagated after SIGINT' code_is int 3
expect 'a second SIGTERM is forwarded too' marker_is twice signals "$(printf 'SIGTERM\nSIGTERM')"
expect 'the second signal cuts the shutdown short' marker_is twice finished 'cut short'
expect 'exit code 4 propagated after two signals' code_is twice 4
expect 'exit code 5 propagated when the worker exits on its own' code_is own 5
expect 'exit code 137 when SIGKILL ends the worker' code_is killed 137
expect 'a SIGINT to the process group reaches the worker once' marker_is group signals SIGINT
expect 'after a process-group SIGINT the shutdown runs to the end' marker_is group finished complete
expect 'the entrypoint logs the worker exit code' output_has term 'worker exited with code 0'

# Stopped while the GPU diagnostics run (a slow nvidia-smi): the worker is never started.
mkdir -p "$work/early/bin"
printf '#!/bin/sh\ntouch %s/early/diagnosing\nsleep 1\n' "$work" >"$work/early/bin/nvidia-smi"
chmod +x "$work/early/bin/nvidia-smi"
PATH="$work/early/bin:$PATH" CASOLA_SHUTDOWN_GRACE_PERIOD=1 "$entrypoint" node "$stub" \
  --markers "$work/early" >"$work/early/out" 2>&1 &
early=$!
wait_lines "$work/early/diagnosing" 0 && kill -TERM "$early"
wait "$early"
echo $? >"$work/early/code"
expect 'a SIGTERM during the diagnostics ends the entrypoint with 143' code_is early 143
expect 'the worker is not started after it' [ ! -e "$work/early/started" ]
expect 'the entrypoint says why' output_has early 'received before the worker started'

# No driver: the diagnostics say so and the worker still starts.
mkdir -p "$work/nodriver"
"$entrypoint" true >"$work/nodriver/out" 2>&1
echo $? >"$work/nodriver/code"
expect 'without nvidia-smi the entrypoint still runs the worker' code_is nodriver 0
expect 'without nvidia-smi the diagnostics say so' output_has nodriver 'nvidia-smi not found'

if [ "${ENTRYPOINT_CASES_DRIVER:-0}" = 1 ]; then
  # A driver as the NVIDIA runtime mounts it: nvidia-smi on PATH, libcuda.so.1 without libcuda.so.
  # Changes the system's library folder: only for a throwaway container.
  mkdir -p "$work/driver/bin"
  cp "$here/fake-nvidia-smi.sh" "$work/driver/bin/nvidia-smi"
  libdir=/usr/lib/x86_64-linux-gnu
  rm -f "$libdir/libcuda.so" "$libdir/libcuda.so.1"
  cp "$libdir/libz.so.1" "$libdir/libcuda.so.1"
  PATH="$work/driver/bin:$PATH" "$entrypoint" true >"$work/driver/out" 2>&1
  echo $? >"$work/driver/code"
  expect 'with a driver the entrypoint runs the worker' code_is driver 0
  expect 'the diagnostics list the GPU and driver' output_has driver '0, NVIDIA H200, 580.159.04'
  expect 'the diagnostics show the CUDA version the driver supports' \
    output_has driver 'CUDA Version: 13.0'
  expect 'libcuda.so is created next to libcuda.so.1' \
    [ "$(readlink "$libdir/libcuda.so")" = libcuda.so.1 ]
  rm -f "$libdir/libcuda.so" "$libdir/libcuda.so.1"
fi

if [ "$failed" -gt 0 ]; then
  for out in "$work"/*/out; do
    echo "--- $out"
    cat "$out"
  done
fi
echo "entrypoint: $passed passed, $failed failed"
rm -rf "$work"
[ "$failed" -eq 0 ]
