#!/bin/sh
# nvidia-smi as it answers on an H200 host (driver 580.159.04, CUDA 13.0; recorded in
# test/fixtures/nvidia-smi/h200-info.txt), for the entrypoint's diagnostics checks.
case "$*" in
  *--query-gpu=index,name,driver_version,memory.total*)
    echo '0, NVIDIA H200, 580.159.04, 143771 MiB'
    ;;
  '')
    echo '+-----------------------------------------------------------------------------------------+'
    echo '| NVIDIA-SMI 580.159.04             Driver Version: 580.159.04     CUDA Version: 13.0     |'
    echo '+-----------------------------------------------------------------------------------------+'
    ;;
  *)
    echo "fake nvidia-smi: unexpected arguments: $*" >&2
    exit 2
    ;;
esac
