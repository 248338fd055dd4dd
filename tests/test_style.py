"""Style gates: ruff on the Python sources and tests, clang-format (.clang-format) on cpp/.

Both tools come from PyPI (`ruff` is a test extra; `pip install clang-format` for the C++ check);
each test is skipped, with the reason, when its tool is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# C++ files allowed to differ from .clang-format (none: every file is formatted). A listed file
# that becomes clean fails the test, so the list can only shrink.
NOT_YET_FORMATTED: set[str] = set()

#: .clang-format uses `AlignTrailingComments: {Kind: Leave}`, new in clang-format 16.
MIN_CLANG_FORMAT = 16


def _ruff() -> list[str] | None:
    exe = shutil.which("ruff")
    if exe:
        return [exe]
    try:
        import ruff  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "ruff"]


def test_ruff_check() -> None:
    ruff = _ruff()
    if ruff is None:
        pytest.skip("ruff is not installed (it is a test extra: pip install 'septrial[test]')")
    if not (ROOT / "python" / "septrial").is_dir():
        pytest.skip(f"python/ sources not found under {ROOT}")
    proc = subprocess.run(
        [*ruff, "check", "--no-cache", "python", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _clang_format() -> str:
    exe = shutil.which("clang-format")
    if exe is None:
        pytest.skip("clang-format is not installed (pip install clang-format)")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"version (\d+)", out)
    if not match or int(match.group(1)) < MIN_CLANG_FORMAT:
        pytest.skip(
            f"clang-format >= {MIN_CLANG_FORMAT} needed for .clang-format, found: {out.strip()}"
        )
    return exe


def _cpp_files() -> list[str]:
    files = [*ROOT.glob("cpp/**/*.hpp"), *ROOT.glob("cpp/**/*.cpp")]
    return sorted(p.relative_to(ROOT).as_posix() for p in files)


def test_clang_format() -> None:
    exe = _clang_format()
    assert (ROOT / ".clang-format").is_file(), "missing .clang-format at the repository root"
    files = _cpp_files()
    if not files:
        pytest.skip(f"no C++ sources under {ROOT / 'cpp'}")
    proc = subprocess.run(
        [exe, "--dry-run", "-Werror", "--style=file", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = proc.stdout + proc.stderr
    pattern = re.compile(r"^(\S+\.[ch]pp):\d+:\d+: (?:error|warning):", re.M)
    violating = set(pattern.findall(report))
    assert proc.returncode == 0 or violating, f"clang-format failed:\n{report}"

    unexpected = sorted(violating - NOT_YET_FORMATTED)
    if unexpected:
        details = "\n".join(
            line for line in report.splitlines() if line.split(":", 1)[0] in unexpected
        )
        pytest.fail(
            "not clang-formatted (run `clang-format -i " + " ".join(unexpected) + "`):\n" + details
        )
    stale = sorted(NOT_YET_FORMATTED - set(files))
    assert not stale, f"NOT_YET_FORMATTED lists files that do not exist: {stale}"
    now_clean = sorted(NOT_YET_FORMATTED - violating)
    assert not now_clean, f"now clang-formatted, remove from NOT_YET_FORMATTED: {now_clean}"
