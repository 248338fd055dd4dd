#!/usr/bin/env bash
# Incremental developer build: compiles the extension into build/dev and copies it into
# python/septrial, so `PYTHONPATH=python pytest` tests the working tree without reinstalling.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build/dev -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -Dpybind11_DIR="$(python -m pybind11 --cmakedir)" -DPython_EXECUTABLE="$(command -v python)" >/dev/null
cmake --build build/dev "$@"
