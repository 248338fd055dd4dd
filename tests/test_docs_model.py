"""docs/model.md stays in step with the engine, and the repository cites findable sources only.

* The parameter tables of docs/model.md equal what ``scripts/gen_model_docs.py`` generates from
  ``septrial.model_info``; every registered model has a table.
* No parameter doc string and no tracked text file refers to the developers' internal research notes
  (``*-dossier``, ``MODEL.md``, ``validation-targets``, ``shared/``): users do not have them.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

import septrial
from septrial.library import model_info

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "model.md"

#: References to internal notes; MODEL.md is matched case-sensitively (docs/model.md is ours).
INTERNAL = re.compile(r"(?i:dossier)|MODEL\.md|(?i:validation-targets)|(?i:shared/)")

#: Files exempt from the scan (none: every file must stand alone).
SKIP: tuple[str, ...] = ()
#: Benchmark output written by benchmarks/bench_peers.py (whose text is already fixed); the next
#: benchmark run rewrites it.
GENERATED = ("benchmarks/results/bench_peers.json",)
THIS = "tests/test_docs_model.py"


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_model_docs", ROOT / "scripts" / "gen_model_docs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parameter_tables_match_the_engine():
    text = DOC.read_text(encoding="utf-8")
    assert _generator().update(text) == text, (
        "docs/model.md parameter tables are stale: "
        "run PYTHONPATH=python python scripts/gen_model_docs.py"
    )


def test_every_model_has_a_parameter_table():
    assert _generator().missing(DOC.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("name", septrial.models())
def test_parameter_docs_cite_no_internal_notes(name):
    info = model_info(name)
    texts = [info.description] + [f"{p['name']}: {p['doc']}" for p in info.parameters]
    texts += [f"{o.get('name', '')}: {o.get('doc', '')}" for o in info.observables]
    bad = [t for t in texts if INTERNAL.search(t)]
    assert not bad, f"{name} cites internal notes: {bad}"


def _tracked_files() -> list[str]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [f for f in out.split("\0") if f]


def test_tracked_files_cite_no_internal_notes():
    hits = []
    for rel in _tracked_files():
        if rel == THIS or rel in GENERATED or any(fnmatch.fnmatch(rel, pat) for pat in SKIP):
            continue
        path = ROOT / rel
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        for lineno, line in enumerate(text.splitlines(), 1):
            if INTERNAL.search(line):
                hits.append(f"{rel}:{lineno}: {line.strip()[:120]}")
    assert not hits, "references to internal notes (cite the publication or docs/model.md):\n" + (
        "\n".join(hits)
    )
