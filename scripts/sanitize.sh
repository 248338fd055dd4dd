#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of the engine: runs the C++ unit tests, then
# a reduced Python workload (simulate, screening, a trial, a pool power curve) against a
# sanitized extension. Any sanitizer report fails the run. One command:
#   bash scripts/sanitize.sh            (build tree: build/sanitize)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
BUILD=build/sanitize
FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
# The C++ tests need GoogleTest (Debian: libgtest-dev); without it only the Python workload runs.
CPP_TESTS=OFF
[ -f /usr/include/gtest/gtest.h ] && CPP_TESTS=ON
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEPTRIAL_BUILD_CPP_TESTS=$CPP_TESTS \
  -DCMAKE_CXX_FLAGS="$FLAGS" -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DSKBUILD=ON \
  -Dpybind11_DIR="$($PY -m pybind11 --cmakedir)" -DPython_EXECUTABLE="$(command -v "$PY")" >/dev/null
cmake --build "$BUILD" -j "${JOBS:-2}"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [ "$CPP_TESTS" = ON ]; then
  "$BUILD/cpp/tests/septrial_cpp_tests" --gtest_brief=1
else
  echo "note: GoogleTest not installed; sanitized C++ unit tests skipped"
fi

# The Python workload loads the sanitized extension from a private copy of the package.
PKG=$(mktemp -d)
trap 'rm -rf "$PKG"' EXIT
cp -r python/septrial "$PKG/"
rm -f "$PKG"/septrial/_core*.so
cp "$BUILD"/_core*.so "$PKG/septrial/"
cp -r scenarios "$PKG/septrial/data"
LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \
  PYTHONPATH="$PKG" "$PY" - <<'PYEOF'
import numpy as np
import septrial
df = septrial.simulate("sepsis_esketamine", times_h=np.linspace(0, 96, 9),
                       doses=[septrial.Infusion("esketamine", 5.0, "mg/h", 0, 72)],
                       method="rosenbrock4")
assert np.isfinite(df.to_numpy()).all()
sc = septrial.Scenario.load("nct04843982")
run = septrial.screen(sc, n=300, seed=1, threads=2)
tr = septrial.run_trial(sc, n_per_arm=6, seed=1, threads=2)
pc = septrial.power_curve(sc, n_per_arm=[4], n_trials=20, pool_per_arm=10, seed=1, threads=2)
print("sanitized workload:", run.report.n_consented, "randomisable,", len(tr.patients), "patients,",
      float(pc.table["power"].iloc[0]), "power")
PYEOF
echo "sanitizers: clean"
