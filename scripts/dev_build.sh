#!/usr/bin/env bash
# Incremental developer build: compiles the extension into build/dev and copies it into
# python/septrial, so `PYTHONPATH=python pytest` tests the working tree without reinstalling.
# With GoogleTest installed the C++ unit tests are configured in the same tree (they link the same
# engine objects), and tests/test_cpp_engine.py reuses it instead of compiling the engine again.
set -euo pipefail
cd "$(dirname "$0")/.."
CPP_TESTS=OFF
[ -f /usr/include/gtest/gtest.h ] && CPP_TESTS=ON
cmake -S . -B build/dev -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEPTRIAL_BUILD_CPP_TESTS=$CPP_TESTS \
  -Dpybind11_DIR="$(python -m pybind11 --cmakedir)" -DPython_EXECUTABLE="$(command -v python)" >/dev/null
cmake --build build/dev "$@"
