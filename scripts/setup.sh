#!/usr/bin/env bash
# Idempotent set-up of a fresh Debian machine (as root): system libraries, Python packages
# used by tests, fixtures and plots. Safe to run again; does nothing that is already done.
set -euo pipefail

need_apt=()
for pkg in libhdf5-dev libopenblas-dev pkg-config unzip; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: installing ${need_apt[*]}" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
need_pip=()
$PY -c "import numpy" 2>/dev/null || need_pip+=(numpy)
$PY -c "import h5py" 2>/dev/null || need_pip+=(h5py)
$PY -c "import matplotlib" 2>/dev/null || need_pip+=(matplotlib)
$PY -c "import yaml" 2>/dev/null || need_pip+=(pyyaml)
$PY -c "import gguf" 2>/dev/null || need_pip+=("gguf>=0.19,<0.20")
if [ ${#need_pip[@]} -gt 0 ]; then
    echo "setup: pip installing ${need_pip[*]}" >&2
    $PY -m pip install -q "${need_pip[@]}"
fi

command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6.x toolchain needed)" >&2; exit 1; }
echo "setup: ok" >&2
