"""Builds and runs the C++ unit tests of the engine (GoogleTest, cpp/tests) through CMake and CTest.

The equivalent by hand, from the repository root:

    cmake -S . -B build/cpptests -G Ninja -DSEPTRIAL_BUILD_CPP_TESTS=ON \
        -Dpybind11_DIR=$(python -m pybind11 --cmakedir)
    cmake --build build/cpptests && ctest --test-dir build/cpptests --output-on-failure

Skipped only when GoogleTest is not installed or when the repository sources are absent (an
installed package); any configure, build or C++ test failure fails this test.

Which build tree: a tree under build/ that already compiled the engine for this interpreter with
the C++ tests configured (CI's package build in build/{wheel_tag}, see .ci/run; or a developer's
build/dev) is reused: only what changed since is recompiled, normally nothing. A tree from an
isolated pip build (its build environment is gone) or a sanitizer tree is not used. Otherwise the
tests get their own tree next to pytest's numbered temporary directories (or inside --basetemp
when one is given), keyed by the source path and the Python executable, so later sessions rebuild
incrementally. Only the test executable is built: the extension target of a developer tree would
copy itself into python/septrial of the working tree.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_TARGET = "septrial_cpp_tests"

# Where GoogleTest's header or CMake package is found on common installs (Debian/Ubuntu
# libgtest-dev, other distributions, /usr/local, conda).
_GTEST_PROBES = [
    "/usr/include/gtest/gtest.h",
    "/usr/local/include/gtest/gtest.h",
    "/usr/lib/*/cmake/GTest",
    "/usr/lib/cmake/GTest",
    "/usr/lib64/cmake/GTest",
    "/usr/local/lib/cmake/GTest",
    "/usr/local/lib64/cmake/GTest",
]


def _gtest_location() -> str | None:
    probes = list(_GTEST_PROBES)
    for var in ("CONDA_PREFIX", "GTest_ROOT", "GTEST_ROOT"):
        prefix = os.environ.get(var)
        if prefix:
            probes += [f"{prefix}/include/gtest/gtest.h", f"{prefix}/lib/cmake/GTest"]
    for probe in probes:
        hits = glob.glob(probe)
        if hits:
            return hits[0]
    return None


def _sources_present() -> bool:
    return all(
        (ROOT / p).exists()
        for p in ("CMakeLists.txt", "cpp/tests/CMakeLists.txt", "cpp/src", "cpp/include/septrial")
    )


def _build_dir(tmp_path_factory: pytest.TempPathFactory, config: pytest.Config) -> Path:
    key = hashlib.sha256(f"{ROOT}\n{sys.executable}".encode()).hexdigest()[:12]
    base = tmp_path_factory.getbasetemp()
    if config.getoption("basetemp") is None:
        # pytest-of-<user>/: survives between sessions; pytest prunes only its pytest-N folders.
        base = base.parent
    path = base / f"septrial-cpptests-{key}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _cache_entries(cache: Path) -> dict[str, str]:
    entries = {}
    for line in cache.read_text(errors="replace").splitlines():
        if line.startswith(("#", "//")) or "=" not in line or ":" not in line.split("=", 1)[0]:
            continue
        key, value = line.split("=", 1)
        entries[key.split(":", 1)[0]] = value
    return entries


_INCLUDE_FLAG = re.compile(r"(?:^|\s)(?:-I|-isystem\s+)(/\S+)")


def reusable_tree(root: Path = ROOT, python: str = sys.executable) -> Path | None:
    """The most recently configured Ninja tree under ``root``/build that compiled the engine with
    the C++ tests for ``python`` and whose include directories all still exist (an isolated pip
    build compiled against a build environment that is gone); None if there is none."""
    found = []
    for cache in (root / "build").glob("*/CMakeCache.txt"):
        tree = cache.parent
        entries = _cache_entries(cache)
        if entries.get("SEPTRIAL_BUILD_CPP_TESTS", "").upper() not in ("ON", "1", "TRUE", "YES"):
            continue
        if "-fsanitize" in entries.get("CMAKE_CXX_FLAGS", ""):
            continue
        exe = entries.get("Python_EXECUTABLE", "")
        if not exe or not Path(exe).exists() or not Path(exe).samefile(python):
            continue
        if not (tree / "build.ninja").is_file():
            continue
        includes = set(_INCLUDE_FLAG.findall((tree / "build.ninja").read_text(errors="replace")))
        if not includes or not all(Path(d).is_dir() for d in includes):
            continue
        found.append(tree)
    return max(found, key=lambda d: (d / "CMakeCache.txt").stat().st_mtime, default=None)


@contextlib.contextmanager
def _locked(directory: Path):
    """Serialises concurrent sessions (or xdist workers) that share one build directory."""
    with open(directory / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Step:
    name: str
    command: list[str]
    returncode: int
    output: str = field(repr=False)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def report(self, tail: int = 200) -> str:
        lines = self.output.splitlines()
        cut = lines[-tail:]
        more = f"[... {len(lines) - tail} earlier lines ...]\n" if len(lines) > tail else ""
        return (
            f"{self.name} failed (exit {self.returncode}): {' '.join(self.command)}\n"
            + more
            + "\n".join(cut)
        )


def _run(name: str, command: list[str], cwd: Path, timeout: float) -> Step:
    env = dict(os.environ, CTEST_OUTPUT_ON_FAILURE="1", GTEST_COLOR="no", CLICOLOR="0")
    try:
        proc = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = (
            exc.stdout.decode(errors="replace")
            if isinstance(exc.stdout, bytes)
            else exc.stdout or ""
        )
        return Step(name, command, -1, out + f"\n[timed out after {timeout:.0f} s]")
    return Step(name, command, proc.returncode, proc.stdout)


@pytest.fixture(scope="session")
def cpp_test_run(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> list[Step]:
    """Configures, builds and runs the C++ tests once per session; returns the steps run."""
    if not _sources_present():
        pytest.skip(
            f"septrial C++ sources not found under {ROOT} "
            "(an installed package without the repository)"
        )
    if _gtest_location() is None:
        pytest.skip(
            "GoogleTest is not installed (Debian/Ubuntu: apt-get install libgtest-dev); "
            "looked for gtest/gtest.h and a GTest CMake package"
        )
    import pybind11

    cmake = shutil.which("cmake")
    ctest = shutil.which("ctest")
    assert cmake and ctest, "cmake/ctest not found on PATH (pip install cmake)"
    steps: list[Step] = []
    build = reusable_tree()
    configure: list[str] | None = None
    if build is None:
        build = _build_dir(tmp_path_factory, pytestconfig)
        configure = [
            cmake, "-S", str(ROOT), "-B", str(build),
            "-DSEPTRIAL_BUILD_CPP_TESTS=ON",
            f"-Dpybind11_DIR={pybind11.get_cmake_dir()}",
            f"-DPython_EXECUTABLE={sys.executable}",
            "-DCMAKE_BUILD_TYPE=Release",
        ]  # fmt: skip
        if shutil.which("ninja") and not (build / "CMakeCache.txt").exists():
            configure += ["-G", "Ninja"]
    plan = [] if configure is None else [("configure", configure, 600)]
    plan += [
        ("build", [cmake, "--build", str(build), "--target", TEST_TARGET], 3600),
        ("ctest", [ctest, "--output-on-failure", "--no-tests=error", "-j", "2"], 600),
    ]
    with _locked(build):
        for name, command, timeout in plan:
            step = _run(name, command, build, timeout)
            steps.append(step)
            if not step.ok:
                break
    return steps


def test_cpp_unit_tests_pass(cpp_test_run: list[Step]) -> None:
    failed = [s for s in cpp_test_run if not s.ok]
    # Printed output is shown by pytest for failing tests; the assertion message carries it too.
    for step in cpp_test_run:
        print(f"==== {step.name}: {' '.join(step.command)}\n{step.output[-20000:]}")
    assert not failed, failed[0].report()
    ctest_out = cpp_test_run[-1].output
    assert "100% tests passed" in ctest_out, ctest_out[-5000:]


def _fake_tree(root: Path, name: str, includes: list[Path], **entries: str) -> Path:
    tree = root / "build" / name
    tree.mkdir(parents=True)
    lines = ["# This is the CMakeCache file.", "//comment=ignored"]
    lines += [f"{key}:STRING={value}" for key, value in entries.items()]
    (tree / "CMakeCache.txt").write_text("\n".join(lines) + "\n")
    flags = " ".join(f"-isystem {d}" for d in includes[1:])
    (tree / "build.ninja").write_text(f"  INCLUDES = -I{includes[0]} {flags}\n")
    return tree


def test_reusable_tree_selection(tmp_path: Path) -> None:
    src = tmp_path / "cpp" / "include"
    deps = tmp_path / "site-packages" / "pybind11" / "include"
    for d in (src, deps):
        d.mkdir(parents=True)
    gone = tmp_path / "pip-build-env-1" / "pybind11" / "include"
    good = {"SEPTRIAL_BUILD_CPP_TESTS": "ON", "Python_EXECUTABLE": sys.executable}
    assert reusable_tree(tmp_path) is None
    _fake_tree(tmp_path, "no-tests", [src, deps], **{**good, "SEPTRIAL_BUILD_CPP_TESTS": "OFF"})
    _fake_tree(tmp_path, "sanitize", [src, deps], **good, CMAKE_CXX_FLAGS="-fsanitize=address")
    _fake_tree(tmp_path, "isolated", [src, gone], **good)
    _fake_tree(tmp_path, "other-python", [src, deps], **{**good, "Python_EXECUTABLE": str(deps)})
    assert reusable_tree(tmp_path) is None
    ok = _fake_tree(tmp_path, "cp-tag", [src, deps], **good, SKBUILD_DATA_DIR="/tmp/gone/data")
    assert reusable_tree(tmp_path) == ok
